"""How a streaming handler is called, for each shape ``streamify_response`` accepts.

Node style, ``handler(event, response_stream, context)`` (plain or ``async def``), writes to
the stream; an async ``pipeline()`` it returned without awaiting is run here. Iterator style,
``handler(event, context)``, yields chunks (sync or async), an ``HttpMetadata`` first if any.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Awaitable, Iterable

from lambda_streaming.api.errors import FaultError, InvalidStreamingOperation
from lambda_streaming.api.http_response import HttpMetadata, HttpResponseStream
from lambda_streaming.api.stream import ResponseStream

from . import aio
from .logs import runtime_log
from .response import StreamState

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from lambda_streaming.api.streamify import StreamingHandler

    from .response import Response


def open_for(handler: StreamingHandler, event: object, response: Response) -> ResponseStream:
    """The handler's stream for this event, with the handler's options applied."""
    if handler.content_type:
        response.set_content_type(handler.content_type)
    response.default_http = handler.rest_api_prelude and is_rest_api_event(event)
    return ResponseStream(response)


def call_node_style(
    function: Callable[..., object],
    event: object,
    stream: ResponseStream,
    context: object,
    response: Response,
) -> None:
    result = function(event, stream, context)
    if isinstance(result, Awaitable):
        result = aio.run(result)
    pending, response.pending = response.pending, None
    if pending is not None:  # pipeline(async source, stream) returned without being awaited
        aio.run(pending)
    elif result is not None:
        runtime_log("WARNING", "streaming handlers ignore return values; write to the stream")


def write_all(chunks: object, stream: ResponseStream, response: Response) -> None:
    """Write what an ``(event, context)`` streaming handler produced."""
    if chunks is None:
        return
    if isinstance(chunks, str | bytes | bytearray | memoryview):
        stream.write(chunks)
    elif isinstance(chunks, AsyncIterable):
        aio.run(_write_async(chunks, stream, response))
    elif isinstance(chunks, Iterable):
        try:
            for chunk in chunks:
                put_chunk(chunk, stream, response)
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:  # run the generator's finally blocks if we stopped early
                close()
    else:
        raise FaultError(
            "a streaming handler(event, context) must yield chunks (bytes or str); "
            f"it returned {type(chunks).__name__}",
            error_type="Runtime.MalformedStreamingHandler",
        )


async def _write_async(
    chunks: AsyncIterable[object], stream: ResponseStream, response: Response
) -> None:
    try:
        async for chunk in chunks:
            put_chunk(chunk, stream, response)
    finally:
        aclose = getattr(chunks, "aclose", None)
        if aclose is not None:
            await aclose()


def put_chunk(chunk: object, stream: ResponseStream, response: Response) -> None:
    if isinstance(chunk, HttpMetadata):
        if response.state not in (StreamState.IDLE, StreamState.HTTP):
            raise InvalidStreamingOperation(
                f"HttpMetadata was yielded in state '{response.state}'; yield it first"
            )
        HttpResponseStream.from_stream(stream, chunk)
    else:
        stream.write(chunk)  # type: ignore[arg-type]  # write() names the type it refuses


def is_rest_api_event(event: object) -> bool:
    """An API Gateway REST proxy event (payload 1.0): those need an HTTP prelude to stream.

    API Gateway "response transfer mode" docs: the integration must send the metadata and
    the 8-NUL delimiter first,
    https://docs.aws.amazon.com/apigateway/latest/developerguide/response-transfer-mode.html
    """
    if not isinstance(event, dict) or "httpMethod" not in event or "resource" not in event:
        return False
    context = event.get("requestContext")
    return isinstance(context, dict) and "apiId" in context and event.get("version") != "2.0"

"""Serve one invocation: call the handler, then answer Lambda on the right channel.

Buffered handlers get awslambdaric's behaviour: the return value as JSON through ``/response``,
any exception through ``/error``. Streaming handlers write through a ``ResponseStream``; a
failure before the first byte goes to ``/error`` (the caller gets a real error status), a
failure after it ends the stream with error trailers. Every failure is also logged.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Awaitable, Iterable

from lambda_streaming.api.context import LambdaContext
from lambda_streaming.api.errors import (
    FaultError,
    InvalidStreamingOperation,
    error_payload,
    error_type,
    log_error,
    xray_cause,
)
from lambda_streaming.api.http_response import HttpMetadata, HttpResponseStream
from lambda_streaming.api.stream import ResponseStream, StreamState
from lambda_streaming.api.streamify import StreamingHandler

from . import aio
from .logs import runtime_log
from .marshal import marshal_result, unmarshal_event
from .runtime_api import RuntimeApiError, reply_timeout

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from .config import RuntimeConfig
    from .runtime_api import Invocation, RuntimeApiClient


class Dispatcher:
    """Calls one handler for each invocation and reports the outcome to the Runtime API."""

    def __init__(
        self, client: RuntimeApiClient, config: RuntimeConfig, handler: Callable[..., object]
    ) -> None:
        self._client = client
        self._config = config
        self._handler = handler

    def __call__(self, invocation: Invocation) -> None:
        if isinstance(self._handler, StreamingHandler):
            self._stream(self._handler, invocation)
        else:
            self._buffered(invocation)

    def _buffered(self, invocation: Invocation) -> None:
        try:
            context = LambdaContext(invocation, self._config)
            event = unmarshal_event(invocation.body, invocation.content_type)
            body, content_type = marshal_result(self._handler(event, context))
        except Exception as error:  # the handler's failure is the invocation's result
            self._report(invocation, error)
            return
        response = self._client.post_response(
            invocation.request_id, body, content_type, timeout=reply_timeout(invocation.deadline_ms)
        )
        if response.status == 413:
            runtime_log(
                "ERROR",
                f"Lambda refused the {len(body)}-byte response as too large (buffered responses "
                "are limited to 6 MiB): stream it with @streamify_response (up to 200 MiB)",
            )

    def _stream(self, handler: StreamingHandler, invocation: Invocation) -> None:
        stream = ResponseStream(self._client, invocation.request_id, invocation.deadline_ms)
        try:
            context = LambdaContext(invocation, self._config)
            event = unmarshal_event(invocation.body, invocation.content_type)
            if handler.content_type:
                stream.set_content_type(handler.content_type)
            if handler.takes_stream:
                _call_node_style(handler.function, event, stream, context)
            else:
                _write_all(handler.function(event, context), stream)
            stream.end()
        except RuntimeApiError:
            stream.abort()
            raise
        except Exception as error:  # the handler's failure is the invocation's result
            if stream.state is StreamState.ENDED:  # the response was whole: only log it
                log_error(error_payload(error, invocation.request_id), self._config.log_format)
                return
            stream.fail(error)
        failure = stream.failure
        if failure is None:
            return
        if stream.started:  # already reported in the trailers; keep it in the log too
            log_error(error_payload(failure, invocation.request_id), self._config.log_format)
        else:
            self._report(invocation, failure)

    def _report(self, invocation: Invocation, error: BaseException) -> None:
        payload = error_payload(error, invocation.request_id)
        log_error(payload, self._config.log_format)
        body, _ = marshal_result(payload)
        cause, _ = marshal_result(xray_cause(error))
        self._client.post_error(
            invocation.request_id,
            error_type(error),
            body,
            cause,
            timeout=reply_timeout(invocation.deadline_ms),
        )


def _call_node_style(
    function: Callable[..., object], event: object, stream: ResponseStream, context: object
) -> None:
    result = function(event, stream, context)
    if isinstance(result, Awaitable):
        result = aio.run(result)
    pending = stream.take_pending()
    if pending is not None:  # pipeline(async source, stream) returned without being awaited
        aio.run(pending)
    elif result is not None:
        runtime_log("WARNING", "streaming handlers ignore return values; write to the stream")


def _write_all(chunks: object, stream: ResponseStream) -> None:
    """Write what an ``(event, context)`` streaming handler produced."""
    if chunks is None:
        return
    if isinstance(chunks, str | bytes | bytearray | memoryview):
        stream.write(chunks)
    elif isinstance(chunks, AsyncIterable):
        aio.run(_write_async(chunks, stream))
    elif isinstance(chunks, Iterable):
        try:
            for chunk in chunks:
                _put(chunk, stream)
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


async def _write_async(chunks: AsyncIterable[object], stream: ResponseStream) -> None:
    try:
        async for chunk in chunks:
            _put(chunk, stream)
    finally:
        aclose = getattr(chunks, "aclose", None)
        if aclose is not None:
            await aclose()


def _put(chunk: object, stream: ResponseStream) -> None:
    if isinstance(chunk, HttpMetadata):
        if stream.state is not StreamState.READY:
            raise InvalidStreamingOperation(
                "HttpMetadata was yielded after the first chunk; yield it first"
            )
        HttpResponseStream.from_stream(stream, chunk)
    else:
        stream.write(chunk)  # type: ignore[arg-type]  # write() names the type it refuses

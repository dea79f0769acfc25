"""(4) Server-Sent Events for browsers: ``new EventSource`` or ``fetch`` reads tokens as events.

Each text delta is a ``message`` event; the stream ends with ``event: done`` (stop reason,
usage) or, if Bedrock fails mid-stream, with ``event: error`` (a Function URL has sent 200
already, so this in-band event is how a browser learns of it). Uses ConverseStream, so any
model Converse supports works with the same code.

    curl -N http://127.0.0.1:8080/ -H "Content-Type: application/json" -d '{"prompt": "Hello"}'
"""

from collections.abc import Iterator
from typing import Any

from common import RequestFailed, converse_stream, is_http, read_prompt

from lambda_streaming import HttpMetadata, converse_text, sse_stream, streamify_response
from lambda_streaming.sse import SSE_HEADERS


@streamify_response(content_type="text/event-stream; charset=utf-8")
def handler(event: Any, context: Any) -> Iterator[Any]:
    try:
        response = converse_stream(read_prompt(event))
    except RequestFailed as failure:
        if not is_http(event):
            raise
        yield HttpMetadata(failure.status, failure.headers())
        yield failure.body()
        return
    if is_http(event):
        yield HttpMetadata(200, SSE_HEADERS)
    yield from sse_stream(converse_text(response), context=context)

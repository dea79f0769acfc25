"""(4) Server-Sent Events for browsers: ``new EventSource`` or ``fetch`` reads tokens as events.

Each text delta is a ``message`` event, the model's reasoning ``event: reasoning``, a tool call
``event: tool_use``; the stream ends with ``event: done`` (stop reason such as ``tool_use`` or
``guardrail_intervened``, usage) or, if Bedrock fails mid-stream, with ``event: error`` (a
Function URL has sent 200 already, so this in-band event is how a browser learns of it). A
``: keep-alive`` comment goes out after ``SSE_KEEP_ALIVE_SECONDS`` (15) of silence. Uses
ConverseStream, so any model Converse supports works with the same code. The request is
``{"prompt": ...}`` or a conversation ``{"messages": [...], "system": ...}``.

A browser opening the URL itself (``GET`` without ``?prompt=``, accepting HTML) gets a small
chat page (``chat_page.html``) that posts to the same URL and renders the stream as it arrives.

    curl -N http://127.0.0.1:8080/ -H "Content-Type: application/json" -d '{"prompt": "Hello"}'
"""

import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from common import RequestFailed, converse_stream, is_http, read_conversation

from lambda_streaming import HttpMetadata, converse_events, sse_stream, streamify_response
from lambda_streaming.sse import DEFAULT_KEEP_ALIVE_S, SSE_HEADERS

# Seconds of Bedrock silence before a ": keep-alive" comment (a model writing a long tool call
# can be quiet for minutes; proxies drop idle connections). 0 turns them off.
KEEP_ALIVE_S = float(os.environ.get("SSE_KEEP_ALIVE_SECONDS") or DEFAULT_KEEP_ALIVE_S) or None

CHAT_PAGE = (Path(__file__).parent / "chat_page.html").read_bytes()  # read once, at init
CHAT_PAGE_HEADERS = {
    "content-type": "text/html; charset=utf-8",
    "cache-control": "no-cache",
    "x-content-type-options": "nosniff",
    # The page's own inline style and script, and fetch to this origin: nothing else.
    "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "script-src 'unsafe-inline'; connect-src 'self'; img-src data:; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'",
}


@streamify_response(content_type="text/event-stream; charset=utf-8")
def handler(event: Any, context: Any) -> Iterator[Any]:
    if wants_chat_page(event):
        yield HttpMetadata(200, CHAT_PAGE_HEADERS)
        yield CHAT_PAGE
        return
    try:
        response = converse_stream(read_conversation(event), context=context)
    except RequestFailed as failure:
        if not is_http(event):
            raise
        yield HttpMetadata(failure.status, failure.headers())
        yield failure.body()
        return
    if is_http(event):
        yield HttpMetadata(200, SSE_HEADERS)
    # An HTTP caller (Function URL, API Gateway) has had its 200 already: the in-band
    # "event: error" is how it learns of a failure, and the response then ends cleanly, since a
    # cut connection makes browsers drop the bytes they have not read yet (that very event).
    # A direct InvokeWithResponseStream caller has no HTTP status to read: re-raise, so the
    # runtime reports the failure in the error trailers (InvokeComplete.ErrorCode).
    yield from sse_stream(
        converse_events(response),
        context=context,
        keep_alive=KEEP_ALIVE_S,
        reraise=not is_http(event),
    )


def wants_chat_page(event: Any) -> bool:
    """A browser opening the URL: ``GET``, no ``?prompt=``, HTML accepted (``curl`` without
    ``-H "Accept: text/html"`` still gets the 400 that says how to ask)."""
    if not is_http(event):
        return False
    method = (event.get("requestContext") or {}).get("http", {}).get("method")
    headers: Mapping[str, str] = event.get("headers") or {}
    accept = next((value for name, value in headers.items() if name.lower() == "accept"), "")
    return (
        (method or event.get("httpMethod")) == "GET"
        and "prompt" not in (event.get("queryStringParameters") or {})
        and "text/html" in accept
    )

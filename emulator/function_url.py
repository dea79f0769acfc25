"""Front door 1: a Function URL (auth type NONE) in ``RESPONSE_STREAM`` or ``BUFFERED`` mode.

Any method and path becomes a payload-2.0 event (``events.py``). In ``RESPONSE_STREAM`` mode
every chunk the runtime sends is written to the client as its own HTTP chunk at once; status,
headers and cookies come from the HTTP prelude (``prelude.py``), or the status is 200 with the
runtime's Content-Type. In ``BUFFERED`` mode the return value is translated as Function URLs
do. An error before the first byte is a 502 carrying the error JSON; once bytes went out, the
connection ends without its terminating chunk and the error is logged.
"""

import datetime
import email.utils
import json
import logging
from collections.abc import Iterator

from emulator.events import function_url_event
from emulator.function import Function, Throttled
from emulator.http11 import BodyError, ClientGone, Exchange
from emulator.invocation import (
    REQUEST_PAYLOAD_LIMIT,
    FunctionError,
    Invocation,
    InvocationFailed,
    InvocationRequest,
    ResponseChunk,
    ResponseEnd,
    ResponseEvent,
    ResponseStart,
)
from emulator.prelude import (
    HTTP_INTEGRATION_TYPE,
    HttpMetadata,
    PreludeError,
    PreludeReader,
    buffered_http_response,
)

log = logging.getLogger(__name__)
RESPONSE_STREAM = "RESPONSE_STREAM"
BUFFERED = "BUFFERED"


def serve_function_url(
    exchange: Exchange, function: Function, *, invoke_mode: str, port: int
) -> None:
    """Answer one HTTP request by invoking ``function`` with a Function URL event."""
    try:
        body = exchange.read_body(REQUEST_PAYLOAD_LIMIT)
    except BodyError as error:
        if error.truncated:
            raise
        _send_json(
            exchange,
            413,
            {"Message": f"Request must be smaller than {REQUEST_PAYLOAD_LIMIT} bytes"},
            "",
        )
        exchange.abort()
        return
    request = InvocationRequest(payload=b"", streaming=invoke_mode == RESPONSE_STREAM)
    event = function_url_event(
        method=exchange.method,
        target=exchange.target,
        headers=exchange.headers,
        body=body,
        source_ip=exchange.client_address[0],
        server_port=port,
        request_id=request.request_id,
        url_id=_url_id(function.name),
        now=datetime.datetime.now(datetime.UTC),
    )
    request.payload = json.dumps(event).encode()
    try:
        invocation = function.invoke(request)
    except Throttled as error:
        log.warning("Function URL %s %s throttled: %s", exchange.method, exchange.target, error)
        _send_json(exchange, 429, {"Message": "Rate Exceeded."}, request.request_id)
        return
    log.info("[%s] Function URL %s %s", request.request_id, exchange.method, exchange.target)
    if request.streaming:
        _stream(exchange, invocation)
    else:
        _buffer(exchange, invocation)


def _stream(exchange: Exchange, invocation: Invocation) -> None:
    events = invocation.events()
    try:
        if not _stream_head(exchange, invocation, events):
            return
        for event in events:
            if isinstance(event, ResponseChunk):
                exchange.write(event.data)
            elif isinstance(event, ResponseEnd) and event.error is None:
                exchange.end()
            else:
                _cut(exchange, invocation, _error_of(event))
    except ClientGone:
        log.warning(
            "[%s] client disconnected mid-stream; the function keeps running, as on Lambda",
            invocation.request_id,
        )
        _drain(invocation, events)
    except Exception:
        log.exception("[%s] Function URL failed; draining the invocation", invocation.request_id)
        exchange.abort()
        _drain(invocation, events)


def _stream_head(
    exchange: Exchange, invocation: Invocation, events: Iterator[ResponseEvent]
) -> bool:
    """Send status and headers; False when the response is already complete."""
    first = next(events)
    if isinstance(first, InvocationFailed):
        _send_error(exchange, invocation, first.error)
        return False
    assert isinstance(first, ResponseStart)
    if first.content_type.split(";")[0].strip().lower() != HTTP_INTEGRATION_TYPE:
        _start(exchange, invocation, HttpMetadata(200, [("content-type", first.content_type)]))
        return True
    return _prelude_head(exchange, invocation, events)


def _prelude_head(
    exchange: Exchange, invocation: Invocation, events: Iterator[ResponseEvent]
) -> bool:
    """Read chunks until the prelude is complete, then send status, headers and cookies."""
    reader = PreludeReader()
    for event in events:
        if isinstance(event, ResponseChunk):
            try:
                parsed = reader.feed(event.data)
            except PreludeError as error:
                problem = _prelude_error(error)
            else:
                if parsed is None:
                    continue
                metadata, rest = parsed
                _start(exchange, invocation, metadata)
                exchange.write(rest)
                return True
        elif isinstance(event, ResponseEnd) and event.error is None:
            if not reader.seen_bytes:
                # Nothing was written: 200 without custom headers (Node RIC issue #97).
                _start(exchange, invocation, HttpMetadata(200, []))
                exchange.end()
                return False
            problem = _prelude_error(PreludeError("the body ended before the 8-NUL delimiter"))
        else:
            problem = _error_of(event)
        _send_error(exchange, invocation, problem)
        _drain(invocation, events)
        return False
    return False


def _buffer(exchange: Exchange, invocation: Invocation) -> None:
    parts: list[bytes] = []
    for event in invocation.events():
        if isinstance(event, ResponseChunk):
            parts.append(event.data)
        elif isinstance(event, ResponseEnd) and event.error is None:
            try:
                metadata, body = buffered_http_response(b"".join(parts))
            except PreludeError as error:
                log.warning("[%s] Function URL: %s", invocation.request_id, error)
                _send_error(
                    exchange,
                    invocation,
                    FunctionError.service("Runtime.InvalidResponse", str(error)),
                )
                return
            _start(exchange, invocation, metadata, content_length=len(body))
            exchange.write(body)
            exchange.end()
        elif not isinstance(event, ResponseStart):
            _send_error(exchange, invocation, _error_of(event))


def _start(
    exchange: Exchange,
    invocation: Invocation,
    metadata: HttpMetadata,
    *,
    content_length: int | None = None,
) -> None:
    headers = [
        ("date", email.utils.formatdate(usegmt=True)),
        *metadata.header_lines(),
        ("x-amzn-requestid", invocation.request_id),
        ("x-amzn-trace-id", invocation.trace_id.split(";")[0]),
    ]
    if content_length is not None:
        headers.append(("content-length", str(content_length)))
    exchange.start(metadata.status_code, headers)


def _send_error(exchange: Exchange, invocation: Invocation, error: FunctionError) -> None:
    """502 with the error JSON: the function failed before any byte reached the client."""
    log.warning(
        "[%s] Function URL 502: %s %s", invocation.request_id, error.error_type, error.message
    )
    payload = error.payload or json.dumps({"errorType": error.error_type}).encode()
    headers = [("content-type", "application/json"), ("x-amzn-requestid", invocation.request_id)]
    exchange.respond(502, headers, payload)


def _cut(exchange: Exchange, invocation: Invocation, error: FunctionError) -> None:
    """After the first byte nothing can signal an error: end without the terminating chunk."""
    log.warning(
        "[%s] stream failed after the response began (%s: %s); closing the connection "
        "without the terminating chunk",
        invocation.request_id,
        error.error_type,
        error.message,
    )
    exchange.abort()


def _prelude_error(error: PreludeError) -> FunctionError:
    return FunctionError.service("Runtime.InvalidHttpPrelude", str(error))


def _drain(invocation: Invocation, events: Iterator[ResponseEvent]) -> None:
    """Keep reading the runtime's output, as Lambda does, and log how the invocation ended."""
    for event in events:
        if isinstance(event, ResponseEnd | InvocationFailed):
            outcome = "completed" if event.error is None else f"failed: {event.error.error_type}"
            log.info("[%s] invocation %s (no client to send it to)", invocation.request_id, outcome)


def _error_of(event: ResponseEvent) -> FunctionError:
    if isinstance(event, ResponseEnd | InvocationFailed) and event.error is not None:
        return event.error
    return FunctionError.service("Runtime.Unknown", f"unexpected {type(event).__name__}")


def _send_json(exchange: Exchange, status: int, document: object, request_id: str) -> None:
    headers = [("content-type", "application/json")]
    if request_id:
        headers.append(("x-amzn-requestid", request_id))
    exchange.respond(status, headers, json.dumps(document).encode())


def _url_id(function_name: str) -> str:
    """A stable stand-in for the 32-character ``<url-id>`` of a real Function URL."""
    return (function_name.lower().replace("_", "-") + "0" * 32)[:32]

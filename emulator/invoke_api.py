"""Front door 2: the Lambda Invoke APIs, so unmodified boto3 / AWS CLI clients work.

- ``POST /2015-03-31/functions/{name}/invocations``: ``Invoke`` with ``X-Amz-Invocation-Type``
  ``RequestResponse`` (buffered; a function error is a 200 with ``X-Amz-Function-Error:
  Unhandled`` and the error JSON as body), ``Event`` (202, runs in the background) or
  ``DryRun`` (204). ``X-Amz-Log-Type: Tail`` returns the last 4 KB of the log.
- ``POST /2021-11-15/functions/{name}/response-streaming-invocations``:
  ``InvokeWithResponseStream``; an ``application/vnd.amazon.eventstream`` body with one
  ``PayloadChunk`` per chunk the runtime sends, as it arrives, then ``InvokeComplete`` with
  ``ErrorCode`` / ``ErrorDetails`` from the error trailers (or the failure).

Service errors use the REST-JSON error shape boto3 parses (``x-amzn-ErrorType`` header and a
JSON body), e.g. 404 ``ResourceNotFoundException`` for an unknown function.
"""

import base64
import binascii
import json
import logging
import re
import threading
import urllib.parse
from collections.abc import Mapping

from emulator.eventstream import encode_event
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
)

log = logging.getLogger(__name__)
INVOKE_PATH = re.compile(r"^/2015-03-31/functions/(?P<name>[^/]+)/invocations$")
STREAM_PATH = re.compile(r"^/2021-11-15/functions/(?P<name>[^/]+)/response-streaming-invocations$")
ASYNC_PAYLOAD_LIMIT = 1024 * 1024
_PAYLOAD_CHUNK_MAX = 1024 * 1024  # split huge runtime chunks so every event stays small
# How long a LogType=Tail answer waits for END/REPORT (the sandbox writes them at once).
_REPORT_WAIT_SECONDS = 2.0
# name | name:qualifier | account:function:name[:q] | arn:aws:lambda:region:account:function:...
_FUNCTION_REF = re.compile(
    r"^(?:arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:)?(?:\d{12}:)?(?:function:)?"
    r"(?P<name>[a-zA-Z0-9_-]+)(?::(?P<qualifier>[a-zA-Z0-9$_-]+))?$"
)


def is_invoke_api_path(path: str) -> bool:
    return path.startswith(("/2015-03-31/functions/", "/2021-11-15/functions/"))


class _Rejected(Exception):
    """A request answered with a service error instead of an invocation."""

    def __init__(self, status: int, error_type: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.error_type = error_type


def serve_invoke_api(exchange: Exchange, functions: Mapping[str, Function], *, region: str) -> None:
    """Answer one Invoke API request."""
    try:
        function, request, invocation_type = _parse(exchange, functions, region)
    except _Rejected as rejected:
        _error(exchange, rejected.status, rejected.error_type, str(rejected))
        if rejected.status == 413:
            exchange.abort()  # the body is still unread: do not keep the connection
        return
    if invocation_type == "DryRun":
        exchange.respond(204, [])
    elif invocation_type == "Event":
        threading.Thread(target=_run_async, args=(function, request), daemon=True).start()
        exchange.respond(202, [("x-amzn-requestid", request.request_id)])
    else:
        try:
            invocation = function.invoke(request)
        except Throttled as error:
            log.warning("Invoke %s throttled: %s", function.name, error)
            _error(exchange, 429, "TooManyRequestsException", "Rate Exceeded.", reason=True)
            return
        tail = (exchange.header("x-amz-log-type") or "").lower() == "tail"
        if request.streaming:
            _stream(exchange, invocation, tail=tail)
        else:
            _buffered(exchange, invocation, tail=tail)


def _parse(
    exchange: Exchange, functions: Mapping[str, Function], region: str
) -> tuple[Function, InvocationRequest, str]:
    """Validate the request as Lambda does; raise ``_Rejected`` with the error to send."""
    path, _, query = exchange.target.partition("?")
    streaming = STREAM_PATH.match(path)
    match = streaming or INVOKE_PATH.match(path)
    if match is None:
        raise _Rejected(404, "UnknownOperationException", f"Unknown operation POST {path}")
    reference = urllib.parse.unquote(match["name"])
    qualifier = urllib.parse.parse_qs(query).get("Qualifier", [None])[0]
    function = _resolve(reference, qualifier, functions)
    if function is None:
        arn = f"arn:aws:lambda:{region}:123456789012:function:{reference}"
        raise _Rejected(404, "ResourceNotFoundException", f"Function not found: {arn}")
    invocation_type = exchange.header("x-amz-invocation-type") or "RequestResponse"
    allowed = ("RequestResponse", "DryRun") if streaming else ("RequestResponse", "Event", "DryRun")
    if invocation_type not in allowed:
        raise _Rejected(
            400,
            "InvalidParameterValueException",
            f"Unsupported invocation type {invocation_type!r}; use one of {', '.join(allowed)}",
        )
    limit = ASYNC_PAYLOAD_LIMIT if invocation_type == "Event" else REQUEST_PAYLOAD_LIMIT
    try:
        payload = exchange.read_body(limit)
    except BodyError as error:
        if error.truncated:
            raise
        operation = "InvokeAsync" if invocation_type == "Event" else "Invoke"
        message = f"Request must be smaller than {limit} bytes for the {operation} operation"
        raise _Rejected(413, "RequestTooLargeException", message) from error
    try:
        client_context = _client_context(exchange.header("x-amz-client-context"))
    except ValueError as bad:
        raise _Rejected(400, "InvalidRequestContentException", str(bad)) from bad
    _check_json(payload)
    request = InvocationRequest(
        payload=payload or b"{}",
        streaming=streaming is not None,
        client_context=client_context,
        tenant_id=exchange.header("x-amz-tenant-id"),
    )
    return function, request, invocation_type


def _check_json(payload: bytes) -> None:
    """Lambda refuses a payload that is not JSON with 400 ``InvalidRequestContentException``
    before invoking anything (https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html,
    "Errors"); an empty payload is accepted (boto3 sends none when ``Payload`` is omitted)."""
    if not payload:
        return
    try:
        json.loads(payload.decode("utf-8"))  # bytes would also be sniffed as UTF-16/32
    except ValueError as error:  # UnicodeDecodeError is a ValueError too
        detail = str(error) if isinstance(error, json.JSONDecodeError) else "not UTF-8 text"
        raise _Rejected(
            400,
            "InvalidRequestContentException",
            f"Could not parse request body into json: Could not parse payload into json: {detail}",
        ) from error


def _buffered(exchange: Exchange, invocation: Invocation, *, tail: bool) -> None:
    parts: list[bytes] = []
    error: FunctionError | None = None
    for event in invocation.events():
        if isinstance(event, ResponseChunk):
            parts.append(event.data)
        elif isinstance(event, ResponseEnd | InvocationFailed):
            error = event.error
    headers = [
        ("content-type", "application/json"),
        ("x-amz-executed-version", "$LATEST"),
        ("x-amzn-requestid", invocation.request_id),
    ]
    if error is not None:
        log.info(
            "[%s] Invoke failed: %s %s", invocation.request_id, error.error_type, error.message
        )
        headers.append(("x-amz-function-error", "Unhandled"))
    if tail:
        invocation.reported.wait(_REPORT_WAIT_SECONDS)  # the tail ends with END and REPORT
        headers.append(("x-amz-log-result", base64.b64encode(invocation.log_tail()).decode()))
    exchange.respond(200, headers, error.payload if error is not None else b"".join(parts))


def _stream(exchange: Exchange, invocation: Invocation, *, tail: bool) -> None:
    events = invocation.events()
    try:
        exchange.start(
            200,
            [
                ("content-type", "application/vnd.amazon.eventstream"),
                ("x-amz-executed-version", "$LATEST"),
                ("x-amzn-requestid", invocation.request_id),
            ],
        )
        for event in events:
            if isinstance(event, ResponseChunk):
                for start in range(0, len(event.data), _PAYLOAD_CHUNK_MAX):
                    piece = event.data[start : start + _PAYLOAD_CHUNK_MAX]
                    exchange.write(
                        encode_event("PayloadChunk", piece, content_type="application/octet-stream")
                    )
            elif isinstance(event, ResponseEnd | InvocationFailed):
                complete: dict[str, str] = {}
                if event.error is not None:
                    log.info(
                        "[%s] stream failed: %s", invocation.request_id, event.error.error_type
                    )
                    complete["ErrorCode"] = event.error.error_type
                    complete["ErrorDetails"] = event.error.payload.decode("utf-8", "replace")
                if tail:
                    invocation.reported.wait(_REPORT_WAIT_SECONDS)
                    complete["LogResult"] = base64.b64encode(invocation.log_tail()).decode()
                body = json.dumps(complete).encode()
                exchange.write(
                    encode_event("InvokeComplete", body, content_type="application/json")
                )
                exchange.end()
    except ClientGone:
        log.warning(
            "[%s] client disconnected mid-stream; the function keeps running", invocation.request_id
        )
        for _ in events:
            pass
    except Exception:
        log.exception("[%s] stream failed; draining the invocation", invocation.request_id)
        exchange.abort()
        for _ in events:
            pass


def _run_async(function: Function, request: InvocationRequest) -> None:
    """An ``Event`` invoke: queue for a sandbox, run, log the outcome (no retries here)."""
    try:
        invocation = function.invoke(request, wait=True)
    except Throttled as error:
        log.warning("[%s] async invoke dropped: %s", request.request_id, error)
        return
    for event in invocation.events():
        if isinstance(event, ResponseEnd | InvocationFailed):
            outcome = "succeeded" if event.error is None else f"failed: {event.error.error_type}"
            log.info("[%s] async invoke %s", request.request_id, outcome)


def _resolve(
    reference: str, qualifier: str | None, functions: Mapping[str, Function]
) -> Function | None:
    match = _FUNCTION_REF.match(reference)
    if match is None:
        return None
    qualifiers = {q for q in (match["qualifier"], qualifier) if q}
    if qualifiers - {"$LATEST"}:
        return None  # only $LATEST exists here: no versions or aliases
    return functions.get(match["name"])


def _client_context(encoded: str | None) -> str | None:
    if not encoded:
        return None
    try:
        text = base64.b64decode(encoded, validate=True).decode("utf-8")
        json.loads(text)
    except (binascii.Error, ValueError) as error:
        raise ValueError("Client context must be a valid Base64-encoded JSON object.") from error
    return text


def _error(
    exchange: Exchange, status: int, error_type: str, message: str, *, reason: bool = False
) -> None:
    document: dict[str, str] = {"Type": "User", "Message": message}
    if reason:
        document["Reason"] = "ReservedFunctionConcurrentInvocationLimitExceeded"
    headers = [("content-type", "application/json"), ("x-amzn-errortype", error_type)]
    exchange.respond(status, headers, json.dumps(document).encode())

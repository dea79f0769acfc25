"""Front door 3: an API Gateway REST API with a Lambda proxy integration in ``STREAM`` mode.

What the construct's ``rest_api=True`` deploys, as the API Gateway developer guide describes it
("Set up a Lambda proxy integration with payload response streaming",
https://docs.aws.amazon.com/apigateway/latest/developerguide/response-transfer-mode-lambda.html):

- Requests under ``/{stage}/`` become payload 1.0 events (rest_events.py); anything else is
  ``403 {"message":"Missing Authentication Token"}``, as API Gateway answers unknown paths.
- The function is invoked with response streaming. Whatever its Content-Type, its output must
  start with JSON metadata (``statusCode``, ``headers``, ``multiValueHeaders``, ``cookies``, no
  other key) and 8 NUL bytes **within the first 16 KB**; only then does the response start.
  Otherwise the client gets API Gateway's ``500 {"message": "Internal server error"}``.
  ``multiValueHeaders`` win over ``headers`` of the same name; ``cookies`` become Set-Cookie.
- The body then streams chunk by chunk. Limits (``RestLimits``): the integration's idle timeout
  (5 minutes for a Regional API: no byte for that long ends the response) and 15 minutes in
  all; either cuts the response (no terminating chunk), as does a function error mid-stream.
  A function error before the metadata is ``502 {"message": "Internal server error"}``.

Differences from AWS: no authorizers, usage plans or stage variables; a throttled function is
answered ``429 {"message": "Too Many Requests"}``.
"""

import datetime
import hashlib
import json
import logging
import queue
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

from emulator.config import FunctionConfig
from emulator.function import Function, Throttled
from emulator.http11 import BodyError, ClientGone, Exchange, HttpServer
from emulator.invocation import (
    Invocation,
    InvocationFailed,
    InvocationRequest,
    ResponseChunk,
    ResponseEnd,
    ResponseEvent,
)
from emulator.prelude import PreludeError, buffered_http_response
from emulator.rest_events import rest_api_event

log = logging.getLogger(__name__)

STREAM, BUFFERED = "STREAM", "BUFFERED"
DELIMITER = b"\0" * 8
#: "The delimiter ... must appear within the first 16KB of stream data" (developer guide).
METADATA_LIMIT = 16 * 1024
#: API Gateway's payload quota for REST APIs (10 MB).
REQUEST_LIMIT = 10 * 1024 * 1024
_METADATA_KEYS = {"statusCode", "headers", "multiValueHeaders", "cookies"}
_FRAMING = {"connection", "content-length", "transfer-encoding", "keep-alive", "trailer"}


@dataclass(frozen=True, slots=True)
class RestLimits:
    """The REST API's timeouts for a streamed integration, in seconds."""

    #: No response byte for this long ends the response (Regional and private APIs: 5 min).
    idle_timeout: float = 300.0
    #: The longest a streamed response may take (15 minutes).
    max_duration: float = 900.0


class MetadataError(ValueError):
    """The function's output does not start with metadata API Gateway accepts."""


class RestApiEmulator:
    """One function behind an emulated REST API on ``host:port``; URL ``http://.../{stage}/``."""

    def __init__(
        self,
        config: FunctionConfig,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        stage: str = "prod",
        max_sandboxes: int = 4,
        limits: RestLimits | None = None,
        transfer_mode: str = STREAM,
    ) -> None:
        if transfer_mode not in (STREAM, BUFFERED):
            raise ValueError(f"transfer mode {transfer_mode!r}: use STREAM or BUFFERED")
        if not stage or "/" in stage:
            raise ValueError(f"stage {stage!r}: a name such as 'prod', without slashes")
        self.config = config
        self.stage = stage
        self.limits = limits or RestLimits()
        self.transfer_mode = transfer_mode
        self.api_id = hashlib.sha256(config.function_name.encode()).hexdigest()[:10]
        self.function = Function(config, max_sandboxes=max_sandboxes)
        self._server = HttpServer(self._serve, host=host, port=port, name="rest-api")

    @property
    def url(self) -> str:
        """The stage's invoke URL, as the REST API's output shows it."""
        return f"http://{self._server.host}:{self._server.port}/{self.stage}/"

    def start(self) -> None:
        self._server.start()

    def close(self) -> None:
        self._server.close()
        self.function.close()

    def __enter__(self) -> "RestApiEmulator":
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _serve(self, exchange: Exchange) -> None:
        serve_rest_api(
            exchange,
            self.function,
            stage=self.stage,
            api_id=self.api_id,
            limits=self.limits,
            buffered=self.transfer_mode == BUFFERED,
        )


def serve_rest_api(
    exchange: Exchange,
    function: Function,
    *,
    stage: str,
    api_id: str,
    limits: RestLimits,
    buffered: bool = False,
) -> None:
    """Answer one HTTP request as the REST API's proxy resource does."""
    path, _, query = exchange.target.partition("?")
    prefix = f"/{stage}"
    if path != prefix and not path.startswith(prefix + "/"):
        _error(exchange, 403, "Missing Authentication Token", "MissingAuthenticationTokenException")
        return
    try:
        body = exchange.read_body(REQUEST_LIMIT)
    except BodyError as error:
        if error.truncated:
            raise
        _error(exchange, 413, "Request Too Long", "RequestTooLongException")
        exchange.abort()
        return
    request = InvocationRequest(payload=b"", streaming=not buffered)
    event = rest_api_event(
        method=exchange.method,
        path=path[len(prefix) :] or "/",
        query=query,
        headers=exchange.headers,
        body=body,
        source_ip=exchange.client_address[0],
        stage=stage,
        api_id=api_id,
        request_id=request.request_id,
        now=datetime.datetime.now(datetime.UTC),
    )
    request.payload = json.dumps(event).encode()
    try:
        invocation = function.invoke(request)
    except Throttled as error:
        log.warning("REST API %s %s throttled: %s", exchange.method, path, error)
        _error(exchange, 429, "Too Many Requests", "TooManyRequestsException")
        return
    log.info("[%s] REST API %s %s", request.request_id, exchange.method, exchange.target)
    if buffered:
        _buffered(exchange, invocation)
    else:
        _Relay(exchange, invocation, limits).run()


def _buffered(exchange: Exchange, invocation: Invocation) -> None:
    """The classic proxy integration (BUFFERED, 29 s): the function returns statusCode,
    headers, multiValueHeaders, body, isBase64Encoded; anything else is a 502."""
    parts: list[bytes] = []
    for event in invocation.events():
        if isinstance(event, ResponseChunk):
            parts.append(event.data)
        elif isinstance(event, InvocationFailed) or (
            isinstance(event, ResponseEnd) and event.error is not None
        ):
            _error(exchange, 502, "Internal server error", "")
            return
    payload = b"".join(parts)
    try:
        document = json.loads(payload)
        if not isinstance(document, dict) or "statusCode" not in document:
            raise PreludeError("a proxy integration's answer needs statusCode")
        metadata, body = buffered_http_response(payload)
    except (ValueError, PreludeError) as error:
        log.warning("[%s] REST API 502: malformed proxy response: %s", invocation.request_id, error)
        _error(exchange, 502, "Internal server error", "")
        return
    headers = [(n, v) for n, v in metadata.header_lines()]
    headers.append(("content-length", str(len(body))))
    headers.append(("x-amzn-requestid", invocation.request_id))
    exchange.start(metadata.status_code, headers)
    exchange.write(body)
    exchange.end()


class _Relay:
    """Moves one invocation's output to the client, under the REST API's rules and limits."""

    def __init__(self, exchange: Exchange, invocation: Invocation, limits: RestLimits) -> None:
        self._exchange, self._invocation, self._limits = exchange, invocation, limits
        self._events: queue.Queue[ResponseEvent] = queue.Queue()
        self._deadline = time.monotonic() + limits.max_duration
        threading.Thread(target=self._pump, name="rest-api-pump", daemon=True).start()

    def _pump(self) -> None:
        for event in self._invocation.events():
            self._events.put(event)

    def _next(self) -> ResponseEvent | None:
        """The next event, or None when the idle timeout or the 15 minutes ran out."""
        wait = min(self._limits.idle_timeout, self._deadline - time.monotonic())
        if wait <= 0:
            return None
        try:
            return self._events.get(timeout=wait)
        except queue.Empty:
            return None

    def run(self) -> None:
        request_id = self._invocation.request_id
        buffer = bytearray()
        while True:
            event = self._next()
            if (
                event is None
                or isinstance(event, InvocationFailed)
                or (isinstance(event, ResponseEnd) and event.error is not None)
            ):
                reason = "timed out" if event is None else "failed"
                log.warning(
                    "[%s] REST API: the function %s before its metadata", request_id, reason
                )
                status = 504 if event is None else 502
                message = "Endpoint request timed out" if event is None else "Internal server error"
                _error(self._exchange, status, message, "")
                return
            if isinstance(event, ResponseChunk):
                buffer += event.data
            at = buffer.find(DELIMITER)
            if at < 0 and len(buffer) <= METADATA_LIMIT and not isinstance(event, ResponseEnd):
                continue
            try:
                if at < 0 or at > METADATA_LIMIT:
                    raise MetadataError(
                        f"no 8-NUL delimiter within the first {METADATA_LIMIT} bytes"
                    )
                status, headers = parse_metadata(bytes(buffer[:at]))
            except MetadataError as error:
                log.warning("[%s] REST API 500: %s", request_id, error)
                _error(self._exchange, 500, "Internal server error", "")
                return
            self._start(status, headers)
            self._stream(bytes(buffer[at + len(DELIMITER) :]), ended=isinstance(event, ResponseEnd))
            return

    def _start(self, status: int, headers: list[tuple[str, str]]) -> None:
        names = {name.lower() for name, _ in headers}
        if "content-type" not in names:
            headers.append(("content-type", "application/json"))
        headers += [
            ("x-amzn-requestid", self._invocation.request_id),
            ("x-amz-apigw-id", uuid.uuid4().hex[:16]),
            ("x-amzn-trace-id", self._invocation.trace_id.split(";")[0]),
        ]
        self._exchange.start(status, headers)

    def _stream(self, first: bytes, *, ended: bool) -> None:
        try:
            self._exchange.write(first)
            while not ended:
                event = self._next()
                if isinstance(event, ResponseChunk):
                    self._exchange.write(event.data)
                elif isinstance(event, ResponseEnd) and event.error is None:
                    ended = True
                else:
                    why = "idle or 15-minute limit" if event is None else "function error"
                    log.warning(
                        "[%s] REST API: response cut (%s)", self._invocation.request_id, why
                    )
                    self._exchange.abort()
                    return
            self._exchange.end()
        except ClientGone:
            log.warning("[%s] REST API client went away", self._invocation.request_id)


def parse_metadata(raw: bytes) -> tuple[int, list[tuple[str, str]]]:
    """Status and response headers from the metadata JSON; MetadataError if API Gateway would
    refuse it."""
    try:
        document: Any = json.loads(raw)
    except ValueError as error:
        raise MetadataError(f"the metadata is not valid JSON: {error}") from error
    if not isinstance(document, dict):
        raise MetadataError("the metadata must be a JSON object")
    unknown = set(document) - _METADATA_KEYS
    if unknown:
        raise MetadataError(f"unsupported metadata keys {sorted(unknown)}")
    status = document.get("statusCode", 200)
    if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
        raise MetadataError(f"statusCode must be an integer 100-599, got {status!r}")
    single = document.get("headers") or {}
    multi = document.get("multiValueHeaders") or {}
    cookies = document.get("cookies") or []
    if not isinstance(single, dict) or not all(isinstance(v, str) for v in single.values()):
        raise MetadataError("headers can only contain single string values")
    if not isinstance(multi, dict) or not all(
        isinstance(v, list) and all(isinstance(i, str) for i in v) for v in multi.values()
    ):
        raise MetadataError("multiValueHeaders must map names to lists of strings")
    if not isinstance(cookies, list) or not all(isinstance(c, str) for c in cookies):
        raise MetadataError("cookies must be a list of strings")
    overridden = {name.lower() for name in multi}
    headers = [(n, v) for n, v in single.items() if n.lower() not in overridden]
    headers += [(name, value) for name, values in multi.items() for value in values]
    headers += [("set-cookie", cookie) for cookie in cookies]
    for name, value in headers:
        if any(ch in name + value for ch in "\r\n\0") or not name:
            raise MetadataError(f"invalid header {name!r}: {value!r}")
    return status, [(n, v) for n, v in headers if n.lower() not in _FRAMING]


def _error(exchange: Exchange, status: int, message: str, error_type: str) -> None:
    headers = [("content-type", "application/json")]
    if error_type:
        headers.append(("x-amzn-errortype", error_type))
    exchange.respond(status, headers, json.dumps({"message": message}).encode())

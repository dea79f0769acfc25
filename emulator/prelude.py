"""The HTTP integration response: what a Function URL makes of a function's response bytes.

Sans-IO, two halves:

- ``PreludeReader``: a streamed body with ``Content-Type:
  application/vnd.awslambda.http-integration-response`` starts with a JSON prelude
  (``statusCode``, ``headers``, ``cookies``) and 8 NUL bytes, then the raw body
  (lambda-streaming-protocol.md §2.1). The reader takes chunks as they come and yields the
  metadata once the delimiter has arrived, whatever the chunk boundaries.
- ``buffered_http_response``: a BUFFERED Function URL turns the function's return value into
  an HTTP response (urls-invocation.html "Response payload format").
"""

import base64
import binascii
import json
import re
from dataclasses import dataclass, field
from typing import Any

HTTP_INTEGRATION_TYPE = "application/vnd.awslambda.http-integration-response"
DELIMITER = b"\0" * 8
# API Gateway requires the delimiter within the first 16 KB; we hold Function URLs to it too.
MAX_PRELUDE_BYTES = 16 * 1024
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")  # an HTTP header name (RFC 9110 token)
# Framing is ours to choose; a function cannot set these.
_HOP_BY_HOP = {"connection", "content-length", "transfer-encoding", "keep-alive", "trailer"}


class PreludeError(ValueError):
    """The function's HTTP metadata is malformed; the Function URL answers 502."""


@dataclass(frozen=True, slots=True)
class HttpMetadata:
    status_code: int = 200
    headers: list[tuple[str, str]] = field(default_factory=list)
    cookies: list[str] = field(default_factory=list)

    def header_lines(self) -> list[tuple[str, str]]:
        """Headers to send: the function's (framing headers dropped) plus one Set-Cookie each."""
        lines = [(name, value) for name, value in self.headers if name.lower() not in _HOP_BY_HOP]
        lines.extend(("set-cookie", cookie) for cookie in self.cookies)
        return lines


class PreludeReader:
    """Feed body chunks; ``feed`` returns (metadata, body bytes after it) once it is complete."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self.seen_bytes = False

    def feed(self, chunk: bytes) -> tuple[HttpMetadata, bytes] | None:
        self.seen_bytes = self.seen_bytes or bool(chunk)
        start = max(0, len(self._buffer) - len(DELIMITER) + 1)
        self._buffer += chunk
        index = self._buffer.find(DELIMITER, start)
        if index < 0:
            if len(self._buffer) > MAX_PRELUDE_BYTES:
                raise PreludeError(
                    f"no 8-NUL delimiter in the first {MAX_PRELUDE_BYTES} bytes of an "
                    f"{HTTP_INTEGRATION_TYPE} response"
                )
            return None
        metadata = parse_metadata(bytes(self._buffer[:index]))
        return metadata, bytes(self._buffer[index + len(DELIMITER) :])


def parse_metadata(raw: bytes) -> HttpMetadata:
    """Validate the prelude JSON: ``statusCode`` (default 200), ``headers``, ``cookies``."""
    try:
        document = json.loads(raw)
    except ValueError as error:
        raise PreludeError(f"the prelude is not valid JSON: {error}") from error
    if not isinstance(document, dict):
        raise PreludeError("the prelude must be a JSON object")
    return _metadata(document)


def _metadata(document: dict[str, Any]) -> HttpMetadata:
    status = document.get("statusCode", 200)
    if status is None:
        status = 200
    if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
        raise PreludeError(f"statusCode must be an integer 100-599, got {status!r}")
    headers: list[tuple[str, str]] = []
    for name, value in (document.get("headers") or {}).items():
        headers.extend((str(name), _header_value(name, item)) for item in _as_list(value))
    for name, values in (document.get("multiValueHeaders") or {}).items():
        headers.extend((str(name), _header_value(name, item)) for item in _as_list(values))
    cookies = document.get("cookies") or []
    if not isinstance(cookies, list) or not all(isinstance(c, str) for c in cookies):
        raise PreludeError("cookies must be a list of strings")
    headers = [(name, value.strip(" \t")) for name, value in headers]
    for name, value in [*headers, *(("set-cookie", cookie) for cookie in cookies)]:
        if not _TOKEN.fullmatch(name) or any(ch in value for ch in "\r\n\0"):
            raise PreludeError(f"invalid header {name!r}: {value!r}")
    return HttpMetadata(status, headers, [cookie.strip(" \t") for cookie in cookies])


def _as_list(value: object) -> list[object]:
    return value if isinstance(value, list) else [value]


def _header_value(name: object, value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    raise PreludeError(f"header {name!r} must be a string or number, got {value!r}")


def buffered_http_response(payload: bytes) -> tuple[HttpMetadata, bytes]:
    """Translate a function's return value as a BUFFERED Function URL does.

    A JSON object with ``statusCode`` is an HTTP response (``body`` text, or base64 when
    ``isBase64Encoded``); any other valid JSON is sent as-is with 200 and
    ``content-type: application/json``. Anything else raises ``PreludeError`` (502).
    """
    try:
        document = json.loads(payload)
    except ValueError as error:
        raise PreludeError(
            "the function's response is not JSON, which a BUFFERED Function URL requires "
            "(a streaming handler needs --invoke-mode RESPONSE_STREAM)"
        ) from error
    if not isinstance(document, dict) or "statusCode" not in document:
        return HttpMetadata(200, [("content-type", "application/json")]), payload
    metadata = _metadata(document)
    body = document.get("body")
    if body is None:
        data = b""
    elif not isinstance(body, str):
        data = json.dumps(body).encode()
    elif document.get("isBase64Encoded"):
        try:
            data = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError) as error:
            raise PreludeError(
                f"isBase64Encoded is true but body is not base64: {error}"
            ) from error
    else:
        data = body.encode()
    return metadata, data

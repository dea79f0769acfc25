"""Encoder for the AWS event-stream binary framing (``application/vnd.amazon.eventstream``).

This module owns the bytes of one event-stream message and nothing else: no sockets, no
HTTP, no service models. It is what the emulator's ``InvokeWithResponseStream`` front door and
the fake Bedrock write on the wire, and what botocore's ``EventStreamBuffer`` parses on the
other side (the tests use botocore as the oracle).

Stable API (other emulator modules import these names; keep them):

- ``encode_event(event_type, payload, *, content_type=None) -> bytes``: an ``event`` message,
  e.g. ``encode_event("PayloadChunk", b"hello")`` or
  ``encode_event("contentBlockDelta", json_bytes, content_type="application/json")``.
- ``encode_exception(exception_type, payload, *, content_type="application/json") -> bytes``:
  a modelled service exception, e.g. ``encode_exception("throttlingException",
  b'{"message":"slow down"}')``; botocore raises it as ``client.exceptions.<Type>``.
- ``encode_error(error_code, error_message) -> bytes``: an unmodelled ``:message-type: error``
  message; botocore raises ``EventStreamError`` with that code and message.
- ``encode_message(headers, payload) -> bytes``: the general form the three above use.
- ``HeaderValue``: the Python types a header value may have, and how each is tagged.
- ``MAX_PAYLOAD_LENGTH``, ``MAX_HEADERS_LENGTH``: the largest sizes botocore accepts.

Message layout (all integers big-endian)::

    total length (u32) | headers length (u32) | prelude CRC32 (u32)   <- the 12-byte prelude
    headers: { name length (u8) | name (UTF-8) | type tag (u8) | value }*
    payload
    message CRC32 (u32) over everything before it, the prelude CRC included
"""

import datetime
import struct
import uuid
import zlib
from collections.abc import Mapping

HeaderValue = bool | int | str | bytes | datetime.datetime | uuid.UUID
"""A header value. ``str`` is tagged string (7), ``bytes`` byte array (6), ``bool`` true/false
(0/1), ``int`` int32 (4) when it fits else int64 (5), ``datetime`` a timestamp in epoch
milliseconds (8), ``UUID`` uuid (9). The byte (2) and short (3) tags are never written."""

PRELUDE_LENGTH = 12
CRC_LENGTH = 4
# botocore.eventstream refuses larger messages (_MAX_HEADERS_LENGTH, _MAX_PAYLOAD_LENGTH).
MAX_HEADERS_LENGTH = 128 * 1024
MAX_PAYLOAD_LENGTH = 24 * 1024 * 1024

_TRUE, _FALSE, _INT32, _INT64, _BYTES, _STRING, _TIMESTAMP, _UUID = 0, 1, 4, 5, 6, 7, 8, 9
_MAX_SHORT_LENGTH = 0xFFFF
_MAX_NAME_LENGTH = 0xFF
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


def encode_event(event_type: str, payload: bytes, *, content_type: str | None = None) -> bytes:
    """Encode one ``:message-type: event`` message.

    >>> frame = encode_event("PayloadChunk", b"hi")
    >>> frame[-6:-4]
    b'hi'
    """
    headers: dict[str, HeaderValue] = {":event-type": event_type}
    if content_type is not None:
        headers[":content-type"] = content_type
    headers[":message-type"] = "event"
    return encode_message(headers, payload)


def encode_exception(
    exception_type: str, payload: bytes, *, content_type: str = "application/json"
) -> bytes:
    """Encode one ``:message-type: exception`` message (a modelled error ending the stream).

    The payload is usually JSON such as ``{"message": "..."}``; botocore maps it onto the
    exception shape named by ``exception_type`` in the service model.
    """
    return encode_message(
        {
            ":exception-type": exception_type,
            ":content-type": content_type,
            ":message-type": "exception",
        },
        payload,
    )


def encode_error(error_code: str, error_message: str) -> bytes:
    """Encode one ``:message-type: error`` message (an unmodelled error, empty payload)."""
    return encode_message(
        {":error-code": error_code, ":error-message": error_message, ":message-type": "error"},
        b"",
    )


def encode_message(headers: Mapping[str, HeaderValue], payload: bytes) -> bytes:
    """Encode one message with the given headers (in order) and payload.

    Raises ``ValueError`` when a name or value does not fit its length field, or when the
    headers or payload exceed what botocore accepts.
    """
    encoded_headers = b"".join(_encode_header(name, value) for name, value in headers.items())
    if len(encoded_headers) > MAX_HEADERS_LENGTH:
        raise ValueError(
            f"event-stream headers are {len(encoded_headers)} bytes, max {MAX_HEADERS_LENGTH}"
        )
    if len(payload) > MAX_PAYLOAD_LENGTH:
        raise ValueError(f"event-stream payload is {len(payload)} bytes, max {MAX_PAYLOAD_LENGTH}")
    total_length = PRELUDE_LENGTH + len(encoded_headers) + len(payload) + CRC_LENGTH
    lengths = struct.pack(">II", total_length, len(encoded_headers))
    prelude = lengths + struct.pack(">I", zlib.crc32(lengths))
    body = prelude + encoded_headers + bytes(payload)
    return body + struct.pack(">I", zlib.crc32(body))


def _encode_header(name: str, value: HeaderValue) -> bytes:
    raw_name = name.encode("utf-8")
    if not 0 < len(raw_name) <= _MAX_NAME_LENGTH:
        raise ValueError(f"event-stream header name must be 1..255 bytes: {name!r}")
    return struct.pack(">B", len(raw_name)) + raw_name + _encode_value(name, value)


def _encode_value(name: str, value: HeaderValue) -> bytes:
    # bool before int: bool is a subclass of int.
    if isinstance(value, bool):
        return struct.pack(">B", _TRUE if value else _FALSE)
    if isinstance(value, int):
        fits_int32 = -(2**31) <= value < 2**31
        return (
            struct.pack(">Bi", _INT32, value) if fits_int32 else struct.pack(">Bq", _INT64, value)
        )
    if isinstance(value, str | bytes):
        raw = value.encode("utf-8") if isinstance(value, str) else value
        if len(raw) > _MAX_SHORT_LENGTH:
            raise ValueError(f"event-stream header {name!r} value is {len(raw)} bytes, max 65535")
        return struct.pack(">BH", _STRING if isinstance(value, str) else _BYTES, len(raw)) + raw
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            raise ValueError(f"event-stream timestamp header {name!r} needs a timezone")
        millis = (value - _EPOCH) // datetime.timedelta(milliseconds=1)
        return struct.pack(">Bq", _TIMESTAMP, millis)
    return struct.pack(">B", _UUID) + value.bytes

"""The framing the runtime sends, parsed by an independent HTTP/1.1 implementation (h11)."""

from __future__ import annotations

import base64
import json

import h11
from hypothesis import given
from hypothesis import strategies as st

from lambda_streaming.internals import wire

TOKEN = st.text(
    alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-",
    min_size=1,
    max_size=30,
    # h11 (the independent parser) checks these two framing fields' values even in trailers.
).filter(lambda name: name.lower() not in ("content-length", "transfer-encoding"))
FIELD_VALUE = st.text(
    alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=60
)


def _parse(message: bytes) -> tuple[h11.Request, list[bytes], list[tuple[bytes, bytes]]]:
    server = h11.Connection(h11.SERVER)
    server.receive_data(message)
    request, chunks, trailers = None, [], None
    while True:
        event = server.next_event()
        if isinstance(event, h11.Request):
            request = event
        elif isinstance(event, h11.Data):
            chunks.append(bytes(event.data))
            assert event.chunk_start and event.chunk_end  # one write, one whole chunk
        elif isinstance(event, h11.EndOfMessage):
            trailers = list(event.headers)
            break
        else:
            raise AssertionError(f"unexpected {event!r}")
    assert request is not None and trailers is not None
    return request, chunks, trailers


def _message(chunks: list[bytes], trailers: tuple[tuple[str, str], ...]) -> bytes:
    head = wire.request_head(
        "POST",
        "/2018-06-01/runtime/invocation/id/response",
        "127.0.0.1:9001",
        wire.STREAMING_HEADERS,
    )
    body = b"".join(bytes(part) for chunk in chunks for part in wire.chunk_frame(chunk))
    return head + body + wire.last_chunk(trailers)


@given(
    chunks=st.lists(st.binary(max_size=300), max_size=20),
    trailers=st.lists(st.tuples(TOKEN, FIELD_VALUE), max_size=4),
)
def test_any_chunks_and_trailers_round_trip(
    chunks: list[bytes], trailers: list[tuple[str, str]]
) -> None:
    request, received, received_trailers = _parse(_message(chunks, tuple(trailers)))
    assert (b"lambda-runtime-function-response-mode", b"streaming") in request.headers
    # Empty writes produce no chunk; every other write is exactly one chunk, in order.
    assert received == [chunk for chunk in chunks if chunk]
    assert received_trailers == [
        (name.lower().encode(), value.encode()) for name, value in trailers
    ]


@given(
    error_type=st.sampled_from(["Function.ValueError", "Runtime.StreamError"]),
    message=st.text(max_size=200),
    stack=st.lists(st.text(max_size=80), max_size=5),
)
def test_error_trailers_carry_base64_json_without_line_breaks(
    error_type: str, message: str, stack: list[str]
) -> None:
    payload = {
        "errorMessage": message,
        "errorType": "ValueError",
        "requestId": "id",
        "stackTrace": stack,
    }
    trailers = wire.error_trailers(error_type, payload)
    _, _, received = _parse(_message([b"partial"], trailers))
    received_map = dict(received)
    assert received_map[b"lambda-runtime-function-error-type"] == error_type.encode()
    body = received_map[b"lambda-runtime-function-error-body"]
    assert b"\r" not in body and b"\n" not in body
    assert json.loads(base64.b64decode(body, validate=True)) == payload


@given(
    headers=st.dictionaries(st.text(max_size=20), st.text(max_size=40), max_size=5),
    status=st.integers(100, 599),
)
def test_prelude_is_json_then_exactly_eight_nuls(headers: dict[str, str], status: int) -> None:
    metadata = {"statusCode": status, "headers": headers}
    prelude = wire.http_prelude(metadata)
    assert prelude.endswith(b"\x00" * 8)
    assert b"\x00" not in prelude[:-8]  # even when a header holds NUL: JSON escapes it
    assert json.loads(prelude[:-8]) == metadata


def test_oversize_prelude_is_refused_with_the_limit() -> None:
    try:
        wire.http_prelude({"statusCode": 200, "headers": {"x": "y" * 20000}})
    except ValueError as error:
        assert "16 KiB" in str(error)
    else:
        raise AssertionError("a 20 KB prelude was accepted")


def test_empty_data_is_no_chunk() -> None:
    assert wire.chunk_frame(b"") == ()
    assert b"".join(wire.chunk_frame(b"abc")) == b"3\r\nabc\r\n"

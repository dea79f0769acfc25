"""The event-stream encoder, checked against botocore's own parser (the client side)."""

import datetime
import json
import uuid
import zlib
from collections.abc import Iterator

import botocore.session
import pytest
from botocore.eventstream import ChecksumMismatch, EventStream, EventStreamBuffer
from botocore.exceptions import EventStreamError
from botocore.parsers import create_parser
from hypothesis import given
from hypothesis import strategies as st

from emulator.eventstream import (
    MAX_PAYLOAD_LENGTH,
    HeaderValue,
    encode_error,
    encode_event,
    encode_exception,
    encode_message,
)


def parse_all(data: bytes) -> list[tuple[dict[str, object], bytes]]:
    buffer = EventStreamBuffer()
    buffer.add_data(data)
    return [(dict(message.headers), message.payload) for message in buffer]


class _RawStream:
    """What botocore's EventStream reads from: an object with ``stream()``."""

    def __init__(self, pieces: list[bytes]) -> None:
        self._pieces = pieces

    def stream(self) -> Iterator[bytes]:
        yield from self._pieces

    def close(self) -> None:
        pass


def service_events(service: str, operation: str, pieces: list[bytes]) -> EventStream:
    """Parse raw bytes exactly as boto3 does for ``operation``'s event stream."""
    session = botocore.session.get_session()
    model = session.get_service_model(service).operation_model(operation)
    stream_member = next(
        shape
        for shape in model.output_shape.members.values()
        if shape.serialization.get("eventstream")
    )
    # The same event parser botocore hands to EventStream when a real response arrives.
    parser = create_parser(model.metadata["protocol"])._event_stream_parser
    return EventStream(_RawStream(pieces), stream_member, parser, operation)


def test_event_frame_parses_with_expected_headers_and_payload() -> None:
    frame = encode_event("PayloadChunk", b"hello", content_type="application/octet-stream")
    assert parse_all(frame) == [
        (
            {
                ":event-type": "PayloadChunk",
                ":content-type": "application/octet-stream",
                ":message-type": "event",
            },
            b"hello",
        )
    ]


def test_frame_layout_lengths_and_crcs_by_hand() -> None:
    frame = encode_event("E", b"xyz")
    total, headers_length, prelude_crc = (
        int.from_bytes(frame[i : i + 4], "big") for i in (0, 4, 8)
    )
    assert total == len(frame)
    assert prelude_crc == zlib.crc32(frame[:8])
    assert frame[12 + headers_length : -4] == b"xyz"
    assert int.from_bytes(frame[-4:], "big") == zlib.crc32(frame[:-4])


def test_lambda_invoke_with_response_stream_events_as_boto3_sees_them() -> None:
    chunk1 = encode_event("PayloadChunk", b'{"statusCode":200}' + b"\0" * 8 + b"hello ")
    chunk2 = encode_event("PayloadChunk", b"world")
    complete = encode_event(
        "InvokeComplete",
        json.dumps(
            {"ErrorCode": "Function.ValueError", "ErrorDetails": "boom", "LogResult": ""}
        ).encode(),
        content_type="application/json",
    )
    # Split the bytes mid-frame, as a socket would deliver them.
    data = chunk1 + chunk2 + complete
    pieces = [data[:7], data[7:50], data[50:]]
    events = list(service_events("lambda", "InvokeWithResponseStream", pieces))
    assert events == [
        {"PayloadChunk": {"Payload": b'{"statusCode":200}' + b"\0" * 8 + b"hello "}},
        {"PayloadChunk": {"Payload": b"world"}},
        {
            "InvokeComplete": {
                "ErrorCode": "Function.ValueError",
                "ErrorDetails": "boom",
                "LogResult": "",
            }
        },
    ]


def test_bedrock_converse_stream_event_and_modelled_exception() -> None:
    delta = encode_event(
        "contentBlockDelta",
        json.dumps({"contentBlockIndex": 0, "delta": {"text": "Hi"}}).encode(),
        content_type="application/json",
    )
    throttled = encode_exception("throttlingException", b'{"message":"slow down"}')
    stream = iter(service_events("bedrock-runtime", "ConverseStream", [delta, throttled]))
    assert next(stream) == {"contentBlockDelta": {"contentBlockIndex": 0, "delta": {"text": "Hi"}}}
    with pytest.raises(EventStreamError) as raised:
        next(stream)
    assert raised.value.response["Error"]["Code"] == "throttlingException"
    assert raised.value.response["Error"]["Message"] == "slow down"


def test_unmodelled_error_message() -> None:
    stream = iter(
        service_events("lambda", "InvokeWithResponseStream", [encode_error("Oops", "it broke")])
    )
    with pytest.raises(EventStreamError) as raised:
        next(stream)
    assert raised.value.response["Error"] == {"Code": "Oops", "Message": "it broke"}


def test_every_header_type_round_trips() -> None:
    when = datetime.datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=datetime.UTC)
    ident = uuid.UUID("12345678-1234-5678-1234-567812345678")
    headers: dict[str, HeaderValue] = {
        "t": True,
        "f": False,
        "i32": -(2**31),
        "i64": 2**40,
        "s": "snow ☃",
        "b": b"\x00\xff",
        "ts": when,
        "u": ident,
    }
    [(parsed, payload)] = parse_all(encode_message(headers, b""))
    assert payload == b""
    assert parsed == {
        "t": True,
        "f": False,
        "i32": -(2**31),
        "i64": 2**40,
        "s": "snow ☃",
        "b": b"\x00\xff",
        "ts": int(when.timestamp() * 1000),
        "u": ident.bytes,
    }


def test_corrupted_frame_is_rejected_by_the_parser() -> None:
    frame = bytearray(encode_event("PayloadChunk", b"hello"))
    frame[-6] ^= 0xFF
    with pytest.raises(ChecksumMismatch):
        parse_all(bytes(frame))


@pytest.mark.parametrize(
    ("headers", "payload", "message"),
    [
        ({"": "x"}, b"", "name must be 1..255"),
        ({"n" * 256: "x"}, b"", "name must be 1..255"),
        ({"s": "x" * 65536}, b"", "max 65535"),
        ({"ts": datetime.datetime(2026, 1, 1)}, b"", "needs a timezone"),
        ({}, bytes(MAX_PAYLOAD_LENGTH + 1), "payload is"),
    ],
)
def test_values_that_do_not_fit_raise_value_error(
    headers: dict[str, HeaderValue], payload: bytes, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        encode_message(headers, payload)


header_values = st.one_of(
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.text(max_size=40),
    st.binary(max_size=40),
)


@given(
    messages=st.lists(
        st.tuples(
            st.dictionaries(st.text(min_size=1, max_size=20), header_values, max_size=5),
            st.binary(max_size=300),
        ),
        max_size=4,
    ),
    split=st.integers(min_value=1, max_value=64),
)
def test_any_sequence_of_messages_round_trips_through_botocore(
    messages: list[tuple[dict[str, HeaderValue], bytes]], split: int
) -> None:
    data = b"".join(encode_message(headers, payload) for headers, payload in messages)
    buffer = EventStreamBuffer()
    parsed = []
    for start in range(0, len(data), split):
        buffer.add_data(data[start : start + split])
        parsed.extend((dict(m.headers), m.payload) for m in buffer)
    assert parsed == [(dict(h), p) for h, p in messages]

"""The HTTP integration prelude and the BUFFERED Function URL translation."""

import base64
import itertools
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emulator.prelude import (
    DELIMITER,
    MAX_PRELUDE_BYTES,
    HttpMetadata,
    PreludeError,
    PreludeReader,
    buffered_http_response,
    parse_metadata,
)

PRELUDE = {
    "statusCode": 201,
    "headers": {"content-type": "text/plain", "x-n": 5, "Transfer-Encoding": "chunked"},
    "cookies": ["a=1; Path=/", "b=2"],
}


def read_all(pieces: list[bytes]) -> tuple[HttpMetadata, bytes]:
    reader = PreludeReader()
    parsed = None
    rest = b""
    for piece in pieces:
        if parsed is None:
            parsed = reader.feed(piece)
            if parsed is not None:
                rest = parsed[1]
        else:
            rest += piece
    assert parsed is not None
    return parsed[0], rest


@given(body=st.binary(max_size=200), cuts=st.lists(st.integers(min_value=0, max_value=400)))
def test_prelude_is_found_whatever_the_chunk_boundaries(body: bytes, cuts: list[int]) -> None:
    data = json.dumps(PRELUDE).encode() + DELIMITER + body
    points = sorted({min(c, len(data)) for c in cuts} | {0, len(data)})
    pieces = [data[a:b] for a, b in itertools.pairwise(points)]
    metadata, rest = read_all(pieces)
    assert rest == body
    assert metadata.status_code == 201
    assert metadata.header_lines() == [
        ("content-type", "text/plain"),
        ("x-n", "5"),
        ("set-cookie", "a=1; Path=/"),
        ("set-cookie", "b=2"),
    ]


def test_defaults_and_multi_value_headers() -> None:
    metadata = parse_metadata(b'{"multiValueHeaders": {"x-a": ["1", "2"]}}')
    assert metadata == HttpMetadata(200, [("x-a", "1"), ("x-a", "2")], [])


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"not json", "not valid JSON"),
        (b"[1]", "JSON object"),
        (b'{"statusCode": "200"}', "statusCode"),
        (b'{"statusCode": 99}', "statusCode"),
        (b'{"headers": {"x": {"a": 1}}}', "string or number"),
        (b'{"headers": {"x": "a\\r\\nb: c"}}', "invalid header"),
        (b'{"cookies": "a=1"}', "cookies"),
    ],
)
def test_bad_preludes_are_rejected_with_the_reason(raw: bytes, message: str) -> None:
    with pytest.raises(PreludeError, match=message):
        parse_metadata(raw)


def test_no_delimiter_within_16_kib_is_an_error() -> None:
    reader = PreludeReader()
    assert reader.feed(b"x" * MAX_PRELUDE_BYTES) is None
    with pytest.raises(PreludeError, match="no 8-NUL delimiter"):
        reader.feed(b"x")


# The three examples of "Response payload format" in the Function URL docs.
def test_buffered_string_becomes_json_with_200() -> None:
    metadata, body = buffered_http_response(b'"Hello, world!"')
    assert (metadata.status_code, metadata.headers, body) == (
        200,
        [("content-type", "application/json")],
        b'"Hello, world!"',
    )


def test_buffered_object_without_status_code_is_sent_as_is() -> None:
    payload = b'{"message": "Hello, world!"}'
    metadata, body = buffered_http_response(payload)
    assert (metadata.status_code, body) == (200, payload)


def test_buffered_http_shape_with_cookies_and_base64_body() -> None:
    payload = json.dumps(
        {
            "statusCode": 201,
            "headers": {"Content-Type": "application/json", "My-Custom-Header": "Custom Value"},
            "body": base64.b64encode(b"\x00bin").decode(),
            "isBase64Encoded": True,
            "cookies": ["Cookie_1=Value1; Max-Age=78000"],
        }
    ).encode()
    metadata, body = buffered_http_response(payload)
    assert metadata.status_code == 201
    assert ("set-cookie", "Cookie_1=Value1; Max-Age=78000") in metadata.header_lines()
    assert body == b"\x00bin"


def test_buffered_non_json_is_an_error_that_names_the_fix() -> None:
    with pytest.raises(PreludeError, match="RESPONSE_STREAM"):
        buffered_http_response(b"plain text")


def test_header_names_must_be_tokens_and_values_are_trimmed() -> None:
    with pytest.raises(PreludeError, match="invalid header"):
        parse_metadata(b'{"headers": {"x(y)": "1"}}')
    with pytest.raises(PreludeError, match="invalid header"):
        parse_metadata(b'{"cookies": ["a=1\\r\\nx: y"]}')
    assert parse_metadata(b'{"headers": {"x-a": "  v "}}').headers == [("x-a", "v")]

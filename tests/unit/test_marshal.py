"""Events and buffered results are byte for byte what awslambdaric reads and writes.

``internals/marshal.py`` decodes events with the standard library's C scanner and encodes
results through simplejson's C encoder built once; both are checked here against awslambdaric's
own marshaller (as on the managed python3.13 runtime: ``ensure_ascii=False``) on generated
values, including the types where the two JSON libraries differ.
"""

from __future__ import annotations

import base64
import decimal
import enum
import json
from collections import namedtuple
from unittest.mock import ANY

import pytest
from awslambdaric.lambda_runtime_marshaller import LambdaMarshaller
from hypothesis import given, settings
from hypothesis import strategies as st

from lambda_streaming.api.errors import FaultError
from lambda_streaming.internals.marshal import marshal_result, unmarshal_event
from lambda_streaming.internals.wire import compact_json, error_trailers

Point = namedtuple("Point", "x y")


class Colour(enum.IntEnum):
    RED = 1


class Text(str):
    pass


@pytest.fixture(scope="module")
def managed() -> LambdaMarshaller:
    import os

    previous = os.environ.get("AWS_EXECUTION_ENV")
    os.environ["AWS_EXECUTION_ENV"] = "AWS_Lambda_python3.13"
    try:
        return LambdaMarshaller()
    finally:
        if previous is None:
            del os.environ["AWS_EXECUTION_ENV"]
        else:
            os.environ["AWS_EXECUTION_ENV"] = previous


scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(st.characters(exclude_categories=["Cs"]))  # a lone surrogate is not UTF-8
    | st.decimals(allow_nan=True, allow_infinity=False)
    | st.sampled_from([Colour.RED, Text("sub"), b"raw", "\u2028\u2029", '\x00\x1f"\\'])
)
values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.text() | st.integers() | st.floats() | st.booleans(), children, max_size=4
        )
        | st.tuples(children, children).map(lambda pair: Point(*pair))
        | st.lists(children, max_size=3).map(tuple)
        | st.frozensets(st.integers(), max_size=2)
    ),
    max_leaves=12,
)


def _expected(managed: LambdaMarshaller, value: object) -> tuple[bytes, str] | str:
    try:
        body, content_type = managed.marshal_response(value)
    except Exception as error:  # the failure's message is what is compared
        return str(error.msg)  # type: ignore[attr-defined]  # awslambdaric's FaultException
    return (body if isinstance(body, bytes) else body.encode()), content_type


def _ours(value: object) -> tuple[bytes, str] | str:
    try:
        return marshal_result(value)
    except FaultError as error:
        return str(error)


@settings(max_examples=400, deadline=None)
@given(values)
def test_results_encode_as_awslambdaric_encodes_them(managed: LambdaMarshaller, value) -> None:
    assert _ours(value) == _expected(managed, value)


def test_a_failed_encoding_leaves_nothing_behind(managed: LambdaMarshaller) -> None:
    shared: list[object] = [1, {2}]
    assert "not JSON serializable" in _ours({"a": shared})
    shared.pop()
    # The same list again: a marker left by the failure would read as a cycle.
    assert _ours({"a": shared}) == _expected(managed, {"a": shared}) == (b'{"a": [1]}', ANY)
    cyclic: list[object] = []
    cyclic.append(cyclic)
    assert _ours(cyclic) == _expected(managed, cyclic)


json_texts = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(), children),
    max_leaves=12,
).map(lambda value: json.dumps(value, ensure_ascii=False))


def _decoded_by_awslambdaric(managed: LambdaMarshaller, body: bytes) -> tuple[str, object]:
    try:
        return "ok", managed.unmarshal_request(body)
    except Exception as error:  # awslambdaric's FaultException
        return "error", str(error.msg)  # type: ignore[attr-defined]


def _decoded_by_us(body: bytes) -> tuple[str, object]:
    try:
        return "ok", unmarshal_event(body, "application/json")
    except FaultError as error:
        return "error", str(error)


@settings(max_examples=300, deadline=None)
@given(json_texts, st.sampled_from(["", " ", "\n\t ", "\r\n"]))
def test_events_decode_as_awslambdaric_decodes_them(managed, text: str, padding: str) -> None:
    body = (padding + text + padding).encode()
    assert _decoded_by_us(body) == _decoded_by_awslambdaric(managed, body)


@pytest.mark.parametrize(
    "body",
    [
        b'\xef\xbb\xbf{"bom": 1}',
        b'{"n": NaN}',
        b"Infinity",
        b'{"a": 1} x',
        b"",
        b"   ",
        b'{"a": "\\ud800"}',
        b'{"a": "\\ud834\\udd1e"}',
        b'{"a": "\\ud834\\u0041"}',
        b"\xff",
        b"\xed\xa0\x80",
        b'{"a": "\x01"}',
        b"[" * 100_000,
        b"1" * 5000,
        b'{"a": 1, "a": 2}',
        b"-0",
        b"01",
        b"1e400",
        b"1.5E+3",
    ],
)
def test_edge_events_match_awslambdaric_value_or_message(managed, body: bytes) -> None:
    assert _decoded_by_us(body) == _decoded_by_awslambdaric(managed, body)


def test_other_content_types_stay_bytes() -> None:
    assert unmarshal_event(b"<xml/>", "application/xml") == b"<xml/>"


def test_a_decimal_keeps_its_digits() -> None:
    assert marshal_result({"d": decimal.Decimal("1.10")}) == (b'{"d": 1.10}', "application/json")


def _dumped(value: object) -> str:
    try:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    except (TypeError, ValueError) as error:
        return f"{type(error).__name__}: {error}"


def _compact(value: object) -> str:
    try:
        return compact_json(value)
    except (TypeError, ValueError) as error:
        return f"{type(error).__name__}: {error}"


@settings(max_examples=300, deadline=None)
@given(values)
def test_preludes_and_trailers_are_json_dumps_byte_for_byte(value) -> None:
    # wire.compact_json writes the HTTP prelude and the error trailer's body without `json`.
    assert _compact(value) == _dumped(value)


def test_the_error_trailer_body_is_standard_base64_of_compact_json() -> None:
    payload = {"errorMessage": "naïve\n\u2028", "errorType": "E", "stackTrace": ["a", "b"]}
    (_, _), (_, body) = error_trailers("E", payload)
    expected = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    assert body == base64.b64encode(expected).decode("ascii")

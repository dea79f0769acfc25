"""Every (state x call) pair of the response state machine: it does its one thing or refuses.

No sockets: the wire is a recorder of what would be sent, so each pair is checked by the bytes
and trailers it would put on the wire and by the state it leaves. The functional tests check
the same machine against a real Runtime API.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from lambda_streaming import InvalidStreamingOperation, StreamInterrupted
from lambda_streaming.internals.response import Response, StreamState
from lambda_streaming.internals.runtime_api import AnswerLost
from lambda_streaming.internals.wire import HTTP_INTEGRATION_CONTENT_TYPE

S = StreamState


class Wire:
    """Records what a response sends; can be told to lose the answer."""

    def __init__(self) -> None:
        self.opened_with: str | None = None
        self.chunks: list[bytes] = []
        self.trailers: tuple[tuple[str, str], ...] | None = None
        self.aborted = False
        self.lose = False

    def send(self, data: bytes | bytearray | memoryview) -> None:
        if self.lose:
            raise AnswerLost("POST (streaming) failed: the Runtime API answered 413", None)
        self.chunks.append(bytes(data))

    def finish(self, trailers: tuple[tuple[str, str], ...]) -> None:
        self.trailers = trailers

    def abort(self) -> None:
        self.aborted = True


def _open(wire: Wire) -> Callable[[str], Wire]:
    def open_wire(content_type: str) -> Wire:
        wire.opened_with = content_type
        return wire

    return open_wire


def in_state(state: str) -> tuple[Response, Wire]:
    wire = Wire()
    response = Response(_open(wire), "req-1")
    if state is S.HTTP:
        response.set_http_metadata({"statusCode": 201})
    elif state is S.OPEN:
        response.write(b"a")
    elif state is S.ENDED:
        response.end(b"a")
    elif state is S.FAILED_UNSENT:
        response.fail(ValueError("early"))
    elif state is S.FAILED_SENT:
        response.write(b"a")
        response.fail(ValueError("late"))
    assert response.state is state
    return response, wire


CALLS: dict[str, Callable[[Response], object]] = {
    "set_content_type()": lambda r: r.set_content_type("text/plain"),
    "HttpResponseStream.from_stream()": lambda r: r.set_http_metadata({"statusCode": 404}),
    "write()": lambda r: r.write(b"b"),
    "end()": lambda r: r.end(),
    "end(data)": lambda r: r.end(b"b"),
    "fail()": lambda r: r.fail(RuntimeError("x")),
}

# (state, call) -> state after it, or None when the call must be refused.
EXPECTED: dict[tuple[str, str], str | None] = {
    (S.IDLE, "set_content_type()"): S.IDLE,
    (S.IDLE, "HttpResponseStream.from_stream()"): S.HTTP,
    (S.IDLE, "write()"): S.OPEN,
    (S.IDLE, "end()"): S.ENDED,
    (S.IDLE, "end(data)"): S.ENDED,
    (S.IDLE, "fail()"): S.FAILED_UNSENT,
    (S.HTTP, "set_content_type()"): None,
    (S.HTTP, "HttpResponseStream.from_stream()"): None,
    (S.HTTP, "write()"): S.OPEN,
    (S.HTTP, "end()"): S.ENDED,
    (S.HTTP, "end(data)"): S.ENDED,
    (S.HTTP, "fail()"): S.FAILED_UNSENT,
    (S.OPEN, "set_content_type()"): None,
    (S.OPEN, "HttpResponseStream.from_stream()"): None,
    (S.OPEN, "write()"): S.OPEN,
    (S.OPEN, "end()"): S.ENDED,
    (S.OPEN, "end(data)"): S.ENDED,
    (S.OPEN, "fail()"): S.FAILED_SENT,
}
for over in (S.ENDED, S.FAILED_UNSENT, S.FAILED_SENT):
    for call in CALLS:
        EXPECTED[(over, call)] = over if call == "end()" else None


def test_the_table_covers_every_pair() -> None:
    assert set(EXPECTED) == {(state, call) for state in StreamState.ALL for call in CALLS}


@pytest.mark.parametrize(("state", "call"), sorted(EXPECTED))
def test_each_call_in_each_state(state: str, call: str) -> None:
    response, wire = in_state(state)
    before = (list(wire.chunks), wire.trailers)
    expected = EXPECTED[(state, call)]
    if expected is None:
        with pytest.raises(InvalidStreamingOperation) as refused:
            CALLS[call](response)
        message = str(refused.value)
        assert message.startswith(call.replace("(data)", "()")) or "write()" in message
        assert f"in state '{state}'" in message
        assert response.state is state
        assert (wire.chunks, wire.trailers) == before  # a refused call sends nothing
        return
    CALLS[call](response)
    assert response.state is expected
    if expected is state:
        assert (wire.chunks[: len(before[0])], wire.trailers) == before
    elif expected is S.FAILED_SENT:
        assert wire.trailers is not None
        assert dict(wire.trailers)["Lambda-Runtime-Function-Error-Type"] == "Function.RuntimeError"
    if expected is S.ENDED and state is not S.ENDED:
        assert wire.trailers == ()
    if expected in (S.IDLE, S.HTTP, S.FAILED_UNSENT):
        assert wire.opened_with is None  # still nothing sent: /error remains possible


def test_http_metadata_goes_first_in_its_own_chunk_with_the_integration_content_type() -> None:
    response, wire = in_state(S.HTTP)
    response.write(b"body")
    assert wire.opened_with == HTTP_INTEGRATION_CONTENT_TYPE
    assert wire.chunks == [b'{"statusCode":201}' + b"\0" * 8, b"body"]


def test_a_rest_api_response_without_metadata_gets_a_200_prelude_with_its_content_type() -> None:
    wire = Wire()
    response = Response(_open(wire), "req-1", default_http=True)
    response.set_content_type("text/plain")
    response.end(b"hi")
    assert wire.opened_with == HTTP_INTEGRATION_CONTENT_TYPE
    assert wire.chunks[0] == b'{"statusCode":200,"headers":{"content-type":"text/plain"}}' + (
        b"\0" * 8
    )


def test_a_lost_answer_interrupts_the_writer_and_ends_the_stream() -> None:
    response, wire = in_state(S.OPEN)
    wire.lose = True
    with pytest.raises(StreamInterrupted):
        response.write(b"more")
    assert response.state is S.FAILED_SENT
    assert isinstance(response.answer, AnswerLost)
    with pytest.raises(InvalidStreamingOperation, match="failed after bytes went out"):
        response.write(b"again")
    response.complete()  # the runtime's end after the handler: nothing more to do
    assert response.state is S.FAILED_SENT

"""The response channel between the Runtime API side and a front door."""

import base64
import json
import threading

from emulator.invocation import (
    FunctionError,
    Invocation,
    InvocationFailed,
    InvocationRequest,
    ResponseChunk,
    ResponseEnd,
    ResponseStart,
)


def make() -> Invocation:
    return Invocation(
        InvocationRequest(payload=b"{}", streaming=True),
        function_arn="arn:aws:lambda:us-east-1:123456789012:function:f",
        timeout=3,
        max_response_bytes=100,
    )


def test_events_flow_in_order_and_end_with_the_final_event() -> None:
    invocation = make()
    assert invocation.emit(ResponseStart("text/plain"))
    assert invocation.emit(ResponseChunk(b"a"))
    assert invocation.emit(ResponseEnd())
    assert not invocation.fail(FunctionError.service("Sandbox.Timedout", "late"))
    events = list(invocation.events())
    assert events == [ResponseStart("text/plain"), ResponseChunk(b"a"), ResponseEnd()]


def test_first_failure_wins_and_fail_never_blocks_on_a_full_channel() -> None:
    invocation = make()
    invocation.emit(ResponseChunk(b"x" * (2 * 1024 * 1024)))  # one oversize chunk is admitted
    blocked = threading.Thread(target=invocation.emit, args=(ResponseChunk(b"y"),))
    blocked.start()  # waits: the channel is over its byte budget
    assert invocation.fail(FunctionError.service("Sandbox.Timedout", "t"))
    blocked.join(timeout=5)
    assert not blocked.is_alive()
    events = list(invocation.events())
    assert isinstance(events[-1], InvocationFailed)
    assert events[-1].error.error_type == "Sandbox.Timedout"
    assert ResponseChunk(b"y") not in events


def test_trailer_body_is_base64_json_and_bad_base64_gives_empty_details() -> None:
    body = json.dumps({"errorMessage": "boom", "errorType": "ValueError"}).encode()
    error = FunctionError.from_trailers("Function.ValueError", base64.b64encode(body).decode())
    assert (error.error_type, error.payload, error.message) == ("Function.ValueError", body, "boom")
    assert FunctionError.from_trailers("Function.X", "not base64!").payload == b""


def test_exit_error_reads_like_lambdas() -> None:
    assert FunctionError.exit_error("id", 1).message == (
        "RequestId: id Error: Runtime exited with error: exit status 1"
    )
    assert FunctionError.exit_error("id", -9).message.endswith("signal: kill")


def test_log_tail_keeps_the_last_4_kb() -> None:
    invocation = make()
    invocation.add_log(b"a" * 5000)
    invocation.add_log(b"end\n")
    assert len(invocation.log_tail()) == 4096
    assert invocation.log_tail().endswith(b"end\n")

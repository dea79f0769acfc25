"""Lambda's limits, failures and bad input, end to end through the real runtime.

Caps are lowered through FunctionConfig where a real-size body would only slow the suite;
one test keeps Lambda's real 6 MiB + 100 B buffered limit.
"""

import json
import logging
import socket
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from emulator.invocation import BUFFERED_RESPONSE_LIMIT, REQUEST_PAYLOAD_LIMIT
from tests.functional.emulator.conftest import StartEmulator, closing_client
from tests.functional.emulator.wire import Client


def invoke(client: Any, payload: dict[str, object]) -> tuple[str | None, Any]:
    response = client.invoke(FunctionName="function", Payload=json.dumps(payload))
    return response.get("FunctionError"), json.loads(response["Payload"].read())


def stream_events(client: Any, payload: dict[str, object]) -> list[dict[str, Any]]:
    response = client.invoke_with_response_stream(
        FunctionName="function", Payload=json.dumps(payload)
    )
    return list(response["EventStream"])


def wait_until(predicate: Any, what: str) -> None:
    for _ in range(400):  # hang guard, 20 s
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def test_real_size_buffered_limit_6_mib_plus_100_bytes(start_emulator: StartEmulator) -> None:
    emulator = start_emulator("big_buffered", timeout=30)
    with closing_client(emulator) as client:
        # The JSON string adds two quotes: exactly the limit passes, one byte more does not.
        function_error, result = invoke(client, {"size": BUFFERED_RESPONSE_LIMIT - 2})
        assert function_error is None and len(result) == BUFFERED_RESPONSE_LIMIT - 2
        function_error, error = invoke(client, {"size": BUFFERED_RESPONSE_LIMIT - 1})
    assert function_error == "Unhandled"
    assert error["errorType"] == "Function.ResponseSizeTooLarge"
    assert str(BUFFERED_RESPONSE_LIMIT) in error["errorMessage"]


def test_a_stream_into_a_buffered_invoke_is_held_to_the_buffered_limit(
    start_emulator: StartEmulator,
) -> None:
    emulator = start_emulator("big_stream", buffered_response_limit=1000)
    with closing_client(emulator) as client:
        at_limit = client.invoke(FunctionName="function", Payload=json.dumps({"size": 1000}))
        assert at_limit["Payload"].read() == b"y" * 1000
        function_error, error = invoke(client, {"size": 1001})
    assert (function_error, error["errorType"]) == ("Unhandled", "Function.ResponseSizeTooLarge")


def test_a_stream_is_cut_at_the_streaming_cap(start_emulator: StartEmulator) -> None:
    emulator = start_emulator("big_stream", streamed_response_limit=200_000)
    with closing_client(emulator) as client:
        events = stream_events(client, {"size": 400_000})
    received = sum(len(e["PayloadChunk"]["Payload"]) for e in events if "PayloadChunk" in e)
    assert received <= 200_000
    assert events[-1]["InvokeComplete"]["ErrorCode"] == "Function.ResponseSizeTooLarge"
    with Client(emulator.invoke_endpoint.removeprefix("http://")) as raw:
        raw.request("GET", "/?size=400000")
        response = raw.response()
    assert response.status == 200 and not response.complete


def test_a_timeout_kills_the_sandbox_and_the_next_invoke_gets_a_fresh_one(
    start_emulator: StartEmulator,
) -> None:
    emulator = start_emulator("lifecycle", timeout=1)
    with closing_client(emulator) as client:
        _, first_pid = invoke(client, {})
        function_error, error = invoke(client, {"do": "sleep"})
        _, second_pid = invoke(client, {})
    assert function_error == "Unhandled"
    assert error["errorType"] == "Sandbox.Timedout"
    assert "Task timed out after 1.00 seconds" in error["errorMessage"]
    assert first_pid != second_pid
    assert emulator.function.sandbox_count == 1


def test_a_timeout_mid_stream_ends_the_stream_with_sandbox_timedout(
    start_emulator: StartEmulator, tmp_path: Path
) -> None:
    emulator = start_emulator("slow_stream", timeout=1)
    with closing_client(emulator) as client:
        events = stream_events(client, {"release": str(tmp_path / "never")})
    assert events[0] == {"PayloadChunk": {"Payload": b"first\n"}}
    assert events[-1]["InvokeComplete"]["ErrorCode"] == "Sandbox.Timedout"


def test_a_crash_is_runtime_exit_error_and_the_sandbox_is_replaced(
    start_emulator: StartEmulator,
) -> None:
    emulator = start_emulator("lifecycle")
    with closing_client(emulator) as client:
        _, first_pid = invoke(client, {})
        function_error, error = invoke(client, {"do": "crash"})
        _, second_pid = invoke(client, {})
    assert (function_error, error["errorType"]) == ("Unhandled", "Runtime.ExitError")
    assert error["errorMessage"].endswith("Runtime exited with error: exit status 3")
    assert first_pid != second_pid


def test_a_crash_mid_stream(start_emulator: StartEmulator, tmp_path: Path) -> None:
    emulator = start_emulator("crash_mid_stream", timeout=30)
    release = tmp_path / "release"
    with closing_client(emulator) as client:
        response = client.invoke_with_response_stream(
            FunctionName="function", Payload=json.dumps({"release": str(release)})
        )
        events = iter(response["EventStream"])
        assert next(events) == {"PayloadChunk": {"Payload": b"before the crash "}}
        release.touch()
        rest = list(events)
    assert rest[-1]["InvokeComplete"]["ErrorCode"] == "Runtime.ExitError"


@pytest.mark.parametrize(
    ("handler", "expected"),
    [
        ("broken_init.handler", "init failed on purpose"),
        ("emu_handlers.no_such_handler", "no_such_handler"),
    ],
)
def test_init_errors_fail_each_invoke_clearly(
    start_emulator: StartEmulator, handler: str, expected: str
) -> None:
    emulator = start_emulator(handler)
    with closing_client(emulator) as client:
        for _ in range(2):  # the failed sandbox is replaced and fails the same way
            function_error, error = invoke(client, {})
            assert function_error == "Unhandled"
            assert expected in error["errorMessage"]
    assert emulator.function.sandbox_count <= 1


def test_concurrent_invocations_get_their_own_sandboxes_up_to_the_limit(
    start_emulator: StartEmulator, tmp_path: Path
) -> None:
    emulator = start_emulator("pid", max_sandboxes=2, timeout=30)
    release = tmp_path / "release"
    pids: list[int] = []

    def call(index: int) -> None:
        with closing_client(emulator) as client:
            pids.append(
                invoke(client, {"release": str(release), "started": str(tmp_path / f"s{index}")})[1]
            )

    threads = [threading.Thread(target=call, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    wait_until(lambda: (tmp_path / "s0").exists() and (tmp_path / "s1").exists(), "both handlers")
    # Both sandboxes are busy: a third invocation is throttled, as at a concurrency limit.
    with closing_client(emulator) as client, pytest.raises(ClientError) as raised:
        client.invoke(FunctionName="function")
    assert raised.value.response["Error"]["Code"] == "TooManyRequestsException"
    with Client(emulator.function_url.removeprefix("http://").rstrip("/")) as raw:
        raw.request("GET", "/")
        assert raw.response().status == 429
    release.touch()
    for thread in threads:
        thread.join(timeout=30)
    assert len(set(pids)) == 2


def test_request_bodies_over_6_mib_are_413(start_emulator: StartEmulator) -> None:
    emulator = start_emulator("echo")
    too_big = b"x" * (REQUEST_PAYLOAD_LIMIT + 1)
    with closing_client(emulator) as client, pytest.raises(ClientError) as raised:
        client.invoke(FunctionName="function", Payload=too_big)
    assert raised.value.response["Error"]["Code"] == "RequestTooLargeException"
    with Client(emulator.function_url.removeprefix("http://").rstrip("/")) as raw:
        raw.request("POST", "/", [("Content-Type", "text/plain")], too_big)
        assert raw.response().status == 413


def test_malformed_http_gets_400_and_the_front_door_keeps_serving(
    start_emulator: StartEmulator,
) -> None:
    emulator = start_emulator("echo", invoke_mode="BUFFERED")
    host, port = emulator.invoke_endpoint.removeprefix("http://").split(":")
    for garbage in (
        b"GARBAGE\r\n\r\n",
        b"GET / HTTP/1.1\r\nBad Header\r\n\r\n",
        b"\x16\x03\x01\x00",
    ):
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            sock.sendall(garbage)
            sock.shutdown(socket.SHUT_WR)
            answer = sock.recv(65536)
        assert answer.startswith(b"HTTP/1.1 400 ") or answer == b""
    with Client(f"{host}:{port}") as raw:
        raw.request("GET", "/")
        assert raw.response().status == 200


def test_a_client_that_disconnects_mid_stream_does_not_stop_the_function(
    start_emulator: StartEmulator, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="emulator")
    emulator = start_emulator("slow_stream", timeout=30)
    release, finished = tmp_path / "release", tmp_path / "finished"
    with Client(emulator.function_url.removeprefix("http://").rstrip("/")) as raw:
        raw.request("GET", f"/?release={release}&finished={finished}&tail_kb=512")
        assert raw.response_head().status == 200
        assert raw.next_data() == b"first\n"
    release.touch()  # the client is gone; the handler goes on writing 512 KiB
    wait_until(finished.exists, "the handler to finish after the disconnect")
    wait_until(lambda: "client disconnected mid-stream" in caplog.text, "the disconnect log")
    wait_until(lambda: "invocation completed (no client" in caplog.text, "the drained invocation")
    with Client(emulator.function_url.removeprefix("http://").rstrip("/")) as raw:
        raw.request("GET", f"/?release={release}")
        assert raw.response().body == b"first\nsecond\n"


def test_bandwidth_shaping_keeps_the_bytes_intact(start_emulator: StartEmulator) -> None:
    emulator = start_emulator("chunks", shape_bandwidth=True)
    with closing_client(emulator) as client:
        events = stream_events(client, {})
    payload = b"".join(e["PayloadChunk"]["Payload"] for e in events if "PayloadChunk" in e)
    assert payload == b"chunk-0;chunk-1;chunk-2;chunk-3;chunk-4;"


def test_sequential_invocations_reuse_one_warm_sandbox(start_emulator: StartEmulator) -> None:
    emulator = start_emulator("lifecycle")
    with closing_client(emulator) as client:
        pids = {invoke(client, {})[1] for _ in range(4)}
    assert len(pids) == 1
    assert emulator.function.sandbox_count == 1

"""The runtime's concurrent mode (Lambda Managed Instances), on the real runtime/bootstrap.

The Runtime API is the emulator's (an independent implementation, on loopback) allowing 8
concurrent ``/next``; a subclass records every request's headers so a test can read what the
runtime echoed. Concurrency is proven by order, not by a clock: every invocation's first chunk
reaches the Runtime API before any invocation's second one, although each handler waits 1 s
between the two (sequential serving would take 8 s and interleave nothing).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from emulator.http11 import Exchange
from emulator.invocation import (
    Invocation,
    InvocationFailed,
    InvocationRequest,
    ResponseChunk,
    ResponseEnd,
    ResponseEvent,
)
from emulator.runtime_api import RuntimeApi

REPO = Path(__file__).resolve().parents[2]
BOOTSTRAP = REPO / "runtime" / "bootstrap"
HANDLERS = Path(__file__).resolve().parent / "handlers"
CONCURRENCY = 8
HANG_GUARD = 30.0


class RecordingApi(RuntimeApi):
    """The emulator's Runtime API, remembering (method, path, headers) of each request."""

    def __init__(self, concurrency: int) -> None:
        super().__init__(
            name="concurrent-test-api",
            exit_status=lambda _wait: None,
            on_init_error=lambda _error: None,
            max_concurrency=concurrency,
        )
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self._lock = threading.Lock()

    def _handle(self, exchange: Exchange) -> None:
        with self._lock:
            self.requests.append((exchange.method, exchange.target, dict(exchange.headers)))
        super()._handle(exchange)

    def echoed_nonce(self, request_id: str) -> str | None:
        with self._lock:
            for method, target, headers in self.requests:
                if method == "POST" and f"/invocation/{request_id}/" in target:
                    return headers.get("lambda-runtime-invocation-id")
        return None


class Environment:
    """A RecordingApi and the bootstrap running in concurrent mode against it."""

    def __init__(self, handler: str, env: dict[str, str] | None = None) -> None:
        self.api = RecordingApi(CONCURRENCY)
        self.api.start()
        self.process = subprocess.Popen(
            [str(BOOTSTRAP)],
            cwd=HANDLERS,
            env={
                "PATH": os.environ["PATH"],
                "AWS_LAMBDA_RUNTIME_API": self.api.address,
                "_HANDLER": f"lmi.{handler}",
                "LAMBDA_TASK_ROOT": str(HANDLERS),
                "AWS_LAMBDA_FUNCTION_NAME": "concurrent",
                "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "2048",
                "AWS_LAMBDA_MAX_CONCURRENCY": str(CONCURRENCY),
                "AWS_LAMBDA_INITIALIZATION_TYPE": "lambda-managed-instances",
                "AWS_LAMBDA_LOG_FORMAT": "JSON",
                "LAMBDA_STREAMING_PYTHON": sys.executable,
                **(env or {}),
            },
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own group: worker processes are killed with it
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.decode("utf-8", "replace").rstrip("\n"))

    def invoke(self, payload: dict[str, Any], *, timeout: float = 10.0) -> Invocation:
        invocation = Invocation(
            InvocationRequest(payload=json.dumps(payload).encode(), streaming=True),
            function_arn="arn:aws:lambda:us-east-1:123456789012:function:concurrent",
            timeout=timeout,
            max_response_bytes=1 << 20,
        )
        self.api.deliver(invocation)
        return invocation

    def close(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        self._reader.join(timeout=5)
        if self.process.stdout is not None:
            self.process.stdout.close()
        self.api.stop()


@pytest.fixture
def start() -> Iterator[Any]:
    started: list[Environment] = []

    def run(handler: str, env: dict[str, str] | None = None) -> Environment:
        environment = Environment(handler, env)
        started.append(environment)
        return environment

    yield run
    for environment in started:
        environment.close()


def collect(
    environment: Environment, invocations: list[Invocation]
) -> list[tuple[float, str, ResponseEvent]]:
    """Every response event of every invocation, stamped on arrival, in arrival order.

    Fails at once if the runtime process exits while invocations are open."""
    arrived: list[tuple[float, str, ResponseEvent]] = []
    lock = threading.Lock()

    def drain(invocation: Invocation) -> None:
        for event in invocation.events():
            with lock:
                arrived.append((time.monotonic(), invocation.request_id, event))

    threads = [threading.Thread(target=drain, args=(i,), daemon=True) for i in invocations]
    for thread in threads:
        thread.start()
    give_up = time.monotonic() + HANG_GUARD
    while any(thread.is_alive() for thread in threads):
        status = environment.process.poll()
        if status is not None:
            time.sleep(0.2)  # its last output
            pytest.fail(f"the runtime exited ({status}):\n" + "\n".join(environment.lines[-20:]))
        assert time.monotonic() < give_up, "an invocation never finished"
        time.sleep(0.02)
    return sorted(arrived, key=lambda item: item[0])


def body_of(arrived: list[tuple[float, str, ResponseEvent]], request_id: str) -> bytes:
    return b"".join(
        e.data for _, rid, e in arrived if rid == request_id and isinstance(e, ResponseChunk)
    )


def assert_all_firsts_before_any_second(arrived: list[tuple[float, str, ResponseEvent]]) -> None:
    kinds = [e.data.split(b" ", 1)[0] for _, _, e in arrived if isinstance(e, ResponseChunk)]
    assert kinds.index(b"second") >= CONCURRENCY, kinds


@pytest.mark.parametrize(
    ("handler", "workers"),
    [("async_stream", None), ("sync_stream", None), ("sync_stream", "threads")],
)
def test_eight_streams_are_served_at_once_each_with_its_own_id_nonce_and_bytes(
    start: Any, handler: str, workers: str | None
) -> None:
    environment = start(handler, {"LAMBDA_STREAMING_SYNC_WORKERS": workers} if workers else None)
    invocations = [environment.invoke({"wait": 1}) for _ in range(CONCURRENCY)]
    arrived = collect(environment, invocations)
    assert_all_firsts_before_any_second(arrived)
    for invocation in invocations:
        request_id = invocation.request_id
        body = body_of(arrived, request_id).decode()
        first, second = body.splitlines()
        assert first == f"first {request_id}"
        assert second.startswith(f"second {request_id} ")
        assert environment.api.echoed_nonce(request_id) == invocation.nonce
        ends = [e for _, rid, e in arrived if rid == request_id and isinstance(e, ResponseEnd)]
        assert ends == [ResponseEnd(None)]


def test_every_log_record_is_json_with_the_request_id_of_its_invocation(start: Any) -> None:
    environment = start("async_stream")
    invocations = [environment.invoke({"wait": 0.2}) for _ in range(CONCURRENCY)]
    collect(environment, invocations)
    records = [json.loads(line) for line in environment.lines if line.strip()]  # all JSON
    for invocation in invocations:
        request_id = invocation.request_id
        mine = [r for r in records if request_id in str(r.get("message", ""))]
        assert {r.get("requestId") for r in mine} == {request_id}, mine
        assert any(str(r["message"]).startswith("first chunk of") for r in mine)
        assert any(str(r["message"]).startswith("print from") for r in mine)


def test_a_crashing_worker_leaves_the_others_serving(start: Any) -> None:
    environment = start("sync_stream")
    crashing = environment.invoke({"crash": True})
    others = [environment.invoke({"wait": 0.5}) for _ in range(CONCURRENCY - 1)]
    arrived = collect(environment, [crashing, *others])
    for invocation in others:
        assert body_of(arrived, invocation.request_id).startswith(b"first ")
        assert [e for _, rid, e in arrived if rid == invocation.request_id][-1] == ResponseEnd(None)
    assert environment.process.poll() is None
    after = [environment.invoke({"wait": 0}) for _ in range(CONCURRENCY)]
    collect(environment, after)  # served: no worker slot is lost for good


def test_a_deadline_passed_mid_stream_ends_that_stream_only(start: Any) -> None:
    environment = start("async_stream")
    late = environment.invoke({"wait": 5}, timeout=1.0)
    on_time = [environment.invoke({"wait": 0.5}) for _ in range(CONCURRENCY - 1)]
    arrived = collect(environment, [late, *on_time])
    final = [e for _, rid, e in arrived if rid == late.request_id][-1]
    error = final.error if isinstance(final, ResponseEnd | InvocationFailed) else None
    assert error is not None and "time" in error.error_type.lower(), final
    assert body_of(arrived, late.request_id) == f"first {late.request_id}\n".encode()
    for invocation in on_time:
        assert [e for _, rid, e in arrived if rid == invocation.request_id][-1] == ResponseEnd(None)
    assert environment.process.poll() is None


def test_no_trace_id_in_the_environment_and_one_in_the_context(start: Any) -> None:
    environment = start("trace_and_env")
    invocations = [environment.invoke({}) for _ in range(2)]
    arrived = collect(environment, invocations)
    for invocation in invocations:
        answer = json.loads(body_of(arrived, invocation.request_id))
        assert answer["trace_env"] is None
        assert answer["trace_context"] == invocation.trace_id


def test_sync_buffered_handlers_are_concurrent_too(start: Any) -> None:
    environment = start("sync_buffered")
    invocations = [environment.invoke({"wait": 1}) for _ in range(CONCURRENCY)]
    started = time.monotonic()
    arrived = collect(environment, invocations)
    # Sequential serving would need 8 s; this bound only guards against that, with room for
    # a loaded machine.
    assert time.monotonic() - started < 6
    answers = [json.loads(body_of(arrived, i.request_id)) for i in invocations]
    assert [a["requestId"] for a in answers] == [i.request_id for i in invocations]
    assert len({a["pid"] for a in answers}) == CONCURRENCY  # one worker process each


@pytest.mark.parametrize("value", ["0", "two", "1601"])
def test_a_bad_max_concurrency_is_an_init_error_saying_what_to_fix(start: Any, value: str) -> None:
    environment = start("async_stream", {"AWS_LAMBDA_MAX_CONCURRENCY": value})
    assert environment.process.wait(timeout=HANG_GUARD) == 1
    environment._reader.join(timeout=5)
    assert [t for m, t, _ in environment.api.requests if m == "POST"] == [
        "/2018-06-01/runtime/init/error"
    ]
    assert any(
        f"AWS_LAMBDA_MAX_CONCURRENCY={value}: expected a whole number from 1 to 1600" in line
        for line in environment.lines
    ), environment.lines


@pytest.mark.parametrize(("how", "other_waits"), [("blocking", True), ("to_thread", False)])
def test_a_blocking_call_in_an_async_handler_holds_every_other_stream(
    start: Any, how: str, other_waits: bool
) -> None:
    # Documented in the README ("Many streams per environment"): a blocking call stalls the one
    # loop, asyncio.to_thread does not. Shown by order: does the other stream run in between?
    environment = start("async_blocking")
    blocker = environment.invoke({"how": how})
    first = next(e for e in blocker.events() if isinstance(e, ResponseChunk))
    assert first.data.startswith(b"first")  # the blocker now sits in its 1.5 s wait
    other = environment.invoke({"how": "to_thread"})
    arrived = collect(environment, [blocker, other])
    order = [
        (rid, e.data.split(b" ", 1)[0]) for _, rid, e in arrived if isinstance(e, ResponseChunk)
    ]
    blocker_second = order.index((blocker.request_id, b"second"))
    other_first = order.index((other.request_id, b"first"))
    assert (other_first > blocker_second) is other_waits, order

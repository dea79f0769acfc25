"""A request that arrives as a sandbox's runtime process dies is never handed to the dead sandbox.

Lambda runs each invoke in a live execution environment: an environment whose runtime exited is
replaced, and a request that arrives meanwhile runs in the replacement. Before this was fixed, a
request assigned between the runtime's exit and the sandbox's retirement waited, unanswered,
for the function's whole timeout (the log showed START after "runtime exited").
"""

import json
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, ReadTimeoutError

from emulator.runtime_api import RuntimeApi
from emulator.server import Emulator
from tests.functional.emulator.conftest import StartEmulator

FUNCTION_TIMEOUT = 30  # seconds; a request that waits for it has hung
PROMPT = 8  # seconds: each answer must come well before the function's timeout


def prompt_client(emulator: Emulator) -> Any:
    """boto3 that gives up long before the function's timeout (no retries)."""
    return boto3.client(
        "lambda",
        endpoint_url=emulator.invoke_endpoint,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
        config=Config(
            retries={"total_max_attempts": 1}, read_timeout=PROMPT, connect_timeout=PROMPT
        ),
    )


def test_requests_right_after_the_runtime_exits_run_on_a_fresh_sandbox(
    start_emulator: StartEmulator,
) -> None:
    emulator = start_emulator("exit_after_end", timeout=FUNCTION_TIMEOUT, max_sandboxes=1)
    client = prompt_client(emulator)
    pids = []
    try:
        for _ in range(12):
            began = time.monotonic()
            response = client.invoke_with_response_stream(FunctionName="function", Payload="{}")
            events = list(response["EventStream"])
            elapsed = time.monotonic() - began
            assert elapsed < PROMPT, f"answered after {elapsed:.1f} s"
            body = b"".join(e["PayloadChunk"]["Payload"] for e in events if "PayloadChunk" in e)
            assert events[-1] == {"InvokeComplete": {}}, events
            pids.append(int(body))
    finally:
        client.close()
    assert len(set(pids)) == len(pids), pids  # each ran in a live (fresh) runtime


def wait_until_exited(pid: int) -> None:
    """Until the process is a zombie or reaped (kill() returns before the process is gone)."""
    for _ in range(1000):  # hang guard, 5 s
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError):
            return
        if state in ("Z", "X"):
            return
        time.sleep(0.005)
    raise AssertionError(f"process {pid} still running 5 s after SIGKILL")


@pytest.mark.parametrize("max_sandboxes", [1, 4])
def test_a_request_right_after_the_runtime_is_killed_runs_on_a_fresh_sandbox(
    start_emulator: StartEmulator, max_sandboxes: int
) -> None:
    """SIGKILL the runtime (idle in /next, or about to poll it), wait until it has exited,
    and invoke at once: the request must run on a fresh sandbox, not fail, be throttled, or
    wait for the function's timeout."""
    emulator = start_emulator("pid", timeout=FUNCTION_TIMEOUT, max_sandboxes=max_sandboxes)
    client = prompt_client(emulator)
    problems = []
    try:
        pid = json.loads(client.invoke(FunctionName="function", Payload="{}")["Payload"].read())
        for step in range(25):
            time.sleep(step % 5 * 0.004)  # sometimes already in /next, sometimes not yet
            os.kill(pid, signal.SIGKILL)
            wait_until_exited(pid)
            time.sleep(step // 5 * 0.001)  # and the next request at moments around its death
            began = time.monotonic()
            try:
                response = client.invoke(FunctionName="function", Payload="{}")
            except (ReadTimeoutError, ClientError) as error:
                problems.append((step, repr(error)))
                pid = json.loads(
                    client.invoke(FunctionName="function", Payload="{}")["Payload"].read()
                )
                continue
            payload = json.loads(response["Payload"].read())
            if "FunctionError" in response:
                problems.append((step, payload))
            elif payload == pid:
                problems.append((step, "answered by the killed process"))
            else:
                pid = payload
            assert time.monotonic() - began < PROMPT
    finally:
        client.close()
    assert not problems


def test_a_request_while_the_dead_sandbox_is_being_retired_does_not_hang(
    start_emulator: StartEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The window between the exit monitor's snapshot of running invocations and the
    sandbox's retirement, held open: a request assigned in it used to wait, never delivered
    and never failed, for the function's whole timeout."""
    stop = RuntimeApi.stop

    def slow_stop(self: RuntimeApi) -> None:
        time.sleep(0.5)
        stop(self)

    monkeypatch.setattr(RuntimeApi, "stop", slow_stop)
    emulator = start_emulator("pid", timeout=FUNCTION_TIMEOUT, max_sandboxes=1)
    client = prompt_client(emulator)
    try:
        pid = json.loads(client.invoke(FunctionName="function", Payload="{}")["Payload"].read())
        wait_until(lambda: bool(emulator.function._free), "the runtime to poll /next")
        os.kill(pid, signal.SIGKILL)
        wait_until_exited(pid)
        time.sleep(0.1)  # the monitor has seen the exit and is stopping the Runtime API
        response = client.invoke(FunctionName="function", Payload="{}")
    finally:
        client.close()
    assert "FunctionError" not in response
    assert json.loads(response["Payload"].read()) != pid


def wait_until(predicate: Callable[[], bool], what: str) -> None:
    for _ in range(1000):  # hang guard, 5 s
        if predicate():
            return
        time.sleep(0.005)
    raise AssertionError(f"timed out waiting for {what}")

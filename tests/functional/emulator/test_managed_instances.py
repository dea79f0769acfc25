"""The emulator's Lambda Managed Instances mode (``max_concurrency`` > 1), end to end.

The sandbox runs ``concurrent_runtime/bootstrap``, a stand-in runtime written with
``http.client`` only, so these tests judge the emulator's side of the contract (environment,
concurrent ``/next``, throttling, no kill at the timeout, 410 to a late answer, JSON logs)
without depending on our runtime. Clients are real: raw sockets for the Function URL, boto3 for
``InvokeWithResponseStream``.
"""

import base64
import json
import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from emulator.config import FunctionConfig
from emulator.server import Emulator
from tests.functional.aws_clients import lambda_client
from tests.functional.emulator.wire import Client, Response

FAKE_RUNTIME = Path(__file__).resolve().parent / "concurrent_runtime"
BOOTSTRAP = FAKE_RUNTIME / "bootstrap"


@pytest.fixture
def start_lmi() -> Iterator[Any]:
    started: list[Emulator] = []

    def start(concurrency: int = 4, *, max_sandboxes: int = 1, **config: Any) -> Emulator:
        emulator = Emulator(
            FunctionConfig(
                handler="unused.handler",
                code_dir=FAKE_RUNTIME,
                bootstrap=BOOTSTRAP,
                max_concurrency=concurrency,
                **config,
            ),
            max_sandboxes=max_sandboxes,
        )
        emulator.start()
        started.append(emulator)
        return emulator

    yield start
    for emulator in started:
        emulator.close()


def wait_until(predicate: Any, what: str) -> None:
    for _ in range(400):  # hang guard, 20 s
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def url_client(emulator: Emulator) -> Client:
    return Client(emulator.function_url.removeprefix("http://").rstrip("/"))


def open_stream(emulator: Emulator, query: str) -> tuple[Client, Response, dict[str, Any]]:
    """GET the Function URL; return the connection, the head and the first chunk (decoded)."""
    client = url_client(emulator)
    client.request("GET", f"/?{query}")
    head = client.response_head()
    assert head.status == 200, head
    first = client.next_data()
    assert first is not None
    return client, head, json.loads(first)


def rest_of(client: Client) -> bytes:
    data = b""
    while (piece := client.next_data()) is not None:
        data += piece
    return data


def test_the_environment_is_a_managed_instances_one(start_lmi: Any) -> None:
    emulator = start_lmi(4)
    client, _, first = open_stream(emulator, "a=1")
    with client:
        rest_of(client)
    env = first["env"]
    assert env["AWS_LAMBDA_MAX_CONCURRENCY"] == "4"
    assert env["AWS_LAMBDA_INITIALIZATION_TYPE"] == "lambda-managed-instances"
    assert env["AWS_LAMBDA_LOG_FORMAT"] == "JSON"
    assert Path(env["_LAMBDA_TELEMETRY_LOG_FD_PROVIDER_SOCKET"]).is_socket()


def test_every_concurrent_function_url_stream_is_live_at_once(
    start_lmi: Any, tmp_path: Path
) -> None:
    emulator = start_lmi(8)
    release = tmp_path / "release"
    streams = [open_stream(emulator, f"release={release}&n={n}") for n in range(8)]
    # All eight first chunks arrived while every second chunk is still held back.
    request_ids = {first["requestId"] for _, _, first in streams}
    assert len(request_ids) == 8
    assert len({first["pid"] for _, _, first in streams}) == 1  # one environment
    assert emulator.function.sandbox_count == 1
    release.touch()
    for client, _, first in streams:
        with client:
            assert rest_of(client) == f"end {first['requestId']}\n".encode()


def test_every_concurrent_invoke_with_response_stream_is_live_at_once(
    start_lmi: Any, tmp_path: Path
) -> None:
    emulator = start_lmi(6)
    release = tmp_path / "release"
    client = lambda_client(emulator)
    streams = []
    for n in range(6):
        response = client.invoke_with_response_stream(
            FunctionName="function", Payload=json.dumps({"release": str(release), "n": n})
        )
        events = iter(response["EventStream"])
        first = json.loads(next(events)["PayloadChunk"]["Payload"])
        streams.append((first, events))
    assert len({first["requestId"] for first, _ in streams}) == 6
    release.touch()
    for first, events in streams:
        rest = list(events)
        payload = b"".join(e["PayloadChunk"]["Payload"] for e in rest if "PayloadChunk" in e)
        assert payload == f"end {first['requestId']}\n".encode()
        assert rest[-1] == {"InvokeComplete": {}}


def test_an_invoke_when_every_worker_is_busy_is_throttled_with_429(
    start_lmi: Any, tmp_path: Path
) -> None:
    emulator = start_lmi(2, max_sandboxes=1)
    release = tmp_path / "release"
    busy = [open_stream(emulator, f"release={release}") for _ in range(2)]
    with url_client(emulator) as extra:
        extra.request("GET", "/?third=1")
        refused = extra.response()
    assert refused.status == 429
    assert json.loads(refused.body) == {"Message": "Rate Exceeded."}
    release.touch()
    for client, _, _ in busy:
        with client:
            rest_of(client)
    # A worker is free again: the next invoke is served by the same environment.
    client, _, first = open_stream(emulator, "after=1")
    with client:
        rest_of(client)
    assert first["pid"] == busy[0][2]["pid"]


def test_a_timed_out_invocation_is_reported_not_killed_and_its_late_answer_gets_410(
    start_lmi: Any,
) -> None:
    emulator = start_lmi(2, timeout=0.5)
    client, _, first = open_stream(emulator, "sleep=1.2")
    with client:
        assert client.next_data() is None  # the stream ends at the deadline, without "end"
        assert client.closed_by_peer() or True
    [sandbox] = emulator.function._all
    late = f"answered {first['requestId']}: 410"
    wait_until(lambda: late in [r["message"] for r in sandbox.logs.records], late)
    # Nothing was killed: the same process serves on, on both workers.
    for _ in range(2):
        again, _, later = open_stream(emulator, "again=1")
        with again:
            rest_of(again)
        assert later["pid"] == first["pid"]
    assert not sandbox.dead.is_set()


def test_buffered_invoke_of_a_timed_out_invocation_is_sandbox_timedout(start_lmi: Any) -> None:
    emulator = start_lmi(2, timeout=0.5)
    client = lambda_client(emulator)
    response = client.invoke(FunctionName="function", Payload=json.dumps({"sleep": 1.2}))
    assert response["FunctionError"] == "Unhandled"
    assert json.loads(response["Payload"].read())["errorType"] == "Sandbox.Timedout"
    [sandbox] = emulator.function._all
    assert sandbox.dead.is_set() is False


def test_json_logs_are_attributed_by_request_id_and_text_lines_are_reported(
    start_lmi: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="emulator")
    emulator = start_lmi(3)
    client = lambda_client(emulator)
    results: dict[int, Any] = {}

    def invoke(n: int) -> None:
        payload = {"n": n, "socket_log": f"via socket {n}"}
        if n == 0:
            payload["text_log"] = "plain text, not JSON"
        results[n] = client.invoke(
            FunctionName="function", Payload=json.dumps(payload), LogType="Tail"
        )

    threads = [threading.Thread(target=invoke, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    [sandbox] = emulator.function._all
    assert sandbox.logs.violations == ["plain text, not JSON"]
    for n, response in results.items():
        request_id = response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]
        tail = base64.b64decode(response["LogResult"]).decode()
        records = [json.loads(line) for line in tail.splitlines() if line.startswith("{")]
        # This invocation's own records only (Invoke's LogType=Tail).
        assert {r["requestId"] for r in records} == {request_id}
        assert f"invoked {request_id}" in [r["message"] for r in records]
        # The socket's record too, attributed to it (the socket is read on its own thread).
        prefix, text = f"[{request_id}] ", f'"via socket {n}"'
        wait_until(
            lambda p=prefix, t=text: any(
                r.getMessage().startswith(p) and t in r.getMessage() for r in caplog.records
            ),
            f"the socket record of invocation {n}",
        )


def test_a_text_log_format_is_refused_with_managed_instances() -> None:
    with pytest.raises(ValueError, match="support only the JSON log format"):
        FunctionConfig(
            handler="a.b",
            code_dir=FAKE_RUNTIME,
            max_concurrency=2,
            env={"AWS_LAMBDA_LOG_FORMAT": "Text"},
        )

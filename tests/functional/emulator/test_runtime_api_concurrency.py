"""The Runtime API's 2026 contract, played byte for byte by a raw client as the runtime:
the ``Lambda-Runtime-Invocation-Id`` nonce, 410 to a late answer, 413 to a stream over the cap
with the environment serving on, and Managed Instances' concurrent ``/next``.
"""

import json
import threading
import time
from collections.abc import Iterator

import pytest

from emulator.invocation import (
    FunctionError,
    Invocation,
    InvocationFailed,
    InvocationRequest,
    ResponseChunk,
    ResponseStart,
)
from emulator.runtime_api import RuntimeApi
from tests.functional.emulator.test_runtime_api import NEXT, STREAM_HEADERS, path
from tests.functional.emulator.wire import Client, Response

NONCE = "Lambda-Runtime-Invocation-Id"


class Api:
    """A RuntimeApi with ``concurrency`` workers allowed; the test is the runtime."""

    def __init__(self, concurrency: int = 1) -> None:
        self.api = RuntimeApi(
            name="test-runtime-api",
            exit_status=lambda _wait: None,
            on_init_error=lambda _error: None,
            max_concurrency=concurrency,
        )
        self.api.start()

    def invocation(self, *, timeout: float = 3, limit: int = 1024) -> Invocation:
        invocation = Invocation(
            InvocationRequest(payload=b"{}", streaming=True),
            function_arn="arn:aws:lambda:us-east-1:123456789012:function:f",
            timeout=timeout,
            max_response_bytes=limit,
        )
        self.api.deliver(invocation)
        return invocation

    def client(self) -> Client:
        return Client(self.api.address)

    def next(self, client: Client) -> Response:
        client.request("GET", NEXT)
        response = client.response()
        assert response.status == 200
        return response


@pytest.fixture
def api() -> Iterator[Api]:
    harness = Api()
    yield harness
    harness.api.stop()


@pytest.fixture
def lmi() -> Iterator[Api]:
    harness = Api(concurrency=3)
    yield harness
    harness.api.stop()


def error_type(response: Response) -> str:
    return str(json.loads(response.body)["errorType"])


def test_every_next_carries_a_fresh_nonce(api: Api) -> None:
    nonces = []
    with api.client() as runtime:
        for _ in range(3):
            invocation = api.invocation()
            event = api.next(runtime)
            nonce = event.header(NONCE)
            assert nonce and nonce == invocation.nonce
            nonces.append(nonce)
            request_id = event.header("lambda-runtime-aws-request-id") or ""
            runtime.request("POST", path(request_id, "response"), [(NONCE, nonce)], b"ok")
            assert runtime.response().status == 202
    assert len(set(nonces)) == 3


@pytest.mark.parametrize("action", ["response", "error"])
def test_a_wrong_nonce_is_400_and_the_right_one_is_then_accepted(api: Api, action: str) -> None:
    invocation = api.invocation()
    with api.client() as runtime:
        event = api.next(runtime)
        request_id = event.header("lambda-runtime-aws-request-id") or ""
        runtime.request("POST", path(request_id, action), [(NONCE, "not-the-nonce")], b"{}")
        refused = runtime.response()
        assert refused.status == 400
        assert error_type(refused) == "InvalidInvocationID"
        assert not invocation.finished.is_set()  # the wrong answer did not count
        runtime.request(
            "POST", path(request_id, action), [(NONCE, event.header(NONCE) or "")], b"{}"
        )
        assert runtime.response().status == 202
    assert invocation.finished.is_set()


def test_an_answer_without_a_nonce_is_accepted_as_from_an_older_runtime(api: Api) -> None:
    invocation = api.invocation()
    with api.client() as runtime:
        request_id = api.next(runtime).header("lambda-runtime-aws-request-id") or ""
        runtime.request("POST", path(request_id, "response"), [], b"done")
        assert runtime.response().status == 202
    assert [e for e in invocation.events() if isinstance(e, ResponseChunk)] == [
        ResponseChunk(b"done")
    ]


@pytest.mark.parametrize("action", ["response", "error"])
def test_an_answer_after_the_deadline_is_410_and_the_next_invocation_is_served(
    api: Api, action: str
) -> None:
    invocation = api.invocation(timeout=0.2)
    with api.client() as runtime:
        request_id = api.next(runtime).header("lambda-runtime-aws-request-id") or ""
        time.sleep(0.3)
        runtime.request("POST", path(request_id, action), [], b"{}")
        late = runtime.response()
        assert late.status == 410
        assert error_type(late) == "ErrorRuntimeInvokeTimeout"
        assert not any(isinstance(e, ResponseChunk) for e in _queued(invocation))
        following = api.invocation()
        assert api.next(runtime).header("lambda-runtime-aws-request-id") == following.request_id


def test_a_stream_still_running_at_the_deadline_gets_410_and_is_cut(api: Api) -> None:
    invocation = api.invocation(timeout=0.3)
    events = invocation.events()
    with api.client() as runtime, api.client() as poller:
        request_id = api.next(runtime).header("lambda-runtime-aws-request-id") or ""
        runtime.start_chunked("POST", path(request_id, "response"), STREAM_HEADERS)
        runtime.chunk(b"in time")
        assert next(events) == ResponseStart("text/plain")
        assert next(events) == ResponseChunk(b"in time")
        time.sleep(0.4)
        # What the sandbox's watchdog does at the deadline on Managed Instances.
        invocation.fail(FunctionError.service("Sandbox.Timedout", "Task timed out"))
        runtime.chunk(b"too late")
        late = runtime.response()
        assert late.status == 410
        assert runtime.closed_by_peer()
        following = api.invocation()
        assert api.next(poller).header("lambda-runtime-aws-request-id") == following.request_id
    assert isinstance(next(events), InvocationFailed)


def test_a_stream_over_the_cap_gets_413_and_the_environment_serves_on(api: Api) -> None:
    invocation = api.invocation(limit=8)
    with api.client() as runtime, api.client() as poller:
        request_id = api.next(runtime).header("lambda-runtime-aws-request-id") or ""
        runtime.start_chunked("POST", path(request_id, "response"), STREAM_HEADERS)
        runtime.chunk(b"12345678")
        runtime.chunk(b"9")
        over = runtime.response()
        assert over.status == 413
        assert error_type(over) == "RequestEntityTooLarge"
        assert runtime.closed_by_peer()
        following = api.invocation()
        assert api.next(poller).header("lambda-runtime-aws-request-id") == following.request_id
    final = list(invocation.events())[-1]
    assert isinstance(final, InvocationFailed)
    assert final.error.error_type == "Function.ResponseSizeTooLarge"


def test_managed_instances_hand_out_at_most_the_limit_and_hold_extra_polls(lmi: Api) -> None:
    invocations = [lmi.invocation() for _ in range(4)]
    clients = [lmi.client() for _ in range(4)]
    try:
        events = [lmi.next(client) for client in clients[:3]]
        taken = {event.header("lambda-runtime-aws-request-id") for event in events}
        assert taken == {invocation.request_id for invocation in invocations[:3]}
        # A fourth poll while three invocations run: held, not refused, not given the fourth.
        fourth: list[Response] = []
        poll = threading.Thread(target=lambda: fourth.append(lmi.next(clients[3])))
        poll.start()
        _eventually(lambda: lmi.api._polls == 1)
        time.sleep(0.2)
        assert fourth == []
        # Answers in any order, each on its own connection, streams interleaved.
        first, second = events[1], events[0]
        for event, client in ((first, clients[1]), (second, clients[0])):
            request_id = event.header("lambda-runtime-aws-request-id") or ""
            client.start_chunked("POST", path(request_id, "response"), STREAM_HEADERS)
            client.chunk(request_id.encode())
        for client in (clients[1], clients[0]):
            client.finish()
            assert client.response().status == 202
        poll.join(timeout=10)  # a slot is free: the held poll gets the fourth invocation
        assert fourth[0].header("lambda-runtime-aws-request-id") == invocations[3].request_id
    finally:
        for client in clients:
            client.close()
    by_id = {invocation.request_id: invocation for invocation in invocations}
    for event in (first, second):
        request_id = event.header("lambda-runtime-aws-request-id") or ""
        chunks = [e for e in by_id[request_id].events() if isinstance(e, ResponseChunk)]
        assert chunks == [ResponseChunk(request_id.encode())]  # its own bytes, not another's


def test_init_error_after_a_worker_polled_is_403_on_managed_instances(lmi: Api) -> None:
    lmi.invocation()
    with lmi.client() as worker, lmi.client() as other:
        lmi.next(worker)
        other.request("POST", "/2018-06-01/runtime/init/error", [], b"{}")
        assert other.response().status == 403


def _queued(invocation: Invocation) -> list[object]:
    """Events already in the channel, without waiting for more."""
    return list(invocation._events)


def _eventually(predicate: object) -> None:
    for _ in range(200):
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.02)
    raise AssertionError("condition never became true")

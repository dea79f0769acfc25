"""The Runtime API server side, driven by a raw client playing the runtime.

No process is started: the test is the runtime, byte for byte, so each case can send exactly
the request the protocol doc describes (lambda-streaming-protocol.md §1), including the bad ones.
"""

import base64
import json
import time
from collections.abc import Iterator

import pytest

from emulator.invocation import (
    FunctionError,
    Invocation,
    InvocationFailed,
    InvocationRequest,
    ResponseChunk,
    ResponseEnd,
    ResponseStart,
)
from emulator.runtime_api import RuntimeApi
from tests.functional.emulator.wire import Client

NEXT = "/2018-06-01/runtime/invocation/next"
TRAILER_DECL = ("Trailer", "Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body")
STREAM_HEADERS = [
    ("Lambda-Runtime-Function-Response-Mode", "streaming"),
    ("Content-Type", "text/plain"),
    TRAILER_DECL,
]


class Harness:
    """A RuntimeApi plus the two process facts it asks about (exit status, init error)."""

    def __init__(self) -> None:
        self.exit_status: int | None = None
        self.init_errors: list[FunctionError] = []
        self.api = RuntimeApi(
            name="test-runtime-api",
            exit_status=lambda _wait: self.exit_status,
            on_init_error=self.init_errors.append,
        )
        self.api.start()

    def invocation(
        self, *, streaming: bool = True, limit: int = 1024, **request: str
    ) -> Invocation:
        invocation = Invocation(
            InvocationRequest(payload=b'{"hello": "world"}', streaming=streaming, **request),  # type: ignore[arg-type]
            function_arn="arn:aws:lambda:us-east-1:123456789012:function:f",
            timeout=3,
            max_response_bytes=limit,
        )
        self.api.deliver(invocation)
        return invocation

    def client(self) -> Client:
        return Client(self.api.address)

    def take(self, invocation: Invocation) -> str:
        """GET /next as the runtime; return the request id."""
        with self.client() as client:
            client.request("GET", NEXT)
            response = client.response()
        assert response.status == 200
        request_id = response.header("lambda-runtime-aws-request-id")
        assert request_id == invocation.request_id
        return request_id


@pytest.fixture
def harness() -> Iterator[Harness]:
    h = Harness()
    yield h
    h.api.stop()


def path(request_id: str, action: str) -> str:
    return f"/2018-06-01/runtime/invocation/{request_id}/{action}"


def test_next_long_polls_then_returns_the_event_with_every_header(harness: Harness) -> None:
    with harness.client() as client:
        client.request("GET", NEXT)  # sent before any invocation exists: it must wait
        invocation = harness.invocation(client_context='{"custom": {"a": 1}}', tenant_id="tenant-7")
        before_ms = time.time() * 1000
        response = client.response()
    assert response.status == 200
    assert response.body == b'{"hello": "world"}'
    assert response.header("content-type") == "application/json"
    assert response.header("lambda-runtime-aws-request-id") == invocation.request_id
    deadline = int(response.header("lambda-runtime-deadline-ms") or 0)
    assert before_ms < deadline <= before_ms + 3000 + 1000
    assert response.header("lambda-runtime-invoked-function-arn") == invocation.function_arn
    assert (response.header("lambda-runtime-trace-id") or "").startswith("Root=1-")
    assert response.header("lambda-runtime-client-context") == '{"custom": {"a": 1}}'
    assert response.header("lambda-runtime-aws-tenant-id") == "tenant-7"


def test_buffered_response(harness: Harness) -> None:
    invocation = harness.invocation(streaming=False)
    request_id = harness.take(invocation)
    with harness.client() as client:
        client.request(
            "POST",
            path(request_id, "response"),
            [("Content-Type", "application/json")],
            b'{"ok":1}',
        )
        response = client.response()
    assert (response.status, response.body) == (202, b'{"status":"OK"}')
    assert list(invocation.events()) == [
        ResponseStart("application/json"),
        ResponseChunk(b'{"ok":1}'),
        ResponseEnd(None),
    ]


def test_streamed_chunks_reach_the_invocation_one_by_one_then_trailers(harness: Harness) -> None:
    invocation = harness.invocation()
    request_id = harness.take(invocation)
    events = invocation.events()
    body = json.dumps({"errorMessage": "boom", "errorType": "ValueError", "stackTrace": []})
    with harness.client() as client:
        client.start_chunked("POST", path(request_id, "response"), STREAM_HEADERS)
        assert next(events) == ResponseStart("text/plain")
        client.chunk(b"first")
        assert next(events) == ResponseChunk(b"first")  # before the second chunk exists
        client.chunk(b"second")
        assert next(events) == ResponseChunk(b"second")
        client.finish(
            [
                ("Lambda-Runtime-Function-Error-Type", "Function.ValueError"),
                ("Lambda-Runtime-Function-Error-Body", base64.b64encode(body.encode()).decode()),
            ]
        )
        response = client.response()
    assert response.status == 202
    end = next(events)
    assert isinstance(end, ResponseEnd) and end.error is not None
    assert end.error.error_type == "Function.ValueError"
    assert json.loads(end.error.payload)["errorMessage"] == "boom"


@pytest.mark.parametrize("mode", ["Streaming", "STREAMING", "buffered"])
def test_a_response_mode_other_than_streaming_is_400(harness: Harness, mode: str) -> None:
    invocation = harness.invocation()
    request_id = harness.take(invocation)
    with harness.client() as client:
        client.request(
            "POST",
            path(request_id, "response"),
            [("Lambda-Runtime-Function-Response-Mode", mode)],
            b"x",
        )
        response = client.response()
    assert response.status == 400
    assert json.loads(response.body)["errorType"] == "InvalidFunctionResponseMode"
    [failed] = list(invocation.events())
    assert isinstance(failed, InvocationFailed)
    assert failed.error.error_type == "Runtime.InvalidResponseModeHeader"


def test_error_after_the_response_began_is_403_and_the_stream_still_completes(
    harness: Harness,
) -> None:
    invocation = harness.invocation()
    request_id = harness.take(invocation)
    with harness.client() as stream, harness.client() as other:
        stream.start_chunked("POST", path(request_id, "response"), STREAM_HEADERS)
        stream.chunk(b"data")
        events = invocation.events()
        assert next(events) == ResponseStart("text/plain")
        assert next(events) == ResponseChunk(b"data")  # the POST has begun on the server
        other.request(
            "POST", path(request_id, "error"), [("Lambda-Runtime-Function-Error-Type", "X")], b"{}"
        )
        rejected = other.response()
        assert rejected.status == 403
        assert json.loads(rejected.body)["errorType"] == "InvalidStateTransition"
        other.request("GET", NEXT)
        assert other.response().status == 403  # no /next before the response is sent
        stream.finish()
        assert stream.response().status == 202
    assert next(events) == ResponseEnd(None)


def test_error_before_any_response_fails_the_invocation(harness: Harness) -> None:
    invocation = harness.invocation()
    request_id = harness.take(invocation)
    payload = b'{"errorMessage":"nope","errorType":"KeyError"}'
    with harness.client() as client:
        client.request(
            "POST",
            path(request_id, "error"),
            [("Lambda-Runtime-Function-Error-Type", "Function.KeyError")],
            payload,
        )
        assert client.response().status == 202
        client.request("GET", NEXT)  # the runtime may poll again: it waits for the next event
        follow_up = harness.invocation()
        assert client.response().header("lambda-runtime-aws-request-id") == follow_up.request_id
    assert list(invocation.events()) == [
        InvocationFailed(FunctionError("Function.KeyError", payload))
    ]


def test_wrong_request_id_is_400(harness: Harness) -> None:
    harness.take(harness.invocation())
    with harness.client() as client:
        client.request("POST", path("not-the-id", "response"), [], b"{}")
        response = client.response()
    assert response.status == 400
    assert json.loads(response.body)["errorType"] == "InvalidRequestID"


def test_buffered_body_over_the_limit_is_413_and_response_size_too_large(harness: Harness) -> None:
    invocation = harness.invocation(streaming=False, limit=100)
    request_id = harness.take(invocation)
    with harness.client() as client:
        client.request("POST", path(request_id, "response"), [], b"x" * 101)
        response = client.response()
    assert response.status == 413
    [failed] = list(invocation.events())
    assert isinstance(failed, InvocationFailed)
    assert failed.error.error_type == "Function.ResponseSizeTooLarge"


def test_stream_over_the_cap_is_cut(harness: Harness) -> None:
    invocation = harness.invocation(limit=10)
    request_id = harness.take(invocation)
    with harness.client() as client:
        client.start_chunked("POST", path(request_id, "response"), STREAM_HEADERS)
        client.chunk(b"0123456789")
        client.chunk(b"!")
        response = client.response()
        assert response.status == 413
        assert client.closed_by_peer()
    events = list(invocation.events())
    assert events[:2] == [ResponseStart("text/plain"), ResponseChunk(b"0123456789")]
    assert isinstance(events[-1], InvocationFailed)
    assert events[-1].error.error_type == "Function.ResponseSizeTooLarge"


@pytest.mark.parametrize(
    ("exit_status", "error_type"), [(None, "Runtime.TruncatedResponse"), (1, "Runtime.ExitError")]
)
def test_a_body_cut_short_is_truncated_or_a_crash(
    harness: Harness, exit_status: int | None, error_type: str
) -> None:
    harness.exit_status = exit_status
    invocation = harness.invocation()
    request_id = harness.take(invocation)
    with harness.client() as client:
        client.start_chunked("POST", path(request_id, "response"), STREAM_HEADERS)
        client.send(b"A\r\nonly")  # a 10-byte chunk with 4 bytes, then the connection closes
    events = list(invocation.events())
    assert isinstance(events[-1], InvocationFailed)
    assert events[-1].error.error_type == error_type


def test_malformed_chunk_framing_fails_the_invocation(harness: Harness) -> None:
    invocation = harness.invocation()
    request_id = harness.take(invocation)
    with harness.client() as client:
        client.start_chunked("POST", path(request_id, "response"), STREAM_HEADERS)
        client.send(b"zz\r\nxx\r\n")
        assert client.response().status == 400
    events = list(invocation.events())
    assert isinstance(events[-1], InvocationFailed)
    assert events[-1].error.error_type == "Runtime.TruncatedResponse"


def test_init_error_is_reported_and_ends_the_state_machine(harness: Harness) -> None:
    body = b'{"errorMessage":"no module","errorType":"Runtime.ImportModuleError"}'
    with harness.client() as client:
        client.request(
            "POST",
            "/2018-06-01/runtime/init/error",
            [("Lambda-Runtime-Function-Error-Type", "Runtime.ImportModuleError")],
            body,
        )
        assert client.response().status == 202
        client.request("GET", NEXT)
        assert client.response().status == 403
    assert harness.init_errors == [FunctionError("Runtime.ImportModuleError", body)]


def test_init_error_after_init_is_403(harness: Harness) -> None:
    harness.take(harness.invocation())
    with harness.client() as client:
        client.request("POST", "/2018-06-01/runtime/init/error", [], b"{}")
        assert client.response().status == 403
    assert harness.init_errors == []


@pytest.mark.parametrize(
    ("method", "target", "status"),
    [
        ("GET", "/2018-06-01/runtime/nope", 404),
        ("GET", "/", 404),
        ("POST", NEXT, 405),
        ("GET", "/2018-06-01/runtime/invocation/x/response", 405),
        ("POST", "/2018-06-01/runtime/invocation/x/other", 404),
    ],
)
def test_unknown_paths_and_methods(harness: Harness, method: str, target: str, status: int) -> None:
    with harness.client() as client:
        client.request(method, target)
        assert client.response().status == status

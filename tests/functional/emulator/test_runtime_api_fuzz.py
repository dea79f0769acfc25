"""Malformed requests against the Runtime API server: a 4xx or a closed connection, never a
crash or a hang (h11's fuzz invariant, applied to our server)."""

import logging
import re
import socket
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from emulator.invocation import Invocation, InvocationRequest
from emulator.runtime_api import RuntimeApi
from tests.functional.emulator.wire import Client

NEXT = "/2018-06-01/runtime/invocation/next"
TEMPLATES = [
    b"GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n",
    b"POST /2018-06-01/runtime/invocation/ID/response HTTP/1.1\r\nHost: x\r\n"
    b"Lambda-Runtime-Function-Response-Mode: streaming\r\nTransfer-Encoding: chunked\r\n"
    b"Trailer: Lambda-Runtime-Function-Error-Type\r\n\r\n5\r\nhello\r\n0\r\n"
    b"Lambda-Runtime-Function-Error-Type: Function.X\r\n\r\n",
    b"POST /2018-06-01/runtime/invocation/ID/error HTTP/1.1\r\nHost: x\r\n"
    b"Content-Length: 2\r\n\r\n{}",
    b"POST /2018-06-01/runtime/init/error HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}",
]


@st.composite
def malformed(draw: st.DrawFn) -> bytes:
    base = bytearray(draw(st.sampled_from(TEMPLATES)))
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        position = draw(st.integers(min_value=0, max_value=len(base)))
        action = draw(st.sampled_from(["insert", "replace", "delete", "truncate"]))
        noise = draw(st.binary(min_size=1, max_size=8))
        if action == "insert":
            base[position:position] = noise
        elif action == "replace":
            base[position : position + len(noise)] = noise
        elif action == "delete":
            del base[position : position + draw(st.integers(min_value=1, max_value=20))]
        else:
            del base[position:]
    return bytes(base)


@pytest.fixture(scope="module")
def invoked_api() -> Iterator[RuntimeApi]:
    """A Runtime API with an invocation already taken: every fuzzed /next is then a 403,
    never a legitimate long poll."""
    api = RuntimeApi(name="fuzz", exit_status=lambda _w: None, on_init_error=lambda _e: None)
    api.start()
    api.deliver(
        Invocation(
            InvocationRequest(payload=b"{}", streaming=True),
            function_arn="arn:aws:lambda:us-east-1:123456789012:function:f",
            timeout=600,
            max_response_bytes=1024,
        )
    )
    with Client(api.address) as client:
        client.request("GET", NEXT)
        assert client.response().status == 200
    yield api
    api.stop()


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.one_of(malformed(), st.binary(max_size=200)))
# Found by this test: h11 suggests 501 for an unknown transfer coding; we answer 400.
@example(data=b"POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:\x01 chunked\r\n\r\n")
def test_malformed_requests_get_4xx_or_a_close(
    invoked_api: RuntimeApi, data: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    host, port = invoked_api.address.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)  # end of input: the server must answer or close now
        received = b""
        while chunk := sock.recv(65536):  # a hang would raise socket.timeout here
            received += chunk
    statuses = [int(s) for s in re.findall(rb"^HTTP/1\.1 (\d{3})", received, re.MULTILINE)]
    assert all(400 <= status < 500 for status in statuses), received[:300]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    # The server is still healthy.
    with Client(invoked_api.address) as client:
        client.request("GET", "/health")
        assert client.response().status == 404

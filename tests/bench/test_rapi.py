"""The bench's Runtime API reads what crossed the wire the same way on each of its servers.

A raw socket client on 127.0.0.1 plays the runtime: the bytes it sends are split at awkward
places (one byte at a time), so a server that assumes a request arrives in one ``recv`` fails.
"""

import socket
import threading
import time

import pytest

from bench.http1 import read_head
from bench.rapi import SERVERS, RuntimeApi

NEXT = b"GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n"


def _connect(api: RuntimeApi) -> socket.socket:
    host, port = api.address.rsplit(":", 1)
    sock = socket.create_connection((host, int(port)), timeout=10)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def _next(sock: socket.socket) -> dict[str, str]:
    sock.sendall(NEXT)
    rfile = sock.makefile("rb")
    head = read_head(rfile)
    assert head is not None and head[1] == "200"
    headers = head[2]
    headers["body"] = rfile.read(int(headers["content-length"])).decode()
    return headers


def _reply(sock: socket.socket) -> bytes:
    return sock.recv(4096)


def _dribble(sock: socket.socket, data: bytes) -> None:
    for i in range(len(data)):
        sock.sendall(data[i : i + 1])


@pytest.mark.parametrize("server", SERVERS)
def test_streamed_response_split_anywhere(server: str) -> None:
    api = RuntimeApi(server)
    try:
        first, second = api.submit(b'{"n":1}'), api.submit(b'{"n":2}')
        with _connect(api) as control:
            event = _next(control)
            assert event["lambda-runtime-aws-request-id"] == first.request_id
            assert event["body"] == '{"n":1}'
            stream = _connect(api)  # a fresh connection for the stream, as ours opens one
            body = b"5\r\nhello\r\n" + b"46\r\n" + b"x" * 70 + b"\r\n0\r\nX-Trailer: yes\r\n\r\n"
            head = (
                f"POST /2018-06-01/runtime/invocation/{first.request_id}/response HTTP/1.1\r\n"
                "Transfer-Encoding: chunked\r\n\r\n"
            ).encode()
            _dribble(stream, head + body)
            assert _reply(stream).startswith(b"HTTP/1.1 202")
            done = api.wait(first, 10)
            assert [chunk.size for chunk in done.chunks] == [5, 70]
            assert done.chunks[0].head == b"hello" and done.chunks[1].head == b"x" * 64
            assert done.trailers == {"X-Trailer": "yes"}
            assert done.size == 75 and done.streaming
            assert done.dispatch_ns <= done.chunks[0].arrival_ns <= done.end_ns

            # The next event on the kept-alive control connection, answered buffered.
            event = _next(control)
            assert event["lambda-runtime-aws-request-id"] == second.request_id
            assert event["lambda-runtime-trace-id"] != first.trace_id
            post = (
                f"POST /2018-06-01/runtime/invocation/{second.request_id}/response HTTP/1.1\r\n"
                'Content-Length: 11\r\n\r\n{"ok":true}'
            ).encode()
            _dribble(control, post)
            assert _reply(control).startswith(b"HTTP/1.1 202")
            assert api.wait(second, 10).head == b'{"ok":true}'

            # An answer for an unknown request id is refused; the connection goes on.
            control.sendall(
                b"POST /2018-06-01/runtime/invocation/nope/response HTTP/1.1\r\n"
                b"Content-Length: 2\r\n\r\n{}"
            )
            assert _reply(control).startswith(b"HTTP/1.1 400")
            stream.close()
    finally:
        api.close()


@pytest.mark.parametrize("server", SERVERS)
def test_long_poll_and_init_error(server: str) -> None:
    """A ``/next`` that arrives before any event waits for one; ``/init/error`` is recorded."""
    api = RuntimeApi(server)
    try:
        with _connect(api) as sock:
            got: dict[str, str] = {}
            waiter = threading.Thread(target=lambda: got.update(_next(sock)))
            waiter.start()
            assert api.first_next.wait(10)
            time.sleep(0.05)
            assert not got  # still parked
            invocation = api.submit(b"{}")
            waiter.join(10)
            assert got["lambda-runtime-aws-request-id"] == invocation.request_id
        with _connect(api) as sock:
            _dribble(sock, b"POST /2018-06-01/runtime/init/error HTTP/1.1\r\n")
            sock.sendall(b'Content-Length: 7\r\n\r\n{"a":1}')
            assert _reply(sock).startswith(b"HTTP/1.1 202")
            assert api.init_error_event.wait(10)
            assert api.init_error == b'{"a":1}'
    finally:
        api.close()


def test_unknown_server_is_refused() -> None:
    with pytest.raises(ValueError, match="selector"):
        RuntimeApi("forking")

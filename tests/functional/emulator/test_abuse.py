"""The emulator's servers under abuse, on real loopback sockets: descriptor exhaustion, slow
clients, too many connections. Nothing may hang, nothing may stay held.

Each test drives the server the way an adversary (or a load test) would and checks what crossed
the wire: the status line a client reads, or the connection closing.
"""

import contextlib
import json
import resource
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from emulator.config import FunctionConfig
from emulator.http11 import Limits
from emulator.server import Emulator

REPO = Path(__file__).resolve().parents[3]
HANDLERS = Path(__file__).resolve().parent / "handlers"
HANG_GUARD = 10.0
OK_HANDLER = ("--handler", "abuse_handlers.ok")


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    """The ``ok`` handler behind a front door with short limits: 1 s per head and body,
    20 connections."""
    config = FunctionConfig(handler="abuse_handlers.ok", code_dir=HANDLERS)
    limits = Limits(header_timeout=1.0, body_timeout=1.0, max_connections=20)
    with Emulator(config, limits=limits) as running:
        yield running


def connect(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=HANG_GUARD)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def read_all(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    data = b""
    with contextlib.suppress(ConnectionResetError):
        while chunk := sock.recv(65536):
            data += chunk
    return data


def wait_until(predicate: object, what: str, seconds: float = HANG_GUARD) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def test_slow_heads_get_408_and_connections_over_the_cap_get_503(emulator: Emulator) -> None:
    threads_before = threading.active_count()
    slow = [connect(emulator.port) for _ in range(20)]
    for sock in slow:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")  # the head never ends
    wait_until(lambda: emulator._server.connection_count == 20, "20 connections held")
    over = [connect(emulator.port) for _ in range(10)]
    for sock in over:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    over_answers = [read_all(sock) for sock in over]
    slow_answers = [read_all(sock) for sock in slow]
    for sock in slow + over:
        sock.close()
    for answer in over_answers:
        assert answer.startswith(b"HTTP/1.1 503 "), answer[:200]
        assert b"retry-after: 1" in answer.lower()
        assert b"20 connections open" in answer
    for answer in slow_answers:
        assert answer.startswith(b"HTTP/1.1 408 "), answer[:200]
        assert b"request head did not arrive in time" in answer
    wait_until(lambda: emulator._server.connection_count == 0, "every connection released")
    # Their threads end; one thread remains that answers every connection over the cap.
    wait_until(lambda: threading.active_count() <= threads_before + 1, "their threads to end")
    # And the front door still serves.
    with urllib.request.urlopen(f"{emulator.function_url}?a=1", timeout=HANG_GUARD) as response:
        assert json.load(response)["ok"] is True


def test_a_stalled_body_gets_408(emulator: Emulator) -> None:
    with connect(emulator.port) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789")
        started = time.monotonic()
        answer = read_all(sock)
    assert answer.startswith(b"HTTP/1.1 408 "), answer[:200]
    assert b"request body did not arrive in time" in answer
    assert time.monotonic() - started < HANG_GUARD


def test_an_idle_kept_alive_connection_is_closed_without_an_answer(emulator: Emulator) -> None:
    with connect(emulator.port) as sock:
        sock.sendall(b"GET /?a=1 HTTP/1.1\r\nHost: x\r\n\r\n")
        first = b""
        while not first.endswith(b"\r\n0\r\n\r\n"):  # the whole chunked response
            first += sock.recv(65536)
        assert first.startswith(b"HTTP/1.1 200 ") and b'"ok": true' in first
        assert read_all(sock) == b""  # closed quietly after 1 s idle: no 408 to a silent client


def test_the_runtime_api_keeps_no_read_timeouts() -> None:
    """A runtime may idle for minutes between two chunks of a streamed response."""
    from emulator.listener import RUNTIME_API_LIMITS

    assert RUNTIME_API_LIMITS.header_timeout is None
    assert RUNTIME_API_LIMITS.body_timeout is None


def test_accepting_survives_running_out_of_descriptors(tmp_path: Path) -> None:
    """``ulimit -n 64``, 80 connections at once: EMFILE. Once they close, the emulator must
    accept again, and say once in its log what happened."""

    def low_fd_limit() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))

    log = tmp_path / "emulator.log"
    with log.open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "emulator", "--code", str(HANDLERS), *OK_HANDLER, "--port", "0"],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=stderr,
            preexec_fn=low_fd_limit,  # noqa: PLW1509 - no threads in between: a plain setrlimit
        )
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline().decode().rsplit(":", 1)[1])
        held = [connect(port) for _ in range(80)]
        wait_until(lambda: "EMFILE" in log.read_text(), "the EMFILE log line")
        for sock in held:
            sock.close()
        request = urllib.request.Request(f"http://127.0.0.1:{port}/?after=emfile")
        with urllib.request.urlopen(request, timeout=HANG_GUARD) as response:
            assert json.load(response)["event"]["rawQueryString"] == "after=emfile"
    finally:
        process.terminate()
        process.wait(timeout=HANG_GUARD)
        if process.stdout is not None:
            process.stdout.close()
    text = log.read_text()
    assert text.count("EMFILE") == 1, text
    assert "retrying with back-off" in text
    assert "accepting again" in text

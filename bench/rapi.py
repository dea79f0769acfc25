"""A minimal Lambda Runtime API for benchmarks: stdlib only, every chunk timestamped.

Owns: the loopback server one runtime process talks to, and the record of each invocation
(when its event was handed out, when each body chunk arrived, its trailers). It is written
independently of ``runtime/`` (a shared bug must not hide) and answers the way AWS's Runtime
Interface Emulator renders its replies: ``/next`` is 200 with the ``Lambda-Runtime-*`` headers
Node's client requires, accepted posts are ``202 {"status":"OK"}``.

Times are ``time.monotonic_ns()`` (CLOCK_MONOTONIC), the clock every peer's handler stamps
its chunks with, so a write in the runtime and an arrival here are on one time line.

- "dispatch": just before the ``/next`` reply is handed to the kernel;
- a chunk's arrival: when its last byte has been read (chunks are parsed here, not by a
  library, so each one gets its own time);
- an invocation is done once its 202 is sent.

One thread per connection; ``GET /next`` is a long poll. Not modelled: deadlines, size limits,
Extensions/Telemetry APIs.
"""

import contextlib
import io
import json
import socket
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import cast

SPARE = 2  # workers kept waiting in accept()
HEAD_BYTES = 64  # bytes kept from the start of each chunk: the handlers' timestamps live there
_PRELUDE_TYPE = "application/vnd.awslambda.http-integration-response"
_DELIMITER = b"\0" * 8
_ACCEPTED = (
    b"HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: 15\r\n\r\n"
    b'{"status":"OK"}'
)


@dataclass(slots=True)
class Chunk:
    arrival_ns: int
    size: int
    head: bytes  # the first HEAD_BYTES bytes
    prelude: bool = False  # part of an http-integration prelude (JSON + 8 NUL), not payload


@dataclass(slots=True)
class Invocation:
    request_id: str
    payload: bytes
    dispatch_ns: int = 0
    outcome: str = ""  # "response" | "error"
    streaming: bool = False
    headers_ns: int = 0  # the POST's request head arrived
    end_ns: int = 0  # the whole body arrived
    size: int = 0  # body bytes (chunk payloads for a stream)
    head: bytes = b""  # first bytes of a buffered body
    chunks: list[Chunk] = field(default_factory=list)
    trailers: dict[str, str] = field(default_factory=dict)
    done: threading.Event = field(default_factory=threading.Event)

    def payload_chunks(self) -> list[Chunk]:
        return [chunk for chunk in self.chunks if not chunk.prelude]


class RuntimeApi:
    """Serve the Runtime API for one runtime process on 127.0.0.1 (an ephemeral port)."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0), backlog=64)
        self.address = f"127.0.0.1:{self._listener.getsockname()[1]}"
        self._pending: deque[Invocation] = deque()
        self._invocations: dict[str, Invocation] = {}
        self._cond = threading.Condition()
        self._closed = False
        self._connections: set[socket.socket] = set()
        self.first_next_ns = 0
        self.first_next = threading.Event()
        self.init_error: bytes | None = None
        self.init_error_event = threading.Event()
        # Workers wait in accept() themselves, so a fresh connection (ours and hayate open one
        # per stream) is served without a thread being created on its critical path; a spare
        # worker is started in the background whenever fewer than SPARE are waiting.
        self._idle = 0
        self._spawn = threading.Condition()
        for _ in range(SPARE + 2):
            self._start_worker()
        threading.Thread(target=self._spawner, daemon=True, name="rapi-spawner").start()

    def submit(self, payload: bytes) -> Invocation:
        """Queue an event; the runtime's next (or pending) ``GET /next`` takes it."""
        invocation = Invocation(request_id=str(uuid.uuid4()), payload=payload)
        with self._cond:
            self._invocations[invocation.request_id] = invocation
            self._pending.append(invocation)
            self._cond.notify()
        return invocation

    def invoke(self, payload: bytes, timeout: float = 60.0) -> Invocation:
        invocation = self.submit(payload)
        if not invocation.done.wait(timeout):
            raise TimeoutError(f"no response to {invocation.request_id} within {timeout} s")
        del self._invocations[invocation.request_id]
        return invocation

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        with self._spawn:
            self._spawn.notify_all()
        self._listener.shutdown(socket.SHUT_RDWR)  # wakes the workers blocked in accept()
        self._listener.close()
        for connection in list(self._connections):
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def _start_worker(self) -> None:
        with self._spawn:
            self._idle += 1
        threading.Thread(target=self._worker, daemon=True, name="rapi-worker").start()

    def _spawner(self) -> None:
        while not self._closed:
            with self._spawn:
                while self._idle >= SPARE and not self._closed:
                    self._spawn.wait()
            if not self._closed:
                self._start_worker()

    def _worker(self) -> None:
        while True:
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return
            with self._spawn:
                self._idle -= 1
                if self._idle < SPARE:
                    self._spawn.notify()
            connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._connections.add(connection)
            self._serve(connection)
            with self._spawn:
                self._idle += 1

    def _serve(self, connection: socket.socket) -> None:
        rfile = cast(io.BufferedReader, connection.makefile("rb", buffering=256 * 1024))
        try:
            while not self._closed:
                request = read_head(rfile)
                if request is None:
                    return
                method, target, headers = request
                if method == "GET" and target.endswith("/runtime/invocation/next"):
                    self._next(connection)
                elif method == "POST":
                    self._post(connection, rfile, target, headers)
                else:
                    connection.sendall(_reply(404, b'{"errorType":"NotFound"}'))
        except (OSError, ValueError):
            pass
        finally:
            self._connections.discard(connection)
            connection.close()

    def _next(self, connection: socket.socket) -> None:
        if not self.first_next_ns:
            self.first_next_ns = time.monotonic_ns()
            self.first_next.set()
        with self._cond:
            while not self._pending and not self._closed:
                self._cond.wait()
            if self._closed:
                return
            invocation = self._pending.popleft()
        deadline_ms = int(time.time() * 1000) + 300_000
        head = (
            "HTTP/1.1 200 OK\r\n"
            "Content-Type: application/json\r\n"
            f"Lambda-Runtime-Aws-Request-Id: {invocation.request_id}\r\n"
            f"Lambda-Runtime-Deadline-Ms: {deadline_ms}\r\n"
            "Lambda-Runtime-Invoked-Function-Arn: "
            "arn:aws:lambda:us-east-1:123456789012:function:bench\r\n"
            "Lambda-Runtime-Trace-Id: Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1\r\n"
            f"Content-Length: {len(invocation.payload)}\r\n\r\n"
        ).encode()
        message = head + invocation.payload
        invocation.dispatch_ns = time.monotonic_ns()
        connection.sendall(message)

    def _post(
        self,
        connection: socket.socket,
        rfile: io.BufferedReader,
        target: str,
        headers: dict[str, str],
    ) -> None:
        arrived = time.monotonic_ns()
        parts = target.split("/")
        if target.endswith("/runtime/init/error"):
            self.init_error = read_body(rfile, headers)
            connection.sendall(_ACCEPTED)
            self.init_error_event.set()
            return
        invocation = self._invocations.get(parts[-2]) if len(parts) >= 2 else None
        if invocation is None or invocation.outcome:
            read_body(rfile, headers)
            connection.sendall(_reply(400, b'{"errorType":"InvalidRequestID"}'))
            return
        invocation.outcome = parts[-1]
        invocation.headers_ns = arrived
        if headers.get("transfer-encoding", "").lower() == "chunked":
            invocation.streaming = True
            prelude = headers.get("content-type", "") == _PRELUDE_TYPE
            for chunk in iter_chunks(rfile, invocation.trailers, prelude=prelude):
                invocation.chunks.append(chunk)
                if not chunk.prelude:
                    invocation.size += chunk.size
        else:
            body = read_body(rfile, headers)
            invocation.size, invocation.head = len(body), body[:HEAD_BYTES]
        invocation.end_ns = time.monotonic_ns()
        connection.sendall(_ACCEPTED)
        invocation.done.set()


def read_head(rfile: io.BufferedReader) -> tuple[str, str, dict[str, str]] | None:
    """Read one request (or response) head: (method, target, lower-case headers), None at EOF."""
    line = rfile.readline(65537)
    while line in (b"\r\n", b"\n"):
        line = rfile.readline(65537)
    if not line:
        return None
    first, second, _ = line.decode("latin-1").split(" ", 2)
    headers: dict[str, str] = {}
    while True:
        line = rfile.readline(65537)
        if line in (b"\r\n", b"\n", b""):
            return first, second, headers
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()


def read_body(rfile: io.BufferedReader, headers: dict[str, str]) -> bytes:
    return rfile.read(int(headers.get("content-length", "0")))


def iter_chunks(
    rfile: io.BufferedReader, trailers: dict[str, str], *, prelude: bool = False
) -> Iterator[Chunk]:
    """Yield each chunk of a chunked body as it completes; fill ``trailers`` at the end.

    Only the first HEAD_BYTES of a chunk are kept (a 64 KiB chunk is read into a scratch
    buffer), except while an http-integration prelude is open: it is kept whole until its
    8-NUL delimiter, and those chunks are marked ``prelude``.
    """
    scratch = memoryview(bytearray(1 << 20))
    seen = b""
    while True:
        line = rfile.readline(1024)
        if not line:
            raise ValueError("body cut off")
        size = int(line.split(b";", 1)[0], 16)
        if size == 0:
            while True:
                line = rfile.readline(65537)
                if line in (b"\r\n", b"\n", b""):
                    return
                name, _, value = line.decode("latin-1").partition(":")
                trailers[name.strip()] = value.strip()
        if prelude or size <= HEAD_BYTES:
            data = rfile.read(size)
            head = data[:HEAD_BYTES]
        else:
            head = rfile.read(HEAD_BYTES)
            left = size - HEAD_BYTES
            while left:
                got = rfile.readinto(scratch[: min(left, len(scratch))])
                if not got:
                    raise ValueError("body cut off")
                left -= got
        if rfile.read(2) != b"\r\n":
            raise ValueError("chunk not followed by CRLF")
        arrival = time.monotonic_ns()
        if prelude:
            seen += data
            yield Chunk(arrival, size, head, prelude=True)
            prelude = _DELIMITER not in seen
        else:
            yield Chunk(arrival, size, head)


def _reply(status: int, body: bytes) -> bytes:
    return (
        b"HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
        % (status, len(body))
        + body
    )


def encode(event: object) -> bytes:
    return json.dumps(event, separators=(",", ":")).encode()

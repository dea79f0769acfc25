"""A minimal Lambda Runtime API for benchmarks: stdlib only, every chunk timestamped.

Owns: the loopback server one runtime process talks to, and the record of each invocation
(when its event was handed out, when each body chunk arrived, its trailers). It is written
independently of ``runtime/`` (a shared bug must not hide) and answers the way AWS's Runtime
Interface Emulator renders its replies: ``/next`` is 200 with the ``Lambda-Runtime-*`` headers
Node's client requires (a fresh trace id each time, as Lambda sends), accepted posts are
``202 {"status":"OK"}``.

Times are ``time.monotonic_ns()`` (CLOCK_MONOTONIC), the clock every peer's handler stamps
its chunks with, so a write in the runtime and an arrival here are on one time line.

- "dispatch": just before the ``/next`` reply is handed to the kernel;
- a chunk's arrival: when its last byte has been read (chunks are parsed here, not by a
  library, so each one gets its own time);
- an invocation is done once its 202 is sent.

How connections are served is a choice (``SERVERS``), because it changes what a fresh
connection costs compared with a kept-alive one:

- ``selector`` (the default): one thread, one ``epoll`` for the listener and every
  connection (``rapi_selector.py``). A new connection costs an ``accept`` in the loop that is
  already awake, a kept-alive one a ``recv``: neither pattern is favoured.
- ``thread``: a thread started per accepted connection, as a simple threaded server does; a
  fresh connection pays for a thread start on its critical path.
- ``spare``: threads kept waiting in ``accept()`` in advance (the bench's first server); a
  fresh connection finds a thread ready, which hides what it costs a plainer server.

``GET /next`` is a long poll. Not modelled: deadlines, size limits, Extensions/Telemetry APIs.
"""

import contextlib
import io
import json
import os
import socket
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import cast

from bench.http1 import (
    ACCEPTED,
    HEAD_BYTES,
    PRELUDE_TYPE,
    Chunk,
    iter_chunks,
    read_body,
    read_head,
    reply,
)
from bench.rapi_selector import SelectorServer

__all__ = ["SERVERS", "Chunk", "Invocation", "RuntimeApi", "encode", "iter_chunks", "read_head"]

SERVERS = ("selector", "thread", "spare")
SPARE = 2  # spare server: workers kept waiting in accept()


@dataclass(slots=True)
class Invocation:
    request_id: str
    payload: bytes
    trace_id: str = ""
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

    def __init__(self, server: str = "selector") -> None:
        if server not in SERVERS:
            raise ValueError(f"unknown Runtime API server {server!r}; choose from {SERVERS}")
        self.server = server
        self._listener = socket.create_server(("127.0.0.1", 0), backlog=64)
        self.address = f"127.0.0.1:{self._listener.getsockname()[1]}"
        self._pending: deque[Invocation] = deque()
        self._invocations: dict[str, Invocation] = {}
        self._cond = threading.Condition()
        self.closed = False
        self._connections: set[socket.socket] = set()
        self.first_next_ns = 0
        self.first_next = threading.Event()
        self.init_error: bytes | None = None
        self.init_error_event = threading.Event()
        self._idle = 0
        self._spawn = threading.Condition()
        self._selector: SelectorServer | None = None
        if server == "selector":
            self._selector = SelectorServer(self, self._listener)
        elif server == "thread":
            threading.Thread(target=self._accept_loop, daemon=True, name="rapi-accept").start()
        else:
            # Workers wait in accept() themselves; a spare one is started in the background
            # whenever fewer than SPARE are waiting.
            for _ in range(SPARE + 2):
                self._start_worker()
            threading.Thread(target=self._spawner, daemon=True, name="rapi-spawner").start()

    def submit(self, payload: bytes) -> Invocation:
        """Queue an event; the runtime's next (or pending) ``GET /next`` takes it."""
        invocation = Invocation(
            request_id=str(uuid.uuid4()), payload=payload, trace_id=new_trace_id()
        )
        with self._cond:
            self._invocations[invocation.request_id] = invocation
            self._pending.append(invocation)
            self._cond.notify()
        if self._selector is not None:
            self._selector.wake()
        return invocation

    def invoke(self, payload: bytes, timeout: float = 60.0) -> Invocation:
        return self.wait(self.submit(payload), timeout)

    def wait(self, invocation: Invocation, timeout: float = 60.0) -> Invocation:
        if not invocation.done.wait(timeout):
            raise TimeoutError(f"no response to {invocation.request_id} within {timeout} s")
        del self._invocations[invocation.request_id]
        return invocation

    def close(self) -> None:
        with self._cond:
            self.closed = True
            self._cond.notify_all()
        with self._spawn:
            self._spawn.notify_all()
        if self._selector is not None:
            self._selector.close()
            return
        self._listener.shutdown(socket.SHUT_RDWR)  # wakes the workers blocked in accept()
        self._listener.close()
        for connection in list(self._connections):
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    # What every server does with a request, whichever thread runs it.

    def note_next(self) -> None:
        if not self.first_next_ns:
            self.first_next_ns = time.monotonic_ns()
            self.first_next.set()

    def take_next(self, *, block: bool) -> Invocation | None:
        """The next queued event (waiting for one if ``block``); None if none or closed."""
        with self._cond:
            while block and not self._pending and not self.closed:
                self._cond.wait()
            if self.closed or not self._pending:
                return None
            return self._pending.popleft()

    @staticmethod
    def next_message(invocation: Invocation) -> bytes:
        deadline_ms = int(time.time() * 1000) + 300_000
        head = (
            "HTTP/1.1 200 OK\r\n"
            "Content-Type: application/json\r\n"
            f"Lambda-Runtime-Aws-Request-Id: {invocation.request_id}\r\n"
            f"Lambda-Runtime-Deadline-Ms: {deadline_ms}\r\n"
            "Lambda-Runtime-Invoked-Function-Arn: "
            "arn:aws:lambda:us-east-1:123456789012:function:bench\r\n"
            f"Lambda-Runtime-Trace-Id: {invocation.trace_id}\r\n"
            f"Content-Length: {len(invocation.payload)}\r\n\r\n"
        ).encode()
        return head + invocation.payload

    def post_target(self, target: str, arrived: int) -> tuple[str, Invocation | None]:
        """What a POST is: ("init", None), ("invocation", its record) or ("reject", None)."""
        if target.endswith("/runtime/init/error"):
            return "init", None
        parts = target.split("/")
        invocation = self._invocations.get(parts[-2]) if len(parts) >= 2 else None
        if invocation is None or invocation.outcome:
            return "reject", None
        invocation.outcome = parts[-1]
        invocation.headers_ns = arrived
        return "invocation", invocation

    def record_init_error(self, body: bytes) -> None:
        self.init_error = body
        self.init_error_event.set()

    # The blocking servers ("thread", "spare"): one thread per connection while it lasts.

    def _accept_loop(self) -> None:
        while True:
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(
                target=self._serve, args=(connection,), daemon=True, name="rapi-connection"
            ).start()

    def _start_worker(self) -> None:
        with self._spawn:
            self._idle += 1
        threading.Thread(target=self._worker, daemon=True, name="rapi-worker").start()

    def _spawner(self) -> None:
        while not self.closed:
            with self._spawn:
                while self._idle >= SPARE and not self.closed:
                    self._spawn.wait()
            if not self.closed:
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
            self._serve(connection)
            with self._spawn:
                self._idle += 1

    def _serve(self, connection: socket.socket) -> None:
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._connections.add(connection)
        rfile = cast(io.BufferedReader, connection.makefile("rb", buffering=256 * 1024))
        try:
            while not self.closed:
                request = read_head(rfile)
                if request is None:
                    return
                method, target, headers = request
                if method == "GET" and target.endswith("/runtime/invocation/next"):
                    self.note_next()
                    invocation = self.take_next(block=True)
                    if invocation is None:
                        return
                    message = self.next_message(invocation)
                    invocation.dispatch_ns = time.monotonic_ns()
                    connection.sendall(message)
                elif method == "POST":
                    self._post(connection, rfile, target, headers)
                else:
                    connection.sendall(reply(404, b'{"errorType":"NotFound"}'))
        except (OSError, ValueError):
            pass
        finally:
            self._connections.discard(connection)
            connection.close()

    def _post(
        self,
        connection: socket.socket,
        rfile: io.BufferedReader,
        target: str,
        headers: dict[str, str],
    ) -> None:
        kind, invocation = self.post_target(target, time.monotonic_ns())
        if invocation is None:
            body = read_body(rfile, headers)
            if kind == "init":
                connection.sendall(ACCEPTED)
                self.record_init_error(body)
            else:
                connection.sendall(reply(400, b'{"errorType":"InvalidRequestID"}'))
            return
        if headers.get("transfer-encoding", "").lower() == "chunked":
            invocation.streaming = True
            prelude = headers.get("content-type", "") == PRELUDE_TYPE
            for chunk in iter_chunks(rfile, invocation.trailers, prelude=prelude):
                invocation.chunks.append(chunk)
                if not chunk.prelude:
                    invocation.size += chunk.size
        else:
            body = read_body(rfile, headers)
            invocation.size, invocation.head = len(body), body[:HEAD_BYTES]
        invocation.end_ns = time.monotonic_ns()
        connection.sendall(ACCEPTED)
        invocation.done.set()


def new_trace_id() -> str:
    """A fresh X-Ray trace header per invocation, as Lambda sends: a runtime that keeps
    per-invocation state (``_X_AMZN_TRACE_ID`` in the environment) shows any leak of it."""
    return f"Root=1-{int(time.time()):08x}-{os.urandom(12).hex()};Sampled=1"


def encode(event: object) -> bytes:
    return json.dumps(event, separators=(",", ":")).encode()

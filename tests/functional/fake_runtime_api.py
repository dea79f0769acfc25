"""A loopback Lambda Runtime API for tests: hands out queued events, records what arrives.

Independent of the runtime's code: requests are parsed by h11, so a framing bug in the runtime
shows up here as a parse error or a wrong chunk, never as a shared blind spot. Every request is
recorded with its headers, each body chunk with its arrival time (``time.monotonic``), and its
trailers. Answers follow Lambda's RAPID (202 ``{"status":"OK"}``), unless a test overrides them.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import queue
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field

import h11

NEXT = "/2018-06-01/runtime/invocation/next"


@dataclass
class Recorded:
    """One request as it crossed the wire."""

    method: str
    target: str
    headers: list[tuple[str, str]]
    chunks: list[tuple[bytes, float]] = field(default_factory=list)
    trailers: list[tuple[str, str]] = field(default_factory=list)
    complete: bool = False
    broken: str | None = None
    head_time: float = 0.0

    @property
    def body(self) -> bytes:
        return b"".join(data for data, _ in self.chunks)

    def header(self, name: str) -> str | None:
        values = [v for k, v in self.headers if k == name.lower()]
        return ", ".join(values) if values else None

    def header_lines(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k == name.lower()]

    def trailer(self, name: str) -> str | None:
        return dict(self.trailers).get(name.lower())

    @property
    def json(self) -> object:
        return json.loads(self.body)


@dataclass
class Event:
    request_id: str
    body: bytes
    headers: dict[str, str]


class FakeRuntimeApi:
    """A threaded HTTP/1.1 server on 127.0.0.1:<ephemeral>."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.address = f"127.0.0.1:{self._listener.getsockname()[1]}"
        self._events: queue.Queue[Event | None] = queue.Queue()
        self._lock = threading.Condition()
        self.requests: list[Recorded] = []
        self.raw: dict[int, bytearray] = {}
        # (method, path suffix) -> (status, body): e.g. ("POST", "/response") -> (500, b"...")
        self.answers: dict[tuple[str, str], tuple[int, bytes]] = {}
        self.reset_after_chunks: int | None = None
        # Close each connection right after answering a POST, without saying so: the runtime
        # then finds its kept-alive connection closed when it next uses it.
        self.close_after_answer = False
        # Refuse a streamed body past this many bytes: answer 413, stop reading, close.
        self.stream_cap: int | None = None
        self.dispatch_times: dict[str, float] = {}
        self._closed = False
        self._threads: list[threading.Thread] = []
        self._connections: list[socket.socket] = []
        self._counter = itertools.count()
        self._accept_thread = threading.Thread(target=self._accept, daemon=True)
        self._accept_thread.start()

    # -- test API ----------------------------------------------------------------------------

    def push(
        self,
        event: object,
        *,
        request_id: str | None = None,
        deadline_in: float = 30.0,
        headers: dict[str, str] | None = None,
    ) -> str:
        """Queue an event for the next ``GET /next``; returns its request id."""
        request_id = request_id or str(uuid.uuid4())
        body = event if isinstance(event, bytes) else json.dumps(event).encode()
        all_headers = {
            "Lambda-Runtime-Aws-Request-Id": request_id,
            "Lambda-Runtime-Deadline-Ms": str(int((time.time() + deadline_in) * 1000)),
            "Lambda-Runtime-Invoked-Function-Arn": (
                "arn:aws:lambda:us-east-1:123456789012:function:test"
            ),
            "Lambda-Runtime-Trace-Id": (
                "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1"
            ),
            "Content-Type": "application/json",
        }
        all_headers.update(headers or {})
        self._events.put(Event(request_id, body, {k: v for k, v in all_headers.items() if v}))
        return request_id

    def wait_for(
        self, method: str, suffix: str, *, count: int = 1, timeout: float = 10.0
    ) -> list[Recorded]:
        """Wait until ``count`` complete (or broken) requests match; return them in order."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                matches = [
                    r
                    for r in self.requests
                    if r.method == method and r.target.endswith(suffix) and (r.complete or r.broken)
                ]
                if len(matches) >= count:
                    return matches
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = [(r.method, r.target, r.complete, r.broken) for r in self.requests]
                    raise TimeoutError(f"no {count}x {method} *{suffix} within {timeout}s: {seen}")
                self._lock.wait(remaining)

    def wait_for_chunks(self, suffix: str, count: int, timeout: float = 10.0) -> Recorded:
        """Wait until a request to ``*suffix`` has received ``count`` body chunks."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                for r in self.requests:
                    if r.target.endswith(suffix) and len(r.chunks) >= count:
                        return r
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"fewer than {count} chunks to *{suffix} in {timeout}s")
                self._lock.wait(remaining)

    def close(self) -> None:
        self._closed = True
        self._events.put(None)
        self._listener.close()
        for connection in list(self._connections):
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
            connection.close()
        for thread in self._threads:
            thread.join(timeout=5)

    # -- server ------------------------------------------------------------------------------

    def _accept(self) -> None:
        while not self._closed:
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return
            self._connections.append(connection)
            thread = threading.Thread(target=self._serve, args=(connection,), daemon=True)
            thread.start()  # before it is listed: close() joins every listed thread
            self._threads.append(thread)

    def _serve(self, sock: socket.socket) -> None:
        conn = h11.Connection(h11.SERVER)
        raw = self.raw.setdefault(next(self._counter), bytearray())
        current: Recorded | None = None
        try:
            while True:
                event = conn.next_event()
                if event is h11.NEED_DATA:
                    data = sock.recv(65536)
                    raw.extend(data)
                    conn.receive_data(data)
                    if not data and current is not None and not current.complete:
                        self._mark(current, broken="connection closed before the last chunk")
                        return
                    continue
                if isinstance(event, h11.ConnectionClosed):
                    return
                if isinstance(event, h11.Request):
                    current = self._begin(event)
                elif isinstance(event, h11.Data) and current is not None:
                    if not self._record_chunk(current, bytes(event.data), sock):
                        return
                elif isinstance(event, h11.EndOfMessage) and current is not None:
                    current.trailers = [(k.decode(), v.decode()) for k, v in event.headers]
                    self._mark(current)  # fully received; the answer may wait (GET /next)
                    if not self._answer(conn, sock, current) or h11.MUST_CLOSE in (
                        conn.our_state,
                        conn.their_state,
                    ):
                        return
                    conn.start_next_cycle()
                    current = None
        except (h11.RemoteProtocolError, OSError) as error:
            if current is not None:
                self._mark(current, broken=f"{type(error).__name__}: {error}")
        finally:
            sock.close()

    def _begin(self, request: h11.Request) -> Recorded:
        recorded = Recorded(
            request.method.decode(),
            request.target.decode(),
            [(k.decode(), v.decode()) for k, v in request.headers],
            head_time=time.monotonic(),
        )
        with self._lock:
            self.requests.append(recorded)
            self._lock.notify_all()
        return recorded

    def _record_chunk(self, current: Recorded, data: bytes, sock: socket.socket) -> bool:
        """Record one chunk; False after resetting the connection as a test asked."""
        with self._lock:
            current.chunks.append((data, time.monotonic()))
            self._lock.notify_all()
        if self.stream_cap is not None and len(current.body) > self.stream_cap:
            self._refuse_oversize(current, sock)
            return False
        if self.reset_after_chunks is None or len(current.chunks) < self.reset_after_chunks:
            return True
        # SO_LINGER with a zero timeout: close() sends a RST, not a FIN.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        sock.close()
        self._mark(current, broken="reset by the test after a chunk")
        return False

    def _refuse_oversize(self, current: Recorded, sock: socket.socket) -> None:
        # As an HTTP server refusing a body it will not read: the answer first, then no more
        # reading; closing with unread data makes the kernel reset the connection.
        body = b'{"errorType":"Function.ResponseSizeTooLarge","errorMessage":"Response too large"}'
        sock.sendall(
            b"HTTP/1.1 413 Request Entity Too Large\r\nContent-Type: application/json\r\n"
            b"Connection: close\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
        )
        self._mark(current, broken="refused: over the stream cap (413)")
        time.sleep(0.2)
        sock.close()

    def _mark(self, recorded: Recorded, *, broken: str | None = None) -> None:
        with self._lock:
            recorded.broken = broken
            recorded.complete = broken is None
            self._lock.notify_all()

    def _answer(self, conn: h11.Connection, sock: socket.socket, request: Recorded) -> bool:
        """Answer ``request``; False when the connection must end instead."""
        if (
            request.method == "GET"
            and request.target == NEXT
            and ("GET", "/next") not in self.answers
        ):
            event = self._events.get()
            if event is None:
                return False
            headers = [(k, v) for k, v in event.headers.items()]
            headers.append(("Content-Length", str(len(event.body))))
            self.dispatch_times[event.request_id] = time.monotonic()
            sock.sendall(
                conn.send(h11.Response(status_code=200, headers=headers))
                + conn.send(h11.Data(data=event.body))
                + conn.send(h11.EndOfMessage())
            )
            return True
        status, body = 202, b'{"status":"OK"}'
        for (method, suffix), answer in self.answers.items():
            if request.method == method and request.target.endswith(suffix):
                status, body = answer
        if status == 0:  # a test asked for silence: hold the connection, never answer
            while not self._closed:
                time.sleep(0.05)
            return False
        headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
        sock.sendall(
            conn.send(h11.Response(status_code=status, headers=headers))
            + conn.send(h11.Data(data=body))
            + conn.send(h11.EndOfMessage())
        )
        return not self.close_after_answer

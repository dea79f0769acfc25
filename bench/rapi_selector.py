"""The Runtime API's ``selector`` server: one thread, one ``epoll``, every connection alike.

Owns: reading requests from any number of connections in one event loop, with an HTTP/1.1
parser that is fed whatever ``recv`` returned (request heads, ``Content-Length`` bodies, chunked
bodies with their trailers). A chunk's arrival is stamped when its closing CRLF has been read,
as the blocking servers do. What a request means is ``RuntimeApi``'s business (``rapi.py``);
this module only moves bytes.

A ``GET /next`` with no event queued is parked; ``wake()`` (an eventfd, from ``submit``) makes
the loop hand the new event to the parked connection.
"""

import contextlib
import os
import selectors
import socket
import threading
import time
from typing import TYPE_CHECKING

from bench.http1 import (
    ACCEPTED,
    DELIMITER,
    HEAD_BYTES,
    MAX_LINE,
    PRELUDE_TYPE,
    Chunk,
    parse_header,
    reply,
)

if TYPE_CHECKING:
    from bench.rapi import Invocation, RuntimeApi

_SCRATCH = 1 << 20


class _Connection:
    """One connection's parser state."""

    __slots__ = (
        "body",
        "chunk_head",
        "chunk_size",
        "headers",
        "invocation",
        "kind",
        "method",
        "need",
        "partial",
        "prelude",
        "prelude_seen",
        "sock",
        "state",
        "target",
    )

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.state = "request"  # request, header, size, crlf, trailer; body, chunk (need > 0)
        self.partial = bytearray()  # an incomplete line
        self.need = 0  # body bytes still to come in the current region
        self.method = self.target = self.kind = ""
        self.headers: dict[str, str] = {}
        self.invocation: Invocation | None = None
        self.body = bytearray()  # init error or buffered response: kept up to HEAD_BYTES
        self.chunk_size = 0
        self.chunk_head = bytearray()
        self.prelude = False
        self.prelude_seen = b""


class SelectorServer:
    def __init__(self, api: "RuntimeApi", listener: socket.socket) -> None:
        self._api = api
        self._listener = listener
        listener.setblocking(False)
        self._wake_fd = os.eventfd(0, os.EFD_NONBLOCK | os.EFD_CLOEXEC)
        self._selector = selectors.DefaultSelector()
        self._selector.register(listener, selectors.EVENT_READ, None)
        self._selector.register(self._wake_fd, selectors.EVENT_READ, None)
        self._parked: list[_Connection] = []
        self._scratch = bytearray(_SCRATCH)
        self._view = memoryview(self._scratch)
        self._connections: dict[int, _Connection] = {}
        self._thread = threading.Thread(target=self._loop, daemon=True, name="rapi-selector")
        self._thread.start()

    def wake(self) -> None:
        os.eventfd_write(self._wake_fd, 1)

    def close(self) -> None:
        self.wake()
        self._thread.join(10)

    def _loop(self) -> None:
        try:
            while not self._api.closed:
                for key, _ in self._selector.select():
                    if key.fileobj is self._listener:
                        self._accept()
                    elif key.fileobj == self._wake_fd:
                        with contextlib.suppress(BlockingIOError):
                            os.eventfd_read(self._wake_fd)
                        self._hand_out()
                    else:
                        self._readable(key.data)
        finally:
            for connection in list(self._connections.values()):
                self._drop(connection)
            self._selector.close()
            self._listener.close()
            os.close(self._wake_fd)

    def _accept(self) -> None:
        while True:
            try:
                sock, _ = self._listener.accept()
            except BlockingIOError:
                return
            sock.setblocking(True)  # recv only after readiness; sends are small replies
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            connection = _Connection(sock)
            self._connections[sock.fileno()] = connection
            self._selector.register(sock, selectors.EVENT_READ, connection)

    def _drop(self, connection: _Connection) -> None:
        self._connections.pop(connection.sock.fileno(), None)
        with contextlib.suppress(KeyError, ValueError):
            self._selector.unregister(connection.sock)
        if connection in self._parked:
            self._parked.remove(connection)
        connection.sock.close()

    def _hand_out(self) -> None:
        while self._parked:
            invocation = self._api.take_next(block=False)
            if invocation is None:
                return
            self._dispatch(self._parked.pop(0), invocation)

    def _dispatch(self, connection: _Connection, invocation: "Invocation") -> None:
        message = self._api.next_message(invocation)
        invocation.dispatch_ns = time.monotonic_ns()
        connection.sock.sendall(message)

    def _readable(self, connection: _Connection) -> None:
        try:
            count = connection.sock.recv_into(self._scratch)
            if not count:
                self._drop(connection)
                return
            self._feed(connection, count)
        except (OSError, ValueError):
            self._drop(connection)

    def _feed(self, connection: _Connection, count: int) -> None:
        data, pos = self._scratch, 0
        while pos < count:
            if connection.need:
                take = min(connection.need, count - pos)
                self._consume(connection, pos, take)
                pos += take
                connection.need -= take
                if not connection.need:
                    self._region_done(connection)
                continue
            end = data.find(b"\n", pos, count)
            if end < 0:
                connection.partial += self._view[pos:count]
                if len(connection.partial) > MAX_LINE:
                    raise ValueError("line too long")
                return
            line = bytes(connection.partial + self._view[pos : end + 1])
            connection.partial.clear()
            pos = end + 1
            self._line(connection, line)

    def _consume(self, connection: _Connection, pos: int, take: int) -> None:
        if connection.state == "chunk":
            keep = connection.chunk_size if connection.prelude else HEAD_BYTES
        else:
            keep = HEAD_BYTES
        room = keep - len(connection.chunk_head if connection.state == "chunk" else connection.body)
        if room > 0:
            piece = self._view[pos : pos + min(room, take)]
            if connection.state == "chunk":
                connection.chunk_head += piece
            else:
                connection.body += piece

    def _line(self, connection: _Connection, line: bytes) -> None:
        state = connection.state
        blank = line in (b"\r\n", b"\n")
        if state == "request":
            if not blank:
                connection.method, connection.target, _ = line.decode("latin-1").split(" ", 2)
                connection.headers = {}
                connection.state = "header"
        elif state == "header":
            if blank:
                self._request(connection)
            else:
                parse_header(line, connection.headers)
        elif state == "size":
            size = int(line.split(b";", 1)[0], 16)
            if size:
                connection.chunk_size, connection.need = size, size
                connection.chunk_head = bytearray()
                connection.state = "chunk"
            else:
                connection.state = "trailer"
        elif state == "crlf":
            if not blank:
                raise ValueError("chunk not followed by CRLF")
            self._chunk_done(connection)
        elif blank:  # trailer section over: the stream is complete
            self._finish(connection)
        else:
            assert connection.invocation is not None
            parse_header(line, connection.invocation.trailers, lower=False)

    def _request(self, connection: _Connection) -> None:
        connection.state = "request"
        method, target, headers = connection.method, connection.target, connection.headers
        if method == "GET" and target.endswith("/runtime/invocation/next"):
            self._api.note_next()
            invocation = self._api.take_next(block=False)
            if invocation is None:
                self._parked.append(connection)
            else:
                self._dispatch(connection, invocation)
            return
        if method != "POST":
            connection.sock.sendall(reply(404, b'{"errorType":"NotFound"}'))
            return
        connection.kind, connection.invocation = self._api.post_target(target, time.monotonic_ns())
        connection.body = bytearray()
        invocation = connection.invocation
        if invocation is not None and headers.get("transfer-encoding", "").lower() == "chunked":
            invocation.streaming = True
            connection.prelude = headers.get("content-type", "") == PRELUDE_TYPE
            connection.prelude_seen = b""
            connection.state = "size"
            return
        connection.need = int(headers.get("content-length", "0"))
        connection.state = "body"
        if not connection.need:
            self._region_done(connection)

    def _region_done(self, connection: _Connection) -> None:
        if connection.state == "chunk":
            connection.state = "crlf"
            return
        connection.state = "request"
        if connection.kind == "init":
            connection.sock.sendall(ACCEPTED)
            self._api.record_init_error(bytes(connection.body))
        elif connection.invocation is None:
            connection.sock.sendall(reply(400, b'{"errorType":"InvalidRequestID"}'))
        else:
            invocation = connection.invocation
            invocation.size = int(connection.headers.get("content-length", "0"))
            invocation.head = bytes(connection.body)
            self._finish(connection)

    def _chunk_done(self, connection: _Connection) -> None:
        connection.state = "size"
        invocation = connection.invocation
        assert invocation is not None
        head = bytes(connection.chunk_head)
        chunk = Chunk(time.monotonic_ns(), connection.chunk_size, head[:HEAD_BYTES])
        if connection.prelude:
            chunk.prelude = True
            connection.prelude_seen += head
            connection.prelude = DELIMITER not in connection.prelude_seen
        else:
            invocation.size += chunk.size
        invocation.chunks.append(chunk)

    def _finish(self, connection: _Connection) -> None:
        connection.state = "request"
        invocation = connection.invocation
        assert invocation is not None
        invocation.end_ns = time.monotonic_ns()
        connection.sock.sendall(ACCEPTED)
        invocation.done.set()

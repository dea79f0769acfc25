"""One HTTP/1.1 client connection over a plain socket: send bytes, read one response.

Why not ``http.client``: importing it pulls in ``email`` and costs ~16 ms of cold start on these
machines, and it cannot send trailers. Why ``_socket`` rather than ``socket``: ``socket.py``
imports ``selectors`` and builds its enums at import time (~14 M instructions of cold start),
and its ``makefile`` reader is not needed for answers this small. The Runtime API is a loopback
HTTP/1.1 server that answers small, well-formed responses, so the reader here handles exactly
what such a server sends (Content-Length, chunked, or read-until-close) and rejects anything
else loudly.

System calls per request: one ``sendmsg`` and, usually, one ``recvfrom``. The socket stays in
blocking mode for good; the bound on a reply wait is a per-connection receive timeout
(``SO_RCVTIMEO``, set once when the connection opens) checked against the caller's deadline,
so no request switches the socket between blocking and timeout mode (an ``ioctl`` each way
and a ``poll`` before every read, as ``socket.settimeout`` does).
"""

from __future__ import annotations

import _socket
import sys
from select import select
from time import monotonic

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

    Buffer = bytes | bytearray | memoryview

# A response head longer than this is not a Runtime API answer.
MAX_HEAD_LINE = 64 * 1024
# How long one blocking read may wait before the caller's deadline is checked again. A wait
# without a deadline (GET /next) just reads again: one wake-up per slice while idle.
RECEIVE_SLICE_SECONDS = 1
_RECEIVE_SLICE = RECEIVE_SLICE_SECONDS.to_bytes(8, sys.byteorder) + bytes(8)  # struct timeval
_RECV_SIZE = 65536


class HttpConnectionError(OSError):
    """The peer closed the connection, answered malformed HTTP, or the socket failed."""


class ClosedBeforeAnswer(HttpConnectionError):
    """The peer closed the connection before the first byte of its answer."""


class HttpResponse:
    """A fully read response: status, lower-cased header names, body."""

    __slots__ = ("body", "headers", "status")

    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body


def resolve(host: str, port: int) -> tuple[int, tuple[str, int]]:
    """The address family and socket address of ``host:port``, looked up once.

    Lambda gives a numeric address (``127.0.0.1:9001``): that needs no ``getaddrinfo``, whose
    IDNA encoding of the name alone imports ~7 M instructions of codecs at cold start. A name
    (``localhost``) is looked up once, not per connection.
    """
    for family in (_socket.AF_INET, _socket.AF_INET6):
        try:
            _socket.inet_pton(family, host)
        except OSError:
            continue
        return family, (host, port)
    family, _, _, _, address = _socket.getaddrinfo(host, port, 0, _socket.SOCK_STREAM)[0]
    return family, (str(address[0]), int(address[1]))


class HttpConnection:
    """A lazily opened connection to a resolved address, with ``TCP_NODELAY`` set."""

    __slots__ = ("_rest", "_sock", "address", "family")

    def __init__(self, family: int, address: tuple[str, int]) -> None:
        self.family = family
        self.address = address
        self._sock: _socket.socket | None = None
        self._rest = b""  # bytes received past the last response (none from a sane server)

    @property
    def is_open(self) -> bool:
        return self._sock is not None

    @property
    def socket(self) -> _socket.socket | None:
        """The open socket, for a caller that sends on it directly (a stream's chunks)."""
        return self._sock

    def drop_if_closed_by_peer(self) -> bool:
        """Close a kept-alive connection the server has closed meanwhile; True if it did.

        A server may close an idle keep-alive connection at any time (RFC 9112, section 9.5).
        The Runtime API never sends unasked, so an idle connection that is readable has been
        closed (end of file) or reset: one zero-timeout ``select`` tells, consuming nothing.
        """
        sock = self._sock
        if sock is None:
            return False
        try:
            readable = select((sock,), (), (), 0)[0]
        except (OSError, ValueError):
            readable = [sock]
        if readable:
            self.close()
        return bool(readable)

    def open(self) -> None:
        if self._sock is not None:
            return
        sock = _socket.socket(self.family, _socket.SOCK_STREAM)
        try:
            # Each chunk must leave at once: without NODELAY a small chunk after a previous one
            # can wait ~40 ms for a delayed ACK (Nagle).
            sock.setsockopt(_socket.IPPROTO_TCP, _socket.TCP_NODELAY, 1)
            sock.setsockopt(_socket.SOL_SOCKET, _socket.SO_RCVTIMEO, _RECEIVE_SLICE)
            sock.connect(self.address)
        except OSError:
            sock.close()
            raise
        self._sock = sock

    def close(self) -> None:
        sock, self._sock, self._rest = self._sock, None, b""
        if sock is not None:
            sock.close()

    def send(self, *buffers: Buffer) -> None:
        """Send ``buffers`` back to back in one ``sendmsg`` (no copy, one syscall).

        ``sendmsg`` may stop short (a signal, a full send buffer on a socket with a timeout);
        the rest is sent from where it stopped.
        """
        sock = self._sock
        if sock is None:
            self.open()
            sock = self._sock
            assert sock is not None
        sent = sock.sendmsg(buffers)
        # The common case ends here: a blocking sendmsg queues everything. This is the hot
        # path of every streamed chunk, so the slow path is kept out of it.
        if sent != sum(map(len, buffers)):
            self.send_rest(sock, buffers, sent)

    @staticmethod
    def send_rest(sock: _socket.socket, buffers: Sequence[Buffer], sent: int) -> None:
        """Send what a short ``sendmsg`` of ``buffers`` left, from byte ``sent`` on."""
        pending = _skip(buffers, sent)
        while pending:
            pending = _skip(pending, sock.sendmsg(pending))

    def read_response(self, timeout: float | None = None) -> HttpResponse:
        """Read one response. ``timeout`` bounds the whole wait; ``None`` waits forever."""
        if self._sock is None:
            raise HttpConnectionError("no request was sent on this connection")
        reader = _Reader(self._sock, None if timeout is None else monotonic() + timeout)
        status, headers = reader.head(self._rest)
        length = headers.get("content-length")
        if "chunked" in headers.get("transfer-encoding", "").lower():
            body = reader.chunked()
        elif length is None:
            body = reader.to_close()
        elif length.isdigit():
            body = reader.exact(int(length))
        else:
            raise HttpConnectionError(f"malformed Content-Length {length!r}")
        if length is None or headers.get("connection", "").lower() == "close":
            self.close()
        else:
            self._rest = reader.rest()
        return HttpResponse(status, headers, body)


class _Reader:
    """The bytes of one response: what arrived with its head, then more from the socket."""

    __slots__ = ("data", "deadline", "pos", "sock")

    def __init__(self, sock: _socket.socket, deadline: float | None) -> None:
        self.sock = sock
        self.deadline = deadline
        self.data = b""
        self.pos = 0

    def recv(self) -> bytes:
        while True:
            try:
                return self.sock.recv(_RECV_SIZE)
            except BlockingIOError:  # one SO_RCVTIMEO slice passed without a byte
                if self.deadline is not None and monotonic() >= self.deadline:
                    raise TimeoutError("no answer in time") from None

    def head(self, received: bytes) -> tuple[int, dict[str, str]]:
        """The status and headers, from ``received`` and the socket; the body stays buffered."""
        try:
            data = received or self.recv()
        except ConnectionResetError:
            data = b""
        if not data:
            raise ClosedBeforeAnswer("the connection closed before the answer began")
        end = data.find(b"\r\n\r\n")
        while end < 0:
            if len(data) > MAX_HEAD_LINE:
                raise HttpConnectionError("response head too long")
            more = self.recv()
            if not more:
                raise HttpConnectionError("the connection closed in the middle of a response")
            data += more
            end = data.find(b"\r\n\r\n")
        lines = data[:end].split(b"\r\n")
        status = _parse_status(lines[0])
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, sep, value = line.partition(b":")
            if not sep:
                raise HttpConnectionError(f"malformed response header line {line[:80]!r}")
            headers[name.strip().lower().decode("latin-1")] = value.strip().decode("latin-1")
        self.data, self.pos = data, end + 4
        return status, headers

    def rest(self) -> bytes:
        """What was received past the response so far (nothing, from a sane server)."""
        return self.data[self.pos :]

    def exact(self, size: int) -> bytes:
        """The next ``size`` bytes."""
        data, pos = self.data, self.pos
        if len(data) - pos >= size:
            self.pos = pos + size
            return data[pos : pos + size]
        parts = bytearray(data[pos:])
        while len(parts) < size:
            more = self.recv()
            if not more:
                raise HttpConnectionError(
                    f"the connection closed after {len(parts)} of {size} body bytes"
                )
            parts += more
        self.data, self.pos = bytes(parts[size:]), 0
        del parts[size:]
        return bytes(parts)

    def line(self) -> bytes:
        """The next line, without its CRLF."""
        end = self.data.find(b"\r\n", self.pos)
        while end < 0:
            if len(self.data) - self.pos > MAX_HEAD_LINE:
                raise HttpConnectionError("response header line too long")
            more = self.recv()
            if not more:
                raise HttpConnectionError("the connection closed in the middle of a response")
            self.data, self.pos = self.data[self.pos :] + more, 0
            end = self.data.find(b"\r\n")
        line = self.data[self.pos : end]
        self.pos = end + 2
        return line

    def chunked(self) -> bytes:
        out = bytearray()
        while True:
            size_field = self.line().split(b";", 1)[0].strip()
            try:
                size = int(size_field, 16)
            except ValueError:
                raise HttpConnectionError(f"malformed chunk size {size_field[:20]!r}") from None
            if size == 0:
                while self.line():  # trailers, ignored
                    pass
                return bytes(out)
            out += self.exact(size)
            if self.line():
                raise HttpConnectionError("a chunk did not end where its size said")

    def to_close(self) -> bytes:
        out = bytearray(self.rest())
        while data := self.recv():
            out += data
        self.data, self.pos = b"", 0
        return bytes(out)


def _skip(buffers: Sequence[Buffer], count: int) -> list[Buffer]:
    rest: list[Buffer] = []
    for buffer in buffers:
        if count >= len(buffer):
            count -= len(buffer)
        else:
            rest.append(memoryview(buffer)[count:] if count else buffer)
            count = 0
    return rest


def _parse_status(line: bytes) -> int:
    parts = line.split(None, 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or not parts[1].isdigit():
        raise HttpConnectionError(f"malformed status line {line[:80]!r}")
    return int(parts[1])

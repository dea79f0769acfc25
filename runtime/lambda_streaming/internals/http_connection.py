"""One HTTP/1.1 client connection over a plain socket: send bytes, read one response.

Why not ``http.client``: importing it pulls in ``email`` and costs ~16 ms of cold start on these
machines, and it cannot send trailers. The Runtime API is a loopback HTTP/1.1 server that
answers small, well-formed responses, so the reader here handles exactly what such a server
sends (Content-Length, chunked, or read-until-close) and rejects anything else loudly.
"""

from __future__ import annotations

import select
import socket

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import BinaryIO

    Buffer = bytes | bytearray | memoryview

# A response head longer than this is not a Runtime API answer.
MAX_HEAD_LINE = 64 * 1024


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


def resolve(host: str, port: int) -> tuple[socket.AddressFamily, tuple[str, int]]:
    """The address family and socket address of ``host:port``, looked up once.

    Each streamed response opens a fresh connection; resolving the name every time would cost
    a ``getaddrinfo`` (and its IDNA encoding) per invocation.
    """
    family, _, _, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    return family, (str(address[0]), int(address[1]))


class HttpConnection:
    """A lazily opened connection to a resolved address, with ``TCP_NODELAY`` set."""

    __slots__ = ("_reader", "_sock", "address", "family")

    def __init__(self, family: socket.AddressFamily, address: tuple[str, int]) -> None:
        self.family = family
        self.address = address
        self._sock: socket.socket | None = None
        self._reader: BinaryIO | None = None

    @property
    def is_open(self) -> bool:
        return self._sock is not None

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
            readable = select.select((sock,), (), (), 0)[0]
        except (OSError, ValueError):
            readable = [sock]
        if readable:
            self.close()
        return bool(readable)

    def open(self) -> None:
        if self._sock is not None:
            return
        sock = socket.socket(self.family, socket.SOCK_STREAM)
        try:
            # Each chunk must leave at once: without NODELAY a small chunk after a previous one
            # can wait ~40 ms for a delayed ACK (Nagle).
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.connect(self.address)
        except OSError:
            sock.close()
            raise
        self._sock = sock
        # Buffered: the head is read line by line without a syscall per byte. Nothing can be
        # buffered past the response, since the server answers only what was asked.
        self._reader = sock.makefile("rb")

    def close(self) -> None:
        sock, reader = self._sock, self._reader
        self._sock = self._reader = None
        if reader is not None:
            reader.close()
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
            self._send_rest(sock, buffers, sent)

    @staticmethod
    def _send_rest(sock: socket.socket, buffers: Sequence[Buffer], sent: int) -> None:
        pending = _skip(buffers, sent)
        while pending:
            pending = _skip(pending, sock.sendmsg(pending))

    def read_response(self, timeout: float | None = None) -> HttpResponse:
        """Read one response. ``timeout`` bounds each read; ``None`` waits forever."""
        if self._sock is None or self._reader is None:
            raise HttpConnectionError("no request was sent on this connection")
        if self._sock.gettimeout() != timeout:  # settimeout() is an ioctl; skip it if unchanged
            self._sock.settimeout(timeout)
        reader = self._reader
        try:
            first = reader.readline(MAX_HEAD_LINE)
        except ConnectionResetError:
            first = b""
        if not first:
            raise ClosedBeforeAnswer("the connection closed before the answer began")
        status = _parse_status(_check_line(first))
        headers: dict[str, str] = {}
        while line := _read_line(reader):
            name, sep, value = line.partition(b":")
            if not sep:
                raise HttpConnectionError(f"malformed response header line {line[:80]!r}")
            headers[name.strip().lower().decode("latin-1")] = value.strip().decode("latin-1")
        body = _read_body(reader, headers)
        if headers.get("connection", "").lower() == "close" or "content-length" not in headers:
            self.close()
        return HttpResponse(status, headers, body)


def _skip(buffers: Sequence[Buffer], count: int) -> list[Buffer]:
    rest: list[Buffer] = []
    for buffer in buffers:
        if count >= len(buffer):
            count -= len(buffer)
        else:
            rest.append(memoryview(buffer)[count:] if count else buffer)
            count = 0
    return rest


def _read_line(reader: BinaryIO) -> bytes:
    return _check_line(reader.readline(MAX_HEAD_LINE))


def _check_line(line: bytes) -> bytes:
    if not line.endswith(b"\n"):
        if len(line) >= MAX_HEAD_LINE:
            raise HttpConnectionError("response header line too long")
        raise HttpConnectionError("the connection closed in the middle of a response")
    return line.rstrip(b"\r\n")


def _parse_status(line: bytes) -> int:
    parts = line.split(None, 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or not parts[1].isdigit():
        raise HttpConnectionError(f"malformed status line {line[:80]!r}")
    return int(parts[1])


def _read_body(reader: BinaryIO, headers: dict[str, str]) -> bytes:
    if "chunked" in headers.get("transfer-encoding", "").lower():
        return _read_chunked(reader)
    length = headers.get("content-length")
    if length is None:
        return _read_to_close(reader)
    if not length.isdigit():
        raise HttpConnectionError(f"malformed Content-Length {length!r}")
    return _read_exact(reader, int(length))


def _read_exact(reader: BinaryIO, size: int) -> bytes:
    out = bytearray()
    while len(out) < size:
        data = reader.read(size - len(out))
        if not data:
            raise HttpConnectionError(
                f"the connection closed after {len(out)} of {size} body bytes"
            )
        out += data
    return bytes(out)


def _read_to_close(reader: BinaryIO) -> bytes:
    out = bytearray()
    while data := reader.read(65536):
        out += data
    return bytes(out)


def _read_chunked(reader: BinaryIO) -> bytes:
    out = bytearray()
    while True:
        size_field = _read_line(reader).split(b";", 1)[0].strip()
        try:
            size = int(size_field, 16)
        except ValueError:
            raise HttpConnectionError(f"malformed chunk size {size_field[:20]!r}") from None
        if size == 0:
            while _read_line(reader):  # trailers, ignored
                pass
            return bytes(out)
        out += _read_exact(reader, size)
        _read_line(reader)

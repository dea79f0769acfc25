"""A raw HTTP/1.1 client for the tests: hand-written request bytes out, h11-parsed responses in.

It plays the real other side of the wire (a runtime, a Function URL client) without our code.
"""

import contextlib
import socket
from dataclasses import dataclass, field

import h11

TIMEOUT = 10.0  # hang guard only


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]]
    body: bytes = b""
    chunks: list[bytes] = field(default_factory=list)
    complete: bool = True

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k == name.lower()), None)

    def header_all(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k == name.lower()]


class Client:
    """One connection. ``send`` writes raw bytes; ``response`` reads one response with h11."""

    def __init__(self, address: str, timeout: float = TIMEOUT) -> None:
        host, port = address.rsplit(":", 1)
        self.sock = socket.create_connection((host, int(port)), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.h11 = h11.Connection(h11.CLIENT)
        self.host = address

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def request(
        self,
        method: str,
        path: str,
        headers: list[tuple[str, str]] | None = None,
        body: bytes = b"",
    ) -> None:
        """Send a complete request with a Content-Length body."""
        self._next_cycle()
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}"]
        lines += [f"{k}: {v}" for k, v in headers or []]
        lines.append(f"Content-Length: {len(body)}")
        self.send(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        # Tell our h11 what we sent so it can frame the response.
        self.h11.send(
            h11.Request(
                method=method,
                target=path,
                headers=[("host", self.host), ("content-length", str(len(body)))],
            )
        )
        if body:
            self.h11.send(h11.Data(data=body))
        self.h11.send(h11.EndOfMessage())

    def start_chunked(self, method: str, path: str, headers: list[tuple[str, str]]) -> None:
        """Send request headers with Transfer-Encoding: chunked; then ``chunk`` / ``finish``."""
        self._next_cycle()
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}", "Transfer-Encoding: chunked"]
        lines += [f"{k}: {v}" for k, v in headers]
        self.send(("\r\n".join(lines) + "\r\n\r\n").encode())
        self.h11.send(
            h11.Request(
                method=method,
                target=path,
                headers=[("host", self.host), ("transfer-encoding", "chunked")],
            )
        )

    def chunk(self, data: bytes) -> None:
        self.send(b"%X\r\n%s\r\n" % (len(data), data))

    def finish(self, trailers: list[tuple[str, str]] | None = None) -> None:
        self.send(
            b"0\r\n" + b"".join(f"{k}: {v}\r\n".encode() for k, v in trailers or []) + b"\r\n"
        )
        self.h11.send(h11.EndOfMessage())

    def response(self) -> Response:
        """Read one whole response (until EndOfMessage, or EOF: then ``complete`` is False)."""
        head = self.response_head()
        while True:
            event = self._next()
            if isinstance(event, h11.Data):
                head.chunks.append(bytes(event.data))
                head.body += bytes(event.data)
            elif isinstance(event, h11.EndOfMessage):
                return head
            else:
                head.complete = False
                return head

    def response_head(self) -> Response:
        event = self._next()
        assert isinstance(event, h11.Response), event
        return Response(
            event.status_code,
            [(k.decode().lower(), v.decode("latin-1")) for k, v in event.headers],
        )

    def next_data(self) -> bytes | None:
        """The next body piece of the current response; None at its end."""
        event = self._next()
        if isinstance(event, h11.Data):
            return bytes(event.data)
        return None

    def _next_cycle(self) -> None:
        if self.h11.our_state is h11.DONE and self.h11.their_state is h11.DONE:
            self.h11.start_next_cycle()

    def _next(self) -> object:
        while True:
            try:
                event = self.h11.next_event()
            except h11.RemoteProtocolError:
                return h11.ConnectionClosed()
            if event is not h11.NEED_DATA:
                return event
            self.h11.receive_data(self.sock.recv(65536))

    def closed_by_peer(self) -> bool:
        """True if the server closed the connection (reads EOF)."""
        try:
            return self.sock.recv(1) == b""
        except OSError:
            return True

"""One HTTP/1.1 connection of the emulator's servers, on h11: an ``Exchange`` per request.

Owns reading a request (head, body chunks, trailers, read deadlines) and writing its response
(whole, or streamed chunk by chunk, or cut). ``http11.py`` runs the server around it.
"""

import contextlib
import socket
import time
from collections.abc import Iterable, Iterator
from http import HTTPStatus

import h11

Headers = list[tuple[str, str]]
_RECV_SIZE = 64 * 1024


class ClientGone(Exception):
    """The peer closed the connection (or reset it) while we were sending."""


class RequestTimeout(Exception):
    """The client did not send the request head or body within the server's ``Limits``."""

    def __init__(self, message: str, *, started: bool) -> None:
        super().__init__(message)
        self.started = started  # False: an idle kept-alive connection, nothing to answer


class BodyError(Exception):
    """The request body was malformed or cut short (``truncated`` tells which)."""

    def __init__(self, message: str, *, truncated: bool) -> None:
        super().__init__(message)
        self.truncated = truncated


class Exchange:
    """One request and its response on a connection. Not thread-safe: one thread drives it."""

    def __init__(self, connection: "Connection", request: h11.Request) -> None:
        self._connection = connection
        self.method = request.method.decode("ascii")
        self.target = request.target.decode("ascii", "replace")
        self.http_version = request.http_version.decode("ascii")
        self.headers: Headers = [
            (name.decode("ascii").lower(), value.decode("latin-1"))
            for name, value in request.headers
        ]
        self.trailers: Headers = []
        self.client_address = connection.peer
        self.body_done = False
        self.response_started = False
        self._bodyless_response = False

    def header(self, name: str) -> str | None:
        """The first value of a request header (case-insensitive), or None."""
        wanted = name.lower()
        return next((value for key, value in self.headers if key == wanted), None)

    def body_chunks(self) -> Iterator[bytes]:
        """Yield the request body as it arrives; trailers land in ``self.trailers`` at the end.

        Raises ``BodyError`` if the peer closes early or sends malformed framing.
        """
        if self._connection.h11.they_are_waiting_for_100_continue:
            # curl sends "Expect: 100-continue" before large bodies: do not make it wait.
            self._connection.send(h11.InformationalResponse(status_code=100, headers=[]))
        while not self.body_done:
            try:
                event = self._connection.next_event()
            except h11.RemoteProtocolError as error:
                raise BodyError(str(error), truncated=self._connection.eof) from error
            if isinstance(event, h11.Data):
                if event.data:
                    yield bytes(event.data)
            elif isinstance(event, h11.EndOfMessage):
                self.trailers = [
                    (name.decode("ascii").lower(), value.decode("latin-1"))
                    for name, value in event.headers
                ]
                self.body_done = True
            else:  # pragma: no cover - h11 raises instead of yielding anything else in a body
                raise BodyError(f"unexpected {type(event).__name__} in body", truncated=False)

    def read_body(self, limit: int) -> bytes:
        """Read the whole body; raise ``BodyError`` if it is longer than ``limit`` bytes."""
        parts: list[bytes] = []
        size = 0
        for chunk in self.body_chunks():
            size += len(chunk)
            if size > limit:
                raise BodyError(f"body exceeds {limit} bytes", truncated=False)
            parts.append(chunk)
        return b"".join(parts)

    def respond(self, status: int, headers: Iterable[tuple[str, str]], body: bytes = b"") -> None:
        """Send a complete response with a Content-Length."""
        all_headers = [*headers, ("content-length", str(len(body)))]
        self.start(status, all_headers)
        self.write(body)
        self.end()

    def start(self, status: int, headers: Iterable[tuple[str, str]]) -> None:
        """Send the status line and headers. Without Content-Length the body is chunked."""
        header_list = [(name, value) for name, value in headers]
        self._bodyless_response = self.method == "HEAD" or status in (204, 304)
        self.response_started = True
        self._connection.send(
            h11.Response(
                status_code=status,
                headers=[(n.encode("ascii"), _header_bytes(v)) for n, v in header_list],
                reason=reason_phrase(status),
            )
        )

    def write(self, data: bytes) -> None:
        """Send body bytes now (one chunk when chunked). Raises ``ClientGone``."""
        if data and not self._bodyless_response:
            self._connection.send(h11.Data(data=data))

    def end(self, trailers: Iterable[tuple[str, str]] = ()) -> None:
        """Finish the response (the terminating chunk and optional trailers when chunked)."""
        self._connection.send(
            h11.EndOfMessage(headers=[(n.encode("ascii"), _header_bytes(v)) for n, v in trailers])
        )

    def abort(self) -> None:
        """Close the connection now, without finishing the response."""
        self._connection.close()


def reason_phrase(status: int) -> bytes:
    try:
        return HTTPStatus(status).phrase.encode("ascii")
    except ValueError:
        return b""


def _header_bytes(value: str) -> bytes:
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        return value.encode("utf-8")


class Connection:
    def __init__(self, sock: socket.socket, peer: tuple[str, int]) -> None:
        self.sock = sock
        self.peer = peer
        self.h11 = h11.Connection(h11.SERVER)
        self.closed = False
        self.eof = False
        # When reading must be done (time.monotonic()), and what is being read: None = no limit.
        self.deadline: float | None = None
        self.reading = "request head"
        self.received = 0  # bytes received in the current request cycle
        self._timed = False  # whether the socket has a timeout set now

    def expect(self, what: str, seconds: float | None) -> None:
        """Require ``what`` to arrive within ``seconds`` from now (None: no limit)."""
        self.reading = what
        self.deadline = None if seconds is None else time.monotonic() + seconds

    def next_event(self) -> object:
        while True:
            event = self.h11.next_event()
            if event is not h11.NEED_DATA:
                return event
            try:
                if self.deadline is not None:
                    remaining = self.deadline - time.monotonic()
                    if remaining <= 0:
                        raise TimeoutError
                    self.sock.settimeout(remaining)
                    self._timed = True
                data = self.sock.recv(_RECV_SIZE)
            except TimeoutError:
                started = self.received > 0 or bool(self.h11.trailing_data[0])
                raise RequestTimeout(
                    f"the {self.reading} did not arrive in time", started=started
                ) from None
            except OSError:
                data = b""
            self.eof = not data
            self.received += len(data)
            self.h11.receive_data(data)

    def send(self, event: h11.Event) -> None:
        data = self.h11.send(event)
        if not data:
            return
        if self._timed:  # read timeouts must not limit how long a slow client takes to read
            self._timed = False
            with contextlib.suppress(OSError):
                self.sock.settimeout(None)
        try:
            self.sock.sendall(data)
        except OSError as error:
            self.close()
            raise ClientGone(str(error)) from error

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            with contextlib.suppress(OSError):
                self.sock.shutdown(socket.SHUT_RDWR)
            self.sock.close()

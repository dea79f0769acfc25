"""A small threaded HTTP/1.1 server on h11: one thread per connection, real streaming both ways.

This module owns sockets and HTTP framing for every listener of the emulator (the Runtime API
of each sandbox and the front door). It knows nothing about Lambda: a handler receives an
``Exchange`` (one request and its response) and decides what to answer.

Why h11 and not ``http.server``: the Runtime API must see request bodies chunk by chunk as they
arrive, with their trailers, and notice a body cut short; the front door must send each chunk
the moment it exists, or end a response without its terminating chunk. h11 gives exactly
those events and is a strict, well-tested parser; the emulator never imports the runtime's own
framing code, so a bug shared by both sides cannot pass unseen.
"""

import contextlib
import logging
import socket
import threading
from collections.abc import Callable, Iterable, Iterator
from http import HTTPStatus

import h11

log = logging.getLogger(__name__)

Headers = list[tuple[str, str]]
_RECV_SIZE = 64 * 1024
_DRAIN_LIMIT = 64 * 1024  # unread request body we read and drop to keep a connection alive
_DRAIN_TIMEOUT = 5.0


class ClientGone(Exception):
    """The peer closed the connection (or reset it) while we were sending."""


class BodyError(Exception):
    """The request body was malformed or cut short (``truncated`` tells which)."""

    def __init__(self, message: str, *, truncated: bool) -> None:
        super().__init__(message)
        self.truncated = truncated


class Exchange:
    """One request and its response on a connection. Not thread-safe: one thread drives it."""

    def __init__(self, connection: "_Connection", request: h11.Request) -> None:
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
                reason=_reason(status),
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


def _reason(status: int) -> bytes:
    try:
        return HTTPStatus(status).phrase.encode("ascii")
    except ValueError:
        return b""


def _header_bytes(value: str) -> bytes:
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        return value.encode("utf-8")


class _Connection:
    def __init__(self, sock: socket.socket, peer: tuple[str, int]) -> None:
        self.sock = sock
        self.peer = peer
        self.h11 = h11.Connection(h11.SERVER)
        self.closed = False
        self.eof = False

    def next_event(self) -> object:
        while True:
            event = self.h11.next_event()
            if event is not h11.NEED_DATA:
                return event
            try:
                data = self.sock.recv(_RECV_SIZE)
            except OSError:
                data = b""
            self.eof = not data
            self.h11.receive_data(data)

    def send(self, event: h11.Event) -> None:
        data = self.h11.send(event)
        if not data:
            return
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


Handler = Callable[[Exchange], None]


class HttpServer:
    """Serve ``handler`` on ``host:port`` (port 0 = ephemeral) until ``close()``.

    >>> server = HttpServer(lambda ex: ex.respond(200, [], b"hi"), name="demo")
    >>> server.start(); server.port > 0
    True
    >>> server.close()
    """

    def __init__(
        self, handler: Handler, *, host: str = "127.0.0.1", port: int = 0, name: str
    ) -> None:
        self._handler = handler
        self._name = name
        self._listener = socket.create_server((host, port))
        address = self._listener.getsockname()
        self.host: str = address[0]
        self.port: int = address[1]
        self._connections: set[_Connection] = set()
        self._lock = threading.Lock()
        self._closed = False
        self._thread = threading.Thread(
            target=self._accept_loop, name=f"{name}-accept", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        """Stop accepting and close every open connection (unblocks their threads)."""
        self._closed = True
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            connection.close()
        self._thread.join(timeout=5)

    def _accept_loop(self) -> None:
        while not self._closed:
            try:
                sock, peer = self._listener.accept()
            except OSError:
                return
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            connection = _Connection(sock, peer)
            with self._lock:
                self._connections.add(connection)
            threading.Thread(
                target=self._serve, args=(connection,), name=f"{self._name}-conn", daemon=True
            ).start()

    def _serve(self, connection: _Connection) -> None:
        try:
            while not connection.closed and self._serve_one(connection):
                connection.h11.start_next_cycle()
        except ClientGone:
            pass
        except Exception:
            log.exception("%s: handler failed", self._name)
        finally:
            connection.close()
            with self._lock:
                self._connections.discard(connection)

    def _serve_one(self, connection: _Connection) -> bool:
        """Serve one request; True if the connection can carry another."""
        try:
            event = connection.next_event()
        except h11.RemoteProtocolError as error:
            self._reject(connection, error)
            return False
        if not isinstance(event, h11.Request):
            return False  # ConnectionClosed between requests: normal end of keep-alive
        exchange = Exchange(connection, event)
        try:
            self._handler(exchange)
        except (h11.RemoteProtocolError, BodyError) as error:
            if not exchange.response_started:
                self._reject(connection, error)
            return False
        if connection.closed or connection.h11.our_state is not h11.DONE:
            return False
        return self._finish_request(exchange)

    @staticmethod
    def _finish_request(exchange: Exchange) -> bool:
        """Read the rest of a request the handler did not read (at least a bodiless request's
        end), so the connection can carry the next one; give up on big or stalled bodies."""
        connection = exchange._connection
        if connection.h11.their_state is h11.SEND_BODY:
            connection.sock.settimeout(_DRAIN_TIMEOUT)
            try:
                drained = 0
                for chunk in exchange.body_chunks():
                    drained += len(chunk)
                    if drained > _DRAIN_LIMIT:
                        return False
            except BodyError:
                return False
            finally:
                if not connection.closed:
                    connection.sock.settimeout(None)
        return connection.h11.their_state is h11.DONE

    def _reject(self, connection: _Connection, error: Exception) -> None:
        """Answer a request we cannot parse with a 4xx, if a response is still possible."""
        # h11 suggests 501 for an unknown transfer coding; every unparseable request is the
        # client's to fix, so it gets a 4xx (h11's own 4xx hints, such as 431, are kept).
        hint = getattr(error, "error_status_hint", 400)
        status = hint if 400 <= hint < 500 else 400
        log.info("%s: bad request from %s:%s: %s", self._name, *connection.peer, error)
        if connection.h11.our_state not in (h11.IDLE, h11.SEND_RESPONSE):
            return
        body = f'{{"message":"Bad request: {_json_safe(str(error))}"}}'.encode()
        with contextlib.suppress(ClientGone, h11.LocalProtocolError):
            connection.send(
                h11.Response(
                    status_code=status,
                    reason=_reason(status),
                    headers=[
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode()),
                        (b"connection", b"close"),
                    ],
                )
            )
            connection.send(h11.Data(data=body))
            connection.send(h11.EndOfMessage())


def _json_safe(text: str) -> str:
    return "".join(ch if ch.isprintable() and ch not in '"\\' else "?" for ch in text)[:200]

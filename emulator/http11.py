"""A small threaded HTTP/1.1 server on h11: one thread per connection, real streaming both ways.

This module owns sockets and HTTP framing for every listener of the emulator (the Runtime API
of each sandbox and the front door). It knows nothing about Lambda: a handler receives an
``Exchange`` (one request and its response) and decides what to answer.

Why h11 and not ``http.server``: the Runtime API must see request bodies chunk by chunk as they
arrive, with their trailers, and notice a body cut short; the front door must send each chunk
the moment it exists, or end a response without its terminating chunk. h11 gives exactly
those events and is a strict, well-tested parser; the emulator never imports the runtime's own
framing code, so a bug shared by both sides cannot pass unseen.

Under abuse (``listener.py`` owns the accept side): each server has ``Limits``: a request head
or body that does not arrive in time is answered ``408`` and its connection closed, a kept-alive
connection idle too long is closed, and connections over the cap are answered ``503``.
"""

import contextlib
import logging
import socket
import threading
from collections.abc import Callable

import h11

from emulator.http_connection import (
    BodyError,
    ClientGone,
    Connection,
    Exchange,
    Headers,
    RequestTimeout,
    reason_phrase,
)
from emulator.listener import (
    EXHAUSTED,
    NO_TIMEOUTS,
    TRANSIENT,
    AcceptBackoff,
    Limits,
    Rejecter,
    release_memory,
)

__all__ = [
    "BodyError",
    "ClientGone",
    "Exchange",
    "Handler",
    "Headers",
    "HttpServer",
    "Limits",
    "RequestTimeout",
]
log = logging.getLogger(__name__)

_DRAIN_LIMIT = 64 * 1024  # unread request body we read and drop to keep a connection alive
_DRAIN_TIMEOUT = 5.0
_IDLE_SECONDS = 1.0  # no new connection for this long, none open: give freed memory back


Handler = Callable[[Exchange], None]


class HttpServer:
    """Serve ``handler`` on ``host:port`` (port 0 = ephemeral) until ``close()``.

    ``limits``: read timeouts and the connection cap; without it, no read timeouts (right for
    the Runtime API; a server facing users passes ``Limits()`` or its own).

    >>> server = HttpServer(lambda ex: ex.respond(200, [], b"hi"), name="demo")
    >>> server.start(); server.port > 0
    True
    >>> server.close()
    """

    def __init__(
        self,
        handler: Handler,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        name: str,
        limits: Limits | None = None,
    ) -> None:
        self._handler = handler
        self._name = name
        self.limits = limits or NO_TIMEOUTS
        self._listener = socket.create_server((host, port), backlog=1024)
        address = self._listener.getsockname()
        self.host: str = address[0]
        self.port: int = address[1]
        self._connections: set[Connection] = set()
        self._lock = threading.Lock()
        self._closed = False
        self._rejecter: Rejecter | None = None  # started on the first connection over the cap
        self._trim_pending = False
        self._listener.settimeout(_IDLE_SECONDS)  # accept() wakes when idle, to trim memory
        self._backoff = AcceptBackoff(name)
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
        if self._rejecter is not None:
            self._rejecter.close()

    @property
    def connection_count(self) -> int:
        """Connections open now (each has a thread)."""
        with self._lock:
            return len(self._connections)

    def _accept_loop(self) -> None:
        while not self._closed:
            try:
                sock, peer = self._listener.accept()
            except TimeoutError:
                self._release_memory_if_idle()
                continue
            except OSError as error:
                if self._closed:
                    return
                if error.errno in EXHAUSTED:
                    self._backoff.failed(error)
                    continue
                if error.errno in TRANSIENT:
                    continue
                log.exception("%s: accept failed; no longer accepting", self._name)
                return
            self._backoff.succeeded()
            sock.settimeout(None)  # accepted sockets inherit the listener's timeout
            self._admit(sock, peer)

    def _release_memory_if_idle(self) -> None:
        with self._lock:
            due = self._trim_pending and not self._connections
            self._trim_pending = False
        if due:
            release_memory()

    def _admit(self, sock: socket.socket, peer: tuple[str, int]) -> None:
        """Serve ``sock`` on its own thread, or answer 503 when at the connection cap."""
        with self._lock:
            full = len(self._connections) >= self.limits.max_connections
            if not full:
                connection = Connection(sock, peer)
                self._connections.add(connection)
        if full:
            log.warning(
                "%s: %d connections open (the cap): 503 to %s:%s",
                self._name,
                self.limits.max_connections,
                *peer[:2],
            )
            self._reject_over_cap(sock)
            return
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            threading.Thread(
                target=self._serve, args=(connection,), name=f"{self._name}-conn", daemon=True
            ).start()
        except RuntimeError:  # the process cannot start another thread right now
            log.error("%s: cannot start a thread for %s:%s; closing it", self._name, *peer[:2])
            self._forget(connection)

    def _reject_over_cap(self, sock: socket.socket) -> None:
        if self._rejecter is None:
            try:
                self._rejecter = Rejecter(self._name, _over_cap_response(self.limits))
            except (OSError, RuntimeError):
                sock.close()
                return
        self._rejecter.reject(sock)

    def _forget(self, connection: "Connection") -> None:
        connection.close()
        with self._lock:
            self._connections.discard(connection)
            if not self._connections:
                self._trim_pending = True  # the accept loop gives memory back when idle

    def _serve(self, connection: Connection) -> None:
        try:
            while not connection.closed and self._serve_one(connection):
                connection.h11.start_next_cycle()
        except ClientGone:
            pass
        except RequestTimeout as timeout:
            if timeout.started:
                log.info("%s: %s:%s: %s", self._name, *connection.peer[:2], timeout)
                self._reject(connection, timeout, status=408)
        except Exception:
            log.exception("%s: handler failed", self._name)
        finally:
            self._forget(connection)

    def _serve_one(self, connection: Connection) -> bool:
        """Serve one request; True if the connection can carry another."""
        connection.received = 0
        connection.expect("request head", self.limits.header_timeout)
        try:
            event = connection.next_event()
        except h11.RemoteProtocolError as error:
            self._reject(connection, error)
            return False
        if not isinstance(event, h11.Request):
            return False  # ConnectionClosed between requests: normal end of keep-alive
        connection.expect("request body", self.limits.body_timeout)
        exchange = Exchange(connection, event)
        try:
            self._handler(exchange)
        except (h11.RemoteProtocolError, BodyError) as error:
            if not exchange.response_started:
                self._reject(connection, error)
            return False
        except RequestTimeout as timeout:
            if not exchange.response_started:
                raise RequestTimeout(str(timeout), started=True) from None
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
            connection.expect("unread request body", _DRAIN_TIMEOUT)
            try:
                drained = 0
                for chunk in exchange.body_chunks():
                    drained += len(chunk)
                    if drained > _DRAIN_LIMIT:
                        return False
            except (BodyError, RequestTimeout):
                return False
        return connection.h11.their_state is h11.DONE

    def _reject(self, connection: Connection, error: Exception, *, status: int = 0) -> None:
        """Answer a request we cannot parse (or that came too slowly) with a 4xx, if a
        response is still possible, and end the connection."""
        if not status:
            # h11 suggests 501 for an unknown transfer coding; every unparseable request is the
            # client's to fix, so it gets a 4xx (h11's own 4xx hints, such as 431, are kept).
            hint = getattr(error, "error_status_hint", 400)
            status = hint if 400 <= hint < 500 else 400
            log.info("%s: bad request from %s:%s: %s", self._name, *connection.peer[:2], error)
        if connection.h11.our_state not in (h11.IDLE, h11.SEND_RESPONSE):
            return
        what = "Request timeout" if status == 408 else "Bad request"
        body = f'{{"message":"{what}: {_json_safe(str(error))}"}}'.encode()
        with contextlib.suppress(ClientGone, h11.LocalProtocolError):
            connection.send(
                h11.Response(
                    status_code=status,
                    reason=reason_phrase(status),
                    headers=[
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode()),
                        (b"connection", b"close"),
                    ],
                )
            )
            connection.send(h11.Data(data=body))
            connection.send(h11.EndOfMessage())


def _over_cap_response(limits: Limits) -> bytes:
    body = (
        f'{{"message":"Service unavailable: the server has {limits.max_connections} '
        'connections open, its limit; retry shortly"}'
    ).encode()
    head = (
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\nretry-after: 1\r\nconnection: close\r\n\r\n"
    )
    return head.encode() + body


def _json_safe(text: str) -> str:
    return "".join(ch if ch.isprintable() and ch not in '"\\' else "?" for ch in text)[:200]

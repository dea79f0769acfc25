"""How a server of the emulator accepts connections: survive fd exhaustion, cap connections.

Owns what ``HttpServer`` (``http11.py``) does between ``accept()`` and handing a socket to a
connection thread, so every server of the emulator (Runtime API, front doors, any later front
door) behaves the same under abuse:

- ``accept()`` failing with ``EMFILE`` / ``ENFILE`` (or ``ENOBUFS`` / ``ENOMEM``) is logged once
  per episode, then retried with a growing pause (10 ms to 1 s): the connections waiting in the
  listen backlog are served as soon as descriptors free up, instead of never.
- Past ``Limits.max_connections`` a new connection is answered ``503`` at once and closed by
  one ``Rejecter`` thread, with a lingering close (stop writing, read and drop what the client
  sent for a moment) so the client reads the 503 rather than a reset.
"""

import contextlib
import ctypes
import ctypes.util
import errno
import logging
import selectors
import socket
import threading
import time
from dataclasses import dataclass

log = logging.getLogger("emulator.http11")

# Resource exhaustion: the listener is fine, this process or the system is out of something.
EXHAUSTED = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})
# The peer gave up between the kernel's handshake and our accept(): try the next one.
TRANSIENT = frozenset({errno.ECONNABORTED, errno.EPROTO, errno.EINTR, errno.EAGAIN})
_BACKOFF_FIRST = 0.01
_BACKOFF_MAX = 1.0
_LINGER_SECONDS = 1.0
_LINGER_BYTES = 64 * 1024
_MAX_LINGERING = 512


@dataclass(frozen=True, slots=True)
class Limits:
    """What one server tolerates from its clients. ``None`` turns a timeout off.

    ``header_timeout``: seconds to receive a request's head, counted from when the server
    starts waiting for it (a kept-alive connection idle that long is closed quietly; one that
    sent part of a head gets 408). ``body_timeout``: seconds to receive the whole body once the
    head is in (408 if no response began). ``max_connections``: open connections (each holds a
    thread); more get 503.
    """

    header_timeout: float | None = 10.0
    body_timeout: float | None = 60.0
    max_connections: int = 256

    def __post_init__(self) -> None:
        for name in ("header_timeout", "body_timeout"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise ValueError(f"{name} must be positive (or None for no limit)")
        if self.max_connections < 1:
            raise ValueError("max_connections must be at least 1")


# What a server without ``limits`` gets: no read timeouts (its clients are our own processes).
NO_TIMEOUTS = Limits(header_timeout=None, body_timeout=None, max_connections=1024)
# The Runtime API: the runtime is trusted and may legitimately idle for minutes on a kept-alive
# connection (a long invocation) or between two chunks of a streamed body.
RUNTIME_API_LIMITS = Limits(header_timeout=None, body_timeout=None, max_connections=64)


class AcceptBackoff:
    """Pacing of ``accept()`` retries while descriptors are exhausted; logs once per episode."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._pause = 0.0
        self._failures = 0

    def failed(self, error: OSError) -> None:
        """Log (the first failure of an episode only) and sleep before the next ``accept()``."""
        self._failures += 1
        if self._failures == 1:
            log.error(
                "%s: cannot accept connections: %s (%s); retrying with back-off until "
                "descriptors free up (raise `ulimit -n`, or lower --max-connections)",
                self._name,
                errno.errorcode.get(error.errno or 0, error.errno),
                error.strerror,
            )
        self._pause = min(_BACKOFF_MAX, max(_BACKOFF_FIRST, self._pause * 2))
        time.sleep(self._pause)

    def succeeded(self) -> None:
        if self._failures:
            log.warning("%s: accepting again after %d failed attempts", self._name, self._failures)
        self._failures = 0
        self._pause = 0.0


def _load_malloc_trim() -> "ctypes._NamedFuncPointer | None":
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):  # not glibc (macOS, musl): nothing to do
        return None


_malloc_trim = _load_malloc_trim()


def release_memory() -> None:
    """Give freed heap memory back to the system (glibc ``malloc_trim``; elsewhere nothing).

    Every connection has its own thread, and glibc gives busy threads their own malloc arenas,
    which keep what they freed: after a burst of 200 clients the process stayed ~15 % bigger
    for good. ``HttpServer``'s accept loop calls this once it has been idle for a second.
    """
    if _malloc_trim is not None:
        _malloc_trim(0)


class Rejecter:
    """Answers connections over the cap with a fixed response and closes them gently.

    One thread for all of them: a flood of rejected connections costs no thread each.
    """

    def __init__(self, name: str, response: bytes) -> None:
        self._response = response
        self._selector = selectors.DefaultSelector()
        self._deadlines: dict[socket.socket, tuple[float, int]] = {}
        self._lock = threading.Lock()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._selector.register(self._wake_r, selectors.EVENT_READ)
        self._closed = False
        self._thread = threading.Thread(target=self._run, name=f"{name}-reject", daemon=True)
        self._thread.start()

    def reject(self, sock: socket.socket) -> None:
        """Send the response now and close ``sock`` after a short lingering read."""
        try:
            sock.setblocking(False)
            sock.send(self._response)  # a fresh socket's send buffer takes it whole
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            sock.close()
            return
        with self._lock:
            if self._closed or len(self._deadlines) >= _MAX_LINGERING:
                sock.close()
                return
            self._deadlines[sock] = (time.monotonic() + _LINGER_SECONDS, 0)
            self._selector.register(sock, selectors.EVENT_READ)
        with contextlib.suppress(OSError):
            self._wake_w.send(b"\0")

    def close(self) -> None:
        with self._lock:
            self._closed = True
        with contextlib.suppress(OSError):
            self._wake_w.send(b"\0")
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while True:
            with self._lock:
                if self._closed:
                    break
            for key, _ in self._selector.select(timeout=0.2):
                if key.fileobj is self._wake_r:
                    with contextlib.suppress(OSError):
                        self._wake_r.recv(4096)
                    continue
                assert isinstance(key.fileobj, socket.socket)
                self._drain(key.fileobj)
            now = time.monotonic()
            with self._lock:
                expired = [s for s, (deadline, _) in self._deadlines.items() if deadline < now]
            for sock in expired:
                self._forget(sock)
        with self._lock:
            remaining = list(self._deadlines)
        for sock in remaining:
            self._forget(sock)
        self._selector.close()
        self._wake_r.close()
        self._wake_w.close()

    def _drain(self, sock: socket.socket) -> None:
        try:
            data = sock.recv(_LINGER_BYTES)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        with self._lock:
            deadline, read = self._deadlines.get(sock, (0.0, 0))
            self._deadlines[sock] = (deadline, read + len(data))
        if not data or read + len(data) > _LINGER_BYTES:
            self._forget(sock)

    def _forget(self, sock: socket.socket) -> None:
        with self._lock:
            self._deadlines.pop(sock, None)
            with contextlib.suppress(KeyError, ValueError):
                self._selector.unregister(sock)
        sock.close()

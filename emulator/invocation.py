"""One invocation in flight: its request, its deadline, and the channel its response flows through.

The Runtime API side (``runtime_api.py``) produces response events as the runtime sends bytes;
a front door (``function_url.py``, ``invoke_api.py``) consumes them and writes to its client.
The channel is bounded, so a slow client slows the runtime down as a socket would, and it ends
with exactly one final event (``ResponseEnd`` or ``InvocationFailed``): whoever fails first
(the runtime's ``/error``, the timeout watchdog, a crash) wins, later outcomes are ignored.

It knows nothing about HTTP or processes.
"""

import base64
import binascii
import collections
import json
import signal
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

# Lambda's limits (lambda-streaming-protocol.md §1.6, §3.1).
BUFFERED_RESPONSE_LIMIT = 6 * 1024 * 1024 + 100
STREAMED_RESPONSE_LIMIT = 200 * 1024 * 1024
REQUEST_PAYLOAD_LIMIT = 6 * 1024 * 1024
LOG_TAIL_BYTES = 4 * 1024
_CHANNEL_BYTES = 1024 * 1024  # about what two socket buffers hold: backpressure, not buffering


@dataclass(frozen=True, slots=True)
class FunctionError:
    """An error as Lambda reports it: a type (``Function.ValueError``, ``Sandbox.Timedout``)
    and a JSON payload (``{"errorMessage": ..., "errorType": ...}``) for the caller."""

    error_type: str
    payload: bytes

    @classmethod
    def service(cls, error_type: str, message: str) -> "FunctionError":
        """An error the service itself raises (timeout, crash, size), in Lambda's JSON shape."""
        body = json.dumps({"errorMessage": message, "errorType": error_type}).encode()
        return cls(error_type, body)

    @classmethod
    def exit_error(cls, request_id: str, status: int) -> "FunctionError":
        """``Runtime.ExitError``: the runtime process ended while an invocation was running."""
        how = f"signal: {_signal_name(-status)}" if status < 0 else f"exit status {status}"
        return cls.service(
            "Runtime.ExitError", f"RequestId: {request_id} Error: Runtime exited with error: {how}"
        )

    @classmethod
    def from_trailers(cls, error_type: str, encoded_body: str) -> "FunctionError":
        """Decode the ``Lambda-Runtime-Function-Error-Body`` trailer (standard base64 JSON).

        An undecodable body gives empty details, as Lambda's RAPID does (protocol doc §1.4).
        """
        try:
            payload = base64.b64decode(encoded_body.strip(), validate=True)
        except (binascii.Error, ValueError):
            payload = b""
        return cls(error_type, payload)

    @property
    def message(self) -> str:
        try:
            decoded = json.loads(self.payload)
        except ValueError:
            return self.payload.decode("utf-8", "replace")
        if isinstance(decoded, dict):
            return str(decoded.get("errorMessage", ""))
        return str(decoded)


@dataclass(frozen=True, slots=True)
class ResponseStart:
    """The runtime began ``POST /response``; ``content_type`` is its Content-Type header."""

    content_type: str


@dataclass(frozen=True, slots=True)
class ResponseChunk:
    data: bytes


@dataclass(frozen=True, slots=True)
class ResponseEnd:
    """The body ended normally; ``error`` is set when the runtime sent error trailers."""

    error: FunctionError | None = None


@dataclass(frozen=True, slots=True)
class InvocationFailed:
    """The invocation failed (``/error``, init error, timeout, crash, size, truncation)."""

    error: FunctionError


ResponseEvent = ResponseStart | ResponseChunk | ResponseEnd | InvocationFailed


@dataclass(slots=True)
class InvocationRequest:
    """What a front door asks for. ``streaming`` is the caller's invoke mode, not the runtime's."""

    payload: bytes
    streaming: bool
    client_context: str | None = None  # JSON text (already base64-decoded)
    tenant_id: str | None = None
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))


class Invocation:
    """An invocation in flight; thread-safe between one producer and one consumer."""

    def __init__(
        self,
        request: InvocationRequest,
        *,
        function_arn: str,
        timeout: float,
        max_response_bytes: int,
    ) -> None:
        self.request = request
        self.request_id = request.request_id
        self.function_arn = function_arn
        self.timeout = timeout
        self.max_response_bytes = max_response_bytes
        self.trace_id = _trace_id()
        self.deadline: float | None = None  # time.time() when set; fixed when the runtime gets it
        # Lambda-Runtime-Invocation-Id: a fresh nonce for each delivery to a runtime, so a late
        # answer of an earlier attempt with the same request id cannot be taken for this one.
        self.nonce = ""
        self.started_at = time.monotonic()
        self.finished = threading.Event()
        # Set once END/REPORT are in the log tail (after the sandbox's log readers caught up).
        self.reported = threading.Event()
        self._events: collections.deque[ResponseEvent] = collections.deque()
        self._queued_bytes = 0
        self._cond = threading.Condition()
        self._log_tail = bytearray()

    def dispatch(self) -> None:
        """Start the clock: the runtime is receiving the event now."""
        self.deadline = time.time() + self.timeout
        self.nonce = uuid.uuid4().hex

    def past_deadline(self) -> bool:
        """True once the runtime's time for this invocation is up (never before dispatch)."""
        return self.deadline is not None and time.time() >= self.deadline

    # --- producer side -------------------------------------------------------------------
    def emit(self, event: ResponseStart | ResponseChunk | ResponseEnd) -> bool:
        """Queue an event, waiting while the consumer is behind. False if already finished."""
        size = len(event.data) if isinstance(event, ResponseChunk) else 0
        with self._cond:
            while self._queued_bytes and self._queued_bytes + size > _CHANNEL_BYTES:
                if self.finished.is_set():
                    return False
                self._cond.wait(timeout=0.5)
            if self.finished.is_set():
                return False
            self._events.append(event)
            self._queued_bytes += size
            if isinstance(event, ResponseEnd):
                self.finished.set()
            self._cond.notify_all()
            return True

    def fail(self, error: FunctionError) -> bool:
        """End the invocation with an error, unless it already ended. Never blocks."""
        with self._cond:
            if self.finished.is_set():
                return False
            self._events.append(InvocationFailed(error))
            self.finished.set()
            self._cond.notify_all()
            return True

    # --- consumer side -------------------------------------------------------------------
    def events(self) -> Iterator[ResponseEvent]:
        """Yield response events as they come, ending after the final one."""
        while True:
            with self._cond:
                while not self._events:
                    self._cond.wait()
                event = self._events.popleft()
                if isinstance(event, ResponseChunk):
                    self._queued_bytes -= len(event.data)
                self._cond.notify_all()
            yield event
            if isinstance(event, ResponseEnd | InvocationFailed):
                return

    # --- logs ----------------------------------------------------------------------------
    def add_log(self, line: bytes) -> None:
        """Keep the last 4 KB of this invocation's log (Invoke's ``LogType=Tail``)."""
        with self._cond:
            self._log_tail += line
            del self._log_tail[:-LOG_TAIL_BYTES]

    def log_tail(self) -> bytes:
        with self._cond:
            return bytes(self._log_tail)

    def remaining_seconds(self) -> float:
        if self.deadline is None:
            return self.timeout
        return self.deadline - time.time()


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name.removeprefix("SIG").lower()
    except ValueError:
        return str(number)


def _trace_id() -> str:
    """An X-Ray trace header like Lambda's: Root=1-<epoch hex>-<96-bit hex>;Parent=...;Sampled=0."""
    return (
        f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]};"
        f"Parent={uuid.uuid4().hex[:16]};Sampled=0"
    )

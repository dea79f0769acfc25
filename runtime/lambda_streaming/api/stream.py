"""The response stream a streaming handler writes to, as an explicit state machine.

    READY --write/end--> OPEN --end--> ENDED
      |                    |
      +------ fail --------+--> FAILED

Nothing reaches Lambda until the first byte (or ``end()``): the ``POST /response`` is opened
lazily, so a handler that fails before writing can still report through ``/error`` and the
caller gets a real error status. After the first byte, a failure can only travel in the error
trailers.
"""

from __future__ import annotations

import enum

from lambda_streaming.internals.runtime_api import reply_timeout
from lambda_streaming.internals.wire import error_trailers

from .errors import InvalidStreamingOperation, error_payload, error_type

TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import TracebackType

    from lambda_streaming.internals.runtime_api import RuntimeApiClient, StreamingResponse

    from .pipeline import Pipeline

DEFAULT_CONTENT_TYPE = "application/octet-stream"


class StreamState(enum.Enum):
    READY = "ready"  # nothing sent yet; content type and HTTP metadata may still change
    OPEN = "open"  # the POST is under way; bytes have gone out
    ENDED = "ended"  # the last chunk was sent and Lambda answered
    FAILED = "failed"  # a failure was recorded (and sent in trailers if the POST was open)


class ResponseStream:
    """A writable response: ``write()`` chunks, ``end()``, usable as a context manager.

    Each ``write()`` becomes one HTTP chunk, sent at once. ``str`` is encoded as UTF-8.
    ``write(b"")`` sends the status and headers without a body byte. A stream is not
    thread-safe: write from one thread at a time.
    """

    __slots__ = (
        "_client",
        "_content_type",
        "_deadline_ms",
        "_failure",
        "_pending",
        "_prelude",
        "_request_id",
        "_state",
        "_wire",
    )

    def __init__(self, client: RuntimeApiClient, request_id: str, deadline_ms: int) -> None:
        self._client = client
        self._request_id = request_id
        self._deadline_ms = deadline_ms
        self._content_type = DEFAULT_CONTENT_TYPE
        self._prelude: bytes | None = None
        self._state = StreamState.READY
        self._wire: StreamingResponse | None = None
        self._failure: BaseException | None = None
        # An awaitable pipeline() handed back but not yet awaited; the runtime runs it.
        self._pending: Pipeline | None = None

    @property
    def state(self) -> StreamState:
        return self._state

    @property
    def content_type(self) -> str:
        return self._content_type

    def set_content_type(self, content_type: str) -> None:
        """Set the response's Content-Type; only before the first write."""
        self._require_ready("set_content_type()", "the Content-Type was already sent")
        self._content_type = content_type

    def write(self, data: bytes | bytearray | memoryview | str) -> None:
        """Send ``data`` as one chunk now."""
        if type(data) is not bytes:  # the hot path: bytes go out untouched
            data = _as_bytes(data)
        if self._state is not StreamState.OPEN:
            self._open("write()")
        self._wire.send_chunk(data)  # type: ignore[union-attr]  # set by _open()

    def end(self, data: bytes | bytearray | memoryview | str | None = None) -> None:
        """Write ``data`` if given, then finish the response.

        Ending an ended or failed stream again without data does nothing.
        """
        if data is not None:
            self.write(data)
        elif self._state in (StreamState.ENDED, StreamState.FAILED):
            return
        if self._state is not StreamState.OPEN:
            self._open("end()")
        self._finish(())
        self._state = StreamState.ENDED

    def __enter__(self) -> ResponseStream:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is None:
            self.end()
        elif self._state in (StreamState.READY, StreamState.OPEN):
            self.fail(exc)

    def fail(self, error: BaseException) -> None:
        """Record ``error`` as the response's failure.

        If bytes were already sent, the stream ends now with the error trailers. If not, the
        runtime reports the failure through ``/error`` when the handler returns.
        """
        if self._state in (StreamState.ENDED, StreamState.FAILED):
            return
        was_open = self._state is StreamState.OPEN
        self._failure = error
        self._state = StreamState.FAILED
        if was_open:
            payload = error_payload(error, self._request_id)
            self._finish(error_trailers(error_type(error), payload))

    # -- used by the runtime and by HttpResponseStream -------------------------------------

    @property
    def failure(self) -> BaseException | None:
        return self._failure

    @property
    def started(self) -> bool:
        """Whether any byte went to Lambda (so ``/error`` is no longer allowed)."""
        return self._wire is not None

    def set_prelude(self, prelude: bytes, content_type: str) -> None:
        self._require_ready("HttpResponseStream.from_stream()", "the response already started")
        self._content_type = content_type
        self._prelude = prelude

    def set_pending(self, pipeline: Pipeline) -> None:
        self._pending = pipeline

    def clear_pending(self, pipeline: Pipeline) -> None:
        if self._pending is pipeline:
            self._pending = None

    def take_pending(self) -> Pipeline | None:
        pending, self._pending = self._pending, None
        return pending

    def abort(self) -> None:
        """Drop the connection without a last chunk: Lambda sees a truncated response."""
        if self._wire is not None:
            self._wire.abort()

    def _open(self, call: str) -> None:
        if self._state is StreamState.ENDED:
            raise InvalidStreamingOperation(f"{call} after end(): the response is finished")
        if self._state is StreamState.FAILED:
            raise InvalidStreamingOperation(
                f"{call} after the response failed with {self._failure!r}"
            )
        self._wire = self._client.open_stream(self._request_id, self._content_type)
        self._state = StreamState.OPEN
        if self._prelude is not None:
            # Its own chunk and its own send, before any body byte: users saw Function URL
            # streams stall when the delimiter and the first body bytes shared a chunk.
            self._wire.send_chunk(self._prelude)

    def _finish(self, trailers: tuple[tuple[str, str], ...]) -> None:
        assert self._wire is not None
        self._wire.finish(trailers, timeout=reply_timeout(self._deadline_ms))

    def _require_ready(self, call: str, reason: str) -> None:
        if self._state is not StreamState.READY:
            raise InvalidStreamingOperation(f"{call} after the first write: {reason}")


def _as_bytes(data: object) -> bytes | bytearray | memoryview:
    if isinstance(data, str):
        return data.encode("utf-8")
    if isinstance(data, memoryview):
        return data.cast("B") if data.itemsize != 1 or data.ndim != 1 else data
    if isinstance(data, bytes | bytearray):
        return data
    raise TypeError(
        f"write() takes bytes or str, not {type(data).__name__}; "
        "to send JSON, write(json.dumps(value))"
    )

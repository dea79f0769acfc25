"""The response stream a streaming handler writes to.

``ResponseStream`` is the handler's view of one response: ``write()``, ``end()``,
``set_content_type()``, ``fail()`` and ``with``. The state behind it (what was sent, HTTP
metadata, the outcome) lives in the runtime's ``internals/response.py``, which also documents
every state and which call each accepts.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import TracebackType

    from lambda_streaming.internals.response import Response


class ResponseStream:
    """A writable response: ``write()`` chunks, ``end()``, usable as a context manager.

    Each ``write()`` becomes one HTTP chunk, sent at once. ``str`` is encoded as UTF-8.
    ``write(b"")`` sends the status and headers without a body byte. A call the stream cannot
    take in its state (``write()`` after ``end()``, ...) raises ``InvalidStreamingOperation``
    saying why; once Lambda stops taking the response, ``write()`` raises
    ``StreamInterrupted``. A stream is not thread-safe: write from one thread at a time.
    """

    __slots__ = ("_response",)

    def __init__(self, response: Response) -> None:
        self._response = response

    def set_content_type(self, content_type: str) -> None:
        """Set the response's Content-Type; only before the first write."""
        self._response.set_content_type(content_type)

    def write(self, data: bytes | bytearray | memoryview | str) -> None:
        """Send ``data`` as one chunk now."""
        if type(data) is not bytes:  # the hot path: bytes go out untouched
            data = _as_bytes(data)
        self._response.write(data)

    def end(self, data: bytes | bytearray | memoryview | str | None = None) -> None:
        """Write ``data`` if given, then finish the response.

        Ending a stream that is over already (ended or failed) without data does nothing.
        """
        self._response.end(None if data is None else _as_bytes(data))

    def fail(self, error: BaseException) -> None:
        """Make ``error`` the response's outcome.

        If bytes were already sent, the stream ends now with the error trailers. If not, the
        runtime reports the failure through ``/error`` when the handler returns.
        """
        self._response.fail(error)

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
        else:
            self._response.record(exc)


def response_of(stream: ResponseStream) -> Response:
    """The state behind ``stream``: for the runtime and this package's own API modules."""
    return stream._response  # the one sanctioned way in


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

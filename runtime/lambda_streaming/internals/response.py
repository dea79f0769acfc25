"""One streamed response as a state machine: everything it knows, every call it accepts.

    IDLE --set_http_metadata--> HTTP --+
      |                                |
      +---------- write / end ---------+--> OPEN --end--> ENDED
      |                                |     |
      +------------ fail --------------+     +--fail / lost--> FAILED_SENT
                     |
                     v
               FAILED_UNSENT  (reported through /error by the runtime)

Nothing reaches Lambda until the first byte (or ``end()``): the ``POST /response`` is opened
lazily, so a handler that fails before writing is reported through ``/error`` and its caller
gets a real error status. After the first byte a failure can only travel in the error trailers
(docs: https://docs.aws.amazon.com/lambda/latest/dg/runtimes-custom.html#runtimes-custom-response-streaming).

Each call either does its one thing in the current state or raises
``InvalidStreamingOperation`` naming the call and the state. Handlers reach the calls through
``lambda_streaming.ResponseStream``; the runtime's own controls (``complete``, ``record``,
``abort``) are used by dispatch only.
"""

from __future__ import annotations

from lambda_streaming.api.errors import InvalidStreamingOperation, StreamInterrupted, error_type

from .failures import error_payload
from .runtime_api import AnswerLost
from .wire import HTTP_INTEGRATION_CONTENT_TYPE, error_trailers, http_prelude

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from typing import Protocol

    from .http_connection import HttpResponse

    Buffer = bytes | bytearray | memoryview

    class ResponseWire(Protocol):
        """The transport of one streamed response (``runtime_api.StreamingResponse``)."""

        def send(self, data: Buffer) -> None: ...
        def finish(self, trailers: tuple[tuple[str, str], ...]) -> HttpResponse | None: ...
        def abort(self) -> None: ...


DEFAULT_CONTENT_TYPE = "application/octet-stream"


class StreamState:
    """The states of a response; each is the phrase error messages use for it.

    Plain string constants compared with ``is``: ``enum`` would add ~9 M instructions to the
    cold start of every streaming function.
    """

    IDLE = "nothing sent"
    HTTP = "HTTP metadata set, nothing sent"
    OPEN = "open"
    ENDED = "ended"
    FAILED_UNSENT = "failed before any byte"
    FAILED_SENT = "failed after bytes went out"
    ALL = (IDLE, HTTP, OPEN, ENDED, FAILED_UNSENT, FAILED_SENT)


_NOT_SENT = (StreamState.IDLE, StreamState.HTTP)
_OVER = (StreamState.ENDED, StreamState.FAILED_UNSENT, StreamState.FAILED_SENT)


class Response:
    """The state of one streamed response and the only code that changes it.

    ``open_wire(content_type)`` opens the transport when the first byte leaves. With
    ``default_http`` (API Gateway REST ``STREAM`` events), a response that set no HTTP metadata
    gets a 200 prelude carrying its content type, which API Gateway requires.
    """

    __slots__ = (
        "_open_wire",
        "_prelude",
        "_wire",
        "answer",
        "content_type",
        "default_http",
        "failure",
        "pending",
        "request_id",
        "state",
    )

    def __init__(
        self,
        open_wire: Callable[[str], ResponseWire],
        request_id: str,
        *,
        content_type: str = DEFAULT_CONTENT_TYPE,
        default_http: bool = False,
    ) -> None:
        self._open_wire = open_wire
        self._wire: ResponseWire | None = None
        self._prelude: bytes | None = None
        self.request_id = request_id
        self.content_type = content_type
        self.default_http = default_http
        self.state: str = StreamState.IDLE
        self.failure: BaseException | None = None
        # Lambda's answer when it was not a plain 202 (413, 410, ...), or the loss of it.
        self.answer: HttpResponse | AnswerLost | None = None
        # An async pipeline() the handler returned without awaiting; the runtime runs it.
        self.pending: Awaitable[None] | None = None

    # -- the handler's calls -----------------------------------------------------------------

    def set_content_type(self, content_type: str) -> None:
        if self.state is not StreamState.IDLE:
            raise self._refuse(
                "set_content_type()",
                "with HTTP metadata, set 'content-type' in its headers"
                if self.state is StreamState.HTTP
                else "the Content-Type was sent with the first byte",
            )
        self.content_type = content_type

    def set_http_metadata(self, metadata: dict[str, object]) -> None:
        if self.state is not StreamState.IDLE:
            raise self._refuse(
                "HttpResponseStream.from_stream()",
                "HTTP metadata must be set once, before the first write",
            )
        self._prelude = http_prelude(metadata)
        self.content_type = HTTP_INTEGRATION_CONTENT_TYPE
        self.state = StreamState.HTTP

    def write(self, data: Buffer) -> None:
        if self.state is not StreamState.OPEN:
            self._open("write()")
        try:
            self._wire.send(data)  # type: ignore[union-attr]  # set by _open()
        except AnswerLost as lost:
            raise self._lose(lost) from None

    def end(self, data: Buffer | None = None) -> None:
        if data is not None:
            self.write(data)
        elif self.state in _OVER:
            return  # ending what is over is done already (e.g. a `with` block after end())
        if self.state is not StreamState.OPEN:
            self._open("end()")
        self._finish(())
        if self.state is StreamState.OPEN:
            self.state = StreamState.ENDED

    def fail(self, error: BaseException) -> None:
        if self.state in _OVER:
            raise self._refuse("fail()", "the response is over; its outcome is already sent")
        self.record(error)

    # -- the runtime's controls --------------------------------------------------------------

    @property
    def started(self) -> bool:
        """Whether any byte went to Lambda (so ``/error`` is no longer allowed)."""
        return self._wire is not None

    def record(self, error: BaseException) -> None:
        """Make ``error`` the response's outcome: trailers if bytes are out, else ``/error``."""
        if self.state in _OVER:
            return
        self.failure = error
        if self.state is not StreamState.OPEN:
            self.state = StreamState.FAILED_UNSENT
            return
        self.state = StreamState.FAILED_SENT
        trailers = error_trailers(error_type(error), error_payload(error, self.request_id))
        try:  # noqa: SIM105  # contextlib.suppress would cost cold start to import
            self._finish(trailers)
        except StreamInterrupted:
            pass  # the failure stands; dispatch logs the lost answer

    def complete(self) -> None:
        """The handler returned: end the response unless it is over already."""
        if self.state not in _OVER:
            try:  # noqa: SIM105  # contextlib.suppress would cost cold start to import
                self.end()
            except StreamInterrupted:
                pass  # recorded in self.answer for dispatch to log

    def abort(self) -> None:
        """Drop the connection without a last chunk: Lambda sees a truncated response."""
        if self._wire is not None:
            self._wire.abort()

    # -- transitions -------------------------------------------------------------------------

    def _open(self, call: str) -> None:
        if self.state in _OVER:
            raise self._refuse(call, "the response is over")
        if self.state is StreamState.IDLE and self.default_http:
            self.set_http_metadata(
                {"statusCode": 200, "headers": {"content-type": self.content_type}}
            )
        self._wire = self._open_wire(self.content_type)
        self.state = StreamState.OPEN
        if self._prelude is not None:
            # Its own chunk and its own send, before any body byte: users saw Function URL
            # streams stall when the delimiter and the first body bytes shared a chunk.
            self.write(self._prelude)

    def _finish(self, trailers: tuple[tuple[str, str], ...]) -> None:
        assert self._wire is not None
        try:
            answer = self._wire.finish(trailers)
        except AnswerLost as lost:
            raise self._lose(lost) from None
        if answer is not None and answer.status != 202:
            self.answer = answer

    def _lose(self, lost: AnswerLost) -> StreamInterrupted:
        self.answer = lost
        status = lost.answer.status if lost.answer is not None else None
        interrupted = StreamInterrupted(str(lost), status)
        if self.state is StreamState.OPEN:
            self.failure = interrupted
            self.state = StreamState.FAILED_SENT
        return interrupted

    def _refuse(self, call: str, reason: str) -> InvalidStreamingOperation:
        detail = f": {self.failure!r}" if self.failure is not None else ""
        return InvalidStreamingOperation(f"{call} in state '{self.state}'{detail}: {reason}")

"""One request through an ASGI app: its ``receive`` and ``send``, and where the answer goes.

Owns: the order of the HTTP messages (one ``http.response.start``, then ``http.response.body``
until ``more_body`` is false), and writing each body message to the response stream as it is
sent, after the status, headers and cookies; or, for a buffered front door, collecting the
answer into the JSON document that front door reads.

Does not: decide the mode, run the lifespan or handle the app's exceptions (``handler.py``).

``http.disconnect``: Lambda never tells a function that its client went away (the function
runs on, and is billed, to the end), so ``receive()`` after the request body waits until the
response is complete and only then says ``http.disconnect``. Apps that watch for a disconnect
to stop early (sse-starlette, Starlette's ``StreamingResponse``) therefore stream to the end.
"""

from __future__ import annotations

from lambda_streaming import HttpResponseStream

from .buffered import buffered_response
from .response_head import ResponseHead

TYPE_CHECKING = False
if TYPE_CHECKING:
    import asyncio

    from lambda_streaming import ResponseStream

    from .events import HttpRequest

    Message = dict[str, object]


class RequestCycle:
    """The state of one request; never shared between invocations."""

    __slots__ = (
        "_body_delivered",
        "_done",
        "_opened",
        "_parts",
        "buffered",
        "complete",
        "head",
        "request",
        "stream",
    )

    def __init__(self, request: HttpRequest, stream: ResponseStream, *, buffered: bool) -> None:
        self.request = request
        self.stream = stream
        self.buffered = buffered
        self.head: ResponseHead | None = None
        self.complete = False
        self._opened = False
        self._parts: list[bytes] = []
        self._body_delivered = False
        self._done: asyncio.Event | None = None

    async def receive(self) -> Message:
        if not self._body_delivered:
            self._body_delivered = True
            return {"type": "http.request", "body": self.request.body, "more_body": False}
        if not self.complete:
            import asyncio

            if self._done is None:
                self._done = asyncio.Event()
            await self._done.wait()
        return {"type": "http.disconnect"}

    async def send(self, message: Message) -> None:
        kind = message.get("type")
        if kind == "http.response.body":
            if self.head is None:
                raise RuntimeError("http.response.body sent before http.response.start")
            if self.complete:
                raise RuntimeError("http.response.body sent after the response was complete")
            body = message.get("body", b"")
            if not isinstance(body, bytes | bytearray | memoryview):
                raise TypeError(f"http.response.body body must be bytes, not {type(body).__name__}")
            self.write_body(body, more=bool(message.get("more_body", False)))
        elif kind == "http.response.start":
            if self.head is not None:
                raise RuntimeError("http.response.start sent twice")
            self.head = ResponseHead.from_asgi(message)
        else:
            raise RuntimeError(
                f"unexpected ASGI message {kind!r}: this server supports http.response.start "
                "and http.response.body (no websockets, trailers or pathsend)"
            )

    def write_body(self, body: bytes | bytearray | memoryview, *, more: bool) -> None:
        """Send (or, buffered, keep) one piece of the body; the last one has ``more=False``."""
        if self.buffered:
            self._parts.append(bytes(body))
        elif body:
            self._open()
            self.stream.write(body)
        if not more:
            self._finish()

    def respond(self, head: ResponseHead, body: bytes) -> None:
        """Answer with a whole response (the adapter's own 500)."""
        self.head = head
        self._parts = []
        self.write_body(body, more=False)

    def open_for_error(self) -> None:
        """Send the status and headers, so that a failure after ``http.response.start`` reaches
        the client as error trailers on that response (nothing else can follow a status)."""
        if not self.buffered and self.head is not None and not self.complete:
            self._open()
            self.stream.write(b"")

    def release(self) -> None:
        """Wake any ``receive()`` still waiting: the request is over either way."""
        if self._done is not None:
            self._done.set()

    def _open(self) -> None:
        if not self._opened:
            assert self.head is not None
            metadata = self.head.stream_metadata(self.request.kind)
            HttpResponseStream.from_stream(self.stream, metadata)
            self._opened = True

    def _finish(self) -> None:
        assert self.head is not None
        if self.buffered:
            import json

            document = buffered_response(
                self.request.kind,
                self.head,
                b"".join(self._parts),
                multi_value=self.request.multi_value,
            )
            self._parts = []
            self.stream.set_content_type("application/json")
            self.stream.end(json.dumps(document, ensure_ascii=False))
        else:
            self._open()
            self.stream.end()
        self.complete = True
        self.release()

"""``wsgi_handler(app)``: a WSGI app (Flask, Django, any PEP 3333 app) as a streaming handler.

Owns: the WSGI side: the ``environ`` of a request, ``start_response``, and sending the
response iterable item by item as the app yields it (a Flask generator streams). The event
shapes, the answer's format per front door and the choice of mode are the ASGI adapter's
(``lambda_streaming.asgi``), shared.

The handler is synchronous, ``handler(event, response_stream, context)``: a WSGI app blocks
while it works, so it runs where the runtime runs blocking handlers. As PEP 3333 asks, the
status and headers go out with the first non-empty body item (or at the end), so an app may
still change them with ``start_response(..., exc_info)`` until then
(https://peps.python.org/pep-3333/#the-start-response-callable).

>>> def app(environ, start_response):
...     start_response("200 OK", [("Content-Type", "text/plain")])
...     yield b"hello "
...     yield b"world"
>>> handler = wsgi_handler(app)  # _HANDLER=module.handler
"""

from __future__ import annotations

import io
import sys
from urllib.parse import unquote_to_bytes

from lambda_streaming import streamify_response

from .asgi.cycle import RequestCycle
from .asgi.error_log import INTERNAL_ERROR_BODY, INTERNAL_ERROR_HEADERS, log_app_error
from .asgi.events import HttpRequest, parse_event
from .asgi.response_head import ResponseHead
from .asgi.scope import request_scheme, server_address

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from types import TracebackType

    from lambda_streaming import ResponseStream

    ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]
    WsgiApp = Callable[[dict[str, object], Callable[..., object]], Iterable[bytes]]

RESPONSE_MODES = ("stream", "buffered")


def wsgi_handler(app: WsgiApp, *, response_mode: str = "stream") -> Callable[..., object]:
    """Turn the WSGI ``app`` into a Lambda handler for this runtime.

    ``response_mode`` as for ``asgi_handler``: ``"stream"`` (each item of the response
    iterable is sent as it comes) or ``"buffered"``; ALB and HTTP API payload 1.0 events are
    always buffered.
    """
    if not callable(app):
        raise TypeError(f"wsgi_handler() takes a WSGI app, not {type(app).__name__}")
    if response_mode not in RESPONSE_MODES:
        raise ValueError(f"response_mode={response_mode!r}: use 'stream' or 'buffered'")
    always_buffered = response_mode == "buffered"

    def handler(event: object, response_stream: ResponseStream, context: object) -> None:
        request = parse_event(event)
        cycle = RequestCycle(
            request, response_stream, buffered=always_buffered or not request.streamable
        )
        response = _Response(cycle)
        try:
            result = app(wsgi_environ(request, event, context), response.start_response)
            try:
                for item in result:
                    response.write(item)
            finally:
                close = getattr(result, "close", None)
                if close is not None:  # PEP 3333: always, even after an error
                    close()
        except Exception as error:
            if cycle.head is None:  # nothing sent yet: a clean 500
                log_app_error("Exception in WSGI application", error, context)
                cycle.respond(ResponseHead(500, INTERNAL_ERROR_HEADERS), INTERNAL_ERROR_BODY)
                return
            raise  # the runtime ends the stream with error trailers and logs it
        response.finish()

    handler.__qualname__ = handler.__name__ = "wsgi_handler"
    return streamify_response(handler)


class _Response:
    """``start_response`` and the body of one request."""

    __slots__ = ("_cycle", "_pending")

    def __init__(self, cycle: RequestCycle) -> None:
        self._cycle = cycle
        self._pending: ResponseHead | None = None

    def start_response(
        self, status: str, headers: list[tuple[str, str]], exc_info: ExcInfo | None = None
    ) -> Callable[[bytes], None]:
        if exc_info is not None:
            if self._cycle.head is not None:  # too late to change the status: fail the stream
                raise exc_info[1].with_traceback(exc_info[2])
        elif self._pending is not None:
            raise RuntimeError("start_response() called twice without exc_info")
        self._pending = ResponseHead.from_wsgi(status, headers)
        return self.write

    def write(self, data: bytes) -> None:
        if not isinstance(data, bytes | bytearray):
            raise TypeError(f"a WSGI app must produce bytes, not {type(data).__name__}")
        if not data:
            return
        self._send_head()
        self._cycle.write_body(data, more=True)

    def finish(self) -> None:
        self._send_head()
        self._cycle.write_body(b"", more=False)

    def _send_head(self) -> None:
        if self._cycle.head is None:
            if self._pending is None:
                raise RuntimeError("the WSGI app produced a body before calling start_response()")
            self._cycle.head = self._pending


def wsgi_environ(request: HttpRequest, event: object, context: object) -> dict[str, object]:
    """The PEP 3333 ``environ`` of ``request``; the event and context as ``aws.event`` and
    ``aws.context``."""
    scheme = request_scheme(request)
    host, port = server_address(request, scheme)
    # PEP 3333: PATH_INFO is the decoded path's bytes as a latin-1 "native string".
    path = unquote_to_bytes(request.raw_path).decode("latin-1")
    root = request.root_path.encode("utf-8").decode("latin-1")
    environ: dict[str, object] = {
        "REQUEST_METHOD": request.method,
        "SCRIPT_NAME": root,
        "PATH_INFO": path[len(root) :] if root and path.startswith(root) else path,
        "QUERY_STRING": request.query_string,
        "SERVER_NAME": host,
        "SERVER_PORT": str(port),
        "SERVER_PROTOCOL": f"HTTP/{request.http_version if '.' in request.http_version else '2.0'}",
        "REMOTE_ADDR": request.client or "",
        "CONTENT_LENGTH": str(len(request.body)),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scheme,
        "wsgi.input": io.BytesIO(request.body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "aws.event": event,
        "aws.context": context,
    }
    for name, value in request.headers:
        if name == "content-type":
            environ["CONTENT_TYPE"] = value
            continue
        if name == "content-length":
            continue  # the body's real length is above
        key = "HTTP_" + name.upper().replace("-", "_")
        if key in environ:
            separator = "; " if name == "cookie" else ","
            environ[key] = f"{environ[key]}{separator}{value}"
        else:
            environ[key] = value
    return environ

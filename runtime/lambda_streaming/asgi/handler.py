"""``asgi_handler(app)``: an ASGI 3 app (FastAPI, Starlette, an MCP server) as a Lambda handler.

Owns: the options and what happens to each invocation: lifespan first, the event read, the
mode chosen, the app run, and its failures answered as uvicorn answers them.

Does not: parse events, build the scope, order the messages or encode buffered answers (the
sibling modules do, one concept each).

The handler is an ``async def handler(event, response_stream, context)`` marked with
``streamify_response``: it runs on the runtime's one event loop, and keeps no per-request state
outside the call, so many requests can share that loop.

Which invocations stream: Lambda does not tell a function whether its caller streams, so the
user says it with ``response_mode``. ``"stream"`` (the default) suits a ``RESPONSE_STREAM``
Function URL, API Gateway REST with ``STREAM`` and ``InvokeWithResponseStream``; ``"buffered"``
answers with the JSON document a ``BUFFERED`` Function URL or API Gateway without ``STREAM``
reads. ALB events and HTTP API payload 1.0 events are always answered buffered: neither front
door streams.
"""

from __future__ import annotations

from lambda_streaming import streamify_response

from .cycle import RequestCycle
from .error_log import INTERNAL_ERROR_BODY, INTERNAL_ERROR_HEADERS, log_app_error
from .events import parse_event
from .lifespan import Lifespan
from .response_head import ResponseHead
from .scope import http_scope

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from lambda_streaming import ResponseStream

    from .lifespan import App

RESPONSE_MODES = ("stream", "buffered")


def asgi_handler(
    app: App,
    *,
    response_mode: str = "stream",
    lifespan: str = "auto",
    shutdown_timeout: float = 0.25,
) -> Callable[..., object]:
    """Turn the ASGI 3 ``app`` into a Lambda handler for this runtime.

    ``response_mode``: ``"stream"`` (each ``http.response.body`` is sent as it comes) or
    ``"buffered"`` (one JSON document in the front door's format); ALB and HTTP API payload 1.0
    events are always buffered. ``lifespan``: ``"auto"``, ``"on"`` or ``"off"``, as uvicorn's.
    ``shutdown_timeout``: seconds the app's lifespan shutdown may take after SIGTERM.

    >>> async def app(scope, receive, send):
    ...     await send({"type": "http.response.start", "status": 200, "headers": []})
    ...     await send({"type": "http.response.body", "body": b"hello"})
    >>> handler = asgi_handler(app)
    """
    _check_app(app)
    if response_mode not in RESPONSE_MODES:
        raise ValueError(f"response_mode={response_mode!r}: use 'stream' or 'buffered'")
    app_lifespan = Lifespan(app, lifespan, shutdown_timeout=shutdown_timeout)
    always_buffered = response_mode == "buffered"

    async def handler(event: object, response_stream: ResponseStream, context: object) -> None:
        if not app_lifespan.ready:
            await app_lifespan.startup()
        request = parse_event(event)
        buffered = always_buffered or not request.streamable
        cycle = RequestCycle(request, response_stream, buffered=buffered)
        scope = http_scope(request, event, context, app_lifespan.state)
        try:
            await app(scope, cycle.receive, cycle.send)
        except Exception as error:
            if cycle.head is None or cycle.complete:
                # Nothing promised yet: a clean 500, as uvicorn answers. Or the answer is
                # already whole (Starlette sends its own 500, then re-raises): only log it.
                log_app_error("Exception in ASGI application", error, context)
                if not cycle.complete:
                    cycle.respond(ResponseHead(500, INTERNAL_ERROR_HEADERS), INTERNAL_ERROR_BODY)
                return
            cycle.open_for_error()
            raise  # the runtime ends the stream with error trailers and logs it
        finally:
            cycle.release()
        if cycle.complete:
            return
        if cycle.head is None:
            log_app_error(
                "ASGI application returned without starting a response",
                RuntimeError("no http.response.start"),
                context,
            )
            cycle.respond(ResponseHead(500, INTERNAL_ERROR_HEADERS), INTERNAL_ERROR_BODY)
            return
        cycle.open_for_error()
        raise RuntimeError("the ASGI application returned without completing its response")

    handler.__qualname__ = handler.__name__ = f"asgi_handler({_name(app)})"
    # Under the runtime, startup runs during Lambda's init on the handlers' event loop, and its
    # failure is the init error; where nothing runs on_init, before the first request.
    startup = None if app_lifespan.ready else app_lifespan.startup
    return streamify_response(handler, on_init=startup)


def _check_app(app: object) -> None:
    if not callable(app):
        raise TypeError(f"asgi_handler() takes an ASGI app, not {type(app).__name__}")
    if hasattr(app, "wsgi_app"):  # Flask and Werkzeug apps
        raise TypeError(
            f"{_name(app)} is a WSGI app: use lambda_streaming.wsgi.wsgi_handler(app) instead"
        )


def _name(app: object) -> str:
    return str(getattr(app, "__qualname__", None) or type(app).__name__)

"""Run an ASGI 3 app (FastAPI, Starlette, an MCP server) as a streaming Lambda handler.

No second process and no HTTP hop: each ``http.response.body`` message goes to Lambda's
streaming endpoint as it is sent, after the status, headers and cookies of
``http.response.start``.

>>> from lambda_streaming.asgi import asgi_handler
>>> async def app(scope, receive, send):
...     await send({"type": "http.response.start", "status": 200, "headers": []})
...     await send({"type": "http.response.body", "body": b"hello"})
>>> handler = asgi_handler(app)  # _HANDLER=module.handler

One module per concept: ``events`` (the front doors' event shapes), ``scope`` (the ASGI scope),
``cycle`` (one request's messages), ``response_head`` and ``buffered`` (the answer in each
front door's format), ``lifespan``, ``error_log``, and ``handler`` (which ties them together).
Importing this package imports neither ``asyncio`` nor any framework.
"""

from .events import HttpRequest, UnsupportedEventError, parse_event
from .handler import asgi_handler
from .lifespan import LifespanStartupError

__all__ = [
    "HttpRequest",
    "LifespanStartupError",
    "UnsupportedEventError",
    "asgi_handler",
    "parse_event",
]

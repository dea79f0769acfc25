"""The ASGI ``http`` scope of one request (https://asgi.readthedocs.io/en/latest/specs/www.html).

Owns: mapping an ``HttpRequest`` to the scope an ASGI 3 app receives, with the Lambda event and
context reachable as ``scope["aws.event"]`` and ``scope["aws.context"]`` (the keys Mangum uses,
so code written for Mangum finds them).

Does not: parse events (``events.py``) or run the app.

``path`` includes ``root_path`` (an API Gateway stage such as ``/prod``), as ASGI 2.x and
uvicorn's ``--root-path`` do, so Starlette routes on the rest and builds URLs with the prefix.
``spec_version`` is 2.4: the server may not know of a disconnect, and then ``send`` simply
succeeds; Lambda never tells a function that its client went away.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from .events import HttpRequest

ASGI_VERSION = {"version": "3.0", "spec_version": "2.4"}


def http_scope(
    request: HttpRequest,
    event: object,
    context: object,
    state: Mapping[str, object] | None = None,
) -> dict[str, object]:
    """The scope for ``request``; ``state`` is the lifespan state (each request gets a copy)."""
    headers = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in request.headers]
    scheme = request_scheme(request)
    scope: dict[str, object] = {
        "type": "http",
        "asgi": dict(ASGI_VERSION),
        "http_version": request.http_version,
        "method": request.method,
        "scheme": scheme,
        "path": request.path,
        "raw_path": request.raw_path.encode("latin-1", "replace"),
        "query_string": request.query_string.encode("latin-1", "replace"),
        "root_path": request.root_path,
        "headers": headers,
        "client": (request.client, 0) if request.client else None,
        "server": server_address(request, scheme),
        "extensions": {},
        "aws.event": event,
        "aws.context": context,
    }
    if state is not None:
        scope["state"] = dict(state)
    return scope


def server_address(request: HttpRequest, scheme: str) -> tuple[str, int]:
    """``(host, port)`` the client addressed, from ``Host`` and ``X-Forwarded-Port``."""
    host = request.header("host")
    if not host:
        return ("localhost", 443 if scheme == "https" else 80)
    name, _, port = host.rpartition(":") if host.count(":") == 1 else (host, "", "")
    if port.isdigit():
        return (name, int(port))
    forwarded = request.header("x-forwarded-port")
    if forwarded.isdigit():
        return (host, int(forwarded))
    return (host, 443 if scheme == "https" else 80)


def request_scheme(request: HttpRequest) -> str:
    """``http`` or ``https``, as the front door says in ``X-Forwarded-Proto``."""
    return request.header("x-forwarded-proto", "https").split(",")[0].strip() or "https"

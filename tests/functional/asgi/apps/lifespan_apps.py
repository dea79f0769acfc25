"""Bare ASGI apps whose lifespan writes what happened to the file named by LIFESPAN_LOG."""

import os
from pathlib import Path

from lambda_streaming.asgi import asgi_handler

LOG = Path(os.environ.get("LIFESPAN_LOG", "/dev/null"))


def _note(line: str) -> None:
    with LOG.open("a") as log:
        log.write(line + "\n")


async def counting_app(scope, receive, send):  # type: ignore[no-untyped-def]
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                _note("startup")
                scope["state"]["resource"] = "opened at startup"
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                _note("shutdown")
                await send({"type": "lifespan.shutdown.complete"})
                return
    await receive()
    body = scope["state"]["resource"].encode()
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": body})
    # After the response: receive() now says the client is gone (Lambda has no such signal).
    message = await receive()
    _note(f"after the response: {message['type']}")


async def flaky_startup_app(scope, receive, send):  # type: ignore[no-untyped-def]
    if scope["type"] == "lifespan":
        await receive()
        if not LOG.exists():
            _note("startup failed")
            await send({"type": "lifespan.startup.failed", "message": "database unreachable"})
            return
        await send({"type": "lifespan.startup.complete"})
        await receive()
        return
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"started on the second try"})


async def no_lifespan_app(scope, receive, send):  # type: ignore[no-untyped-def]
    assert scope["type"] == "http", "this app knows only HTTP"
    await send({"type": "http.response.start", "status": 204, "headers": []})
    await send({"type": "http.response.body", "body": b""})


counting = asgi_handler(counting_app)
flaky = asgi_handler(flaky_startup_app)
no_lifespan = asgi_handler(no_lifespan_app)
strict_no_lifespan = asgi_handler(no_lifespan_app, lifespan="on")

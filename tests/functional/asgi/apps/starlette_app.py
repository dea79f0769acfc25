"""A plain Starlette app (no FastAPI) under asgi_handler."""

from collections.abc import AsyncIterator

from gate import wait_open
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, StreamingResponse
from starlette.routing import Mount, Route

from lambda_streaming.asgi import asgi_handler


async def countdown(request: Request) -> StreamingResponse:
    release = request.query_params["release"]

    async def lines() -> AsyncIterator[bytes]:
        yield b"3\n"
        await wait_open(release)
        yield b"2\n"
        yield b"1\n"

    return StreamingResponse(lines(), media_type="text/plain", headers={"x-count": "down"})


async def where(request: Request) -> PlainTextResponse:
    return PlainTextResponse(f"{request.url_for('where')} {request.scope['root_path']}")


app = Starlette(
    routes=[
        Route("/countdown", countdown),
        Mount("/api", routes=[Route("/where", where, name="where")]),
    ]
)
handler = asgi_handler(app)

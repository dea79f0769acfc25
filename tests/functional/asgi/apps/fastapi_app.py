"""A FastAPI app as users write one, served by asgi_handler in the tests."""

import asyncio
import hashlib
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request, Response
from fastapi.responses import FileResponse, JSONResponse, StreamingResponse
from gate import wait_open
from pydantic import BaseModel
from sse_starlette import EventSourceResponse

from lambda_streaming.asgi import asgi_handler

BINARY = bytes(range(256)) * 64  # 16 KiB, every byte value, not UTF-8
BINARY_PATH = "/tmp/lambda-streaming-asgi-test.bin"


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, object]]:
    Path(BINARY_PATH).write_bytes(BINARY)
    yield {"started_pid": os.getpid(), "greeting": "from lifespan"}


app = FastAPI(lifespan=lifespan)


class Order(BaseModel):
    item: str
    quantity: int


@app.get("/items/{item_id}")
async def read_item(item_id: int, request: Request, q: str | None = None) -> dict[str, object]:
    return {
        "item_id": item_id,
        "q": q,
        "tags": request.query_params.getlist("tag"),
        "url": str(request.url),
        "root_path": request.scope["root_path"],
        "client": request.client.host if request.client else None,
        "greeting": request.state.greeting,
        "cookies": dict(request.cookies),
        "accept": request.headers.getlist("accept"),
        "request_id": request.scope["aws.context"].aws_request_id,
        "event_keys": sorted(request.scope["aws.event"]),
    }


@app.post("/orders", status_code=201)
async def create_order(order: Order, response: Response) -> dict[str, object]:
    response.headers["x-order"] = order.item
    response.set_cookie("session", "abc", httponly=True)
    response.set_cookie("theme", "dark")
    return {"item": order.item, "quantity": order.quantity, "total": order.quantity * 3}


@app.post("/upload")
async def upload(request: Request) -> dict[str, object]:
    body = await request.body()
    return {"size": len(body), "sha256": hashlib.sha256(body).hexdigest()}


@app.get("/file")
async def file() -> FileResponse:
    return FileResponse(BINARY_PATH, media_type="application/octet-stream")


@app.get("/stream")
async def stream(release: str, request: Request) -> StreamingResponse:
    async def chunks() -> AsyncIterator[str]:
        yield "first\n"
        await wait_open(release)
        for index in range(3):
            connected = not await request.is_disconnected()
            yield f"chunk {index} connected={connected}\n"

    return StreamingResponse(chunks(), media_type="text/plain; charset=utf-8")


@app.get("/ticks")
async def ticks(count: int = 20, interval: float = 0.0) -> StreamingResponse:
    async def chunks() -> AsyncIterator[bytes]:
        for index in range(count):
            if interval:
                await asyncio.sleep(interval)
            yield f"tick {index}\n".encode()

    return StreamingResponse(chunks(), media_type="text/plain")


@app.get("/sse")
async def sse(release: str) -> EventSourceResponse:
    async def events() -> AsyncIterator[dict[str, str]]:
        yield {"event": "token", "data": "Hello"}
        await wait_open(release)
        yield {"event": "token", "data": " world"}
        yield {"event": "done", "data": "{}"}

    return EventSourceResponse(events(), ping=600)


@app.get("/fail-before-start")
async def fail_before_start() -> None:
    raise ValueError("secret detail that must not reach the client")


@app.get("/fail-mid-stream")
async def fail_mid_stream() -> StreamingResponse:
    async def chunks() -> AsyncIterator[str]:
        yield "partial "
        raise RuntimeError("the source broke")

    return StreamingResponse(chunks(), media_type="text/plain")


@app.get("/teapot")
async def teapot() -> JSONResponse:
    return JSONResponse({"short": "stout"}, status_code=418, headers={"x-teapot": "yes"})


handler = asgi_handler(app)
buffered_handler = asgi_handler(app, response_mode="buffered")

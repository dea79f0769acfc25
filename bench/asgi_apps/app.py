"""The FastAPI app every ASGI configuration in bench/asgi.py serves: a JSON route and a stream
of chunks, each stamped with CLOCK_MONOTONIC when the app yields it."""

import asyncio
import time
from collections.abc import AsyncIterator

from fastapi import FastAPI
from fastapi.responses import StreamingResponse

app = FastAPI()


@app.get("/json")
async def json_route() -> dict[str, object]:
    return {"ok": True, "items": list(range(10))}


@app.get("/ticks")
async def ticks(count: int = 20, interval: float = 0.01) -> StreamingResponse:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(count):
            await asyncio.sleep(interval)
            yield b"%d\n" % time.monotonic_ns()

    return StreamingResponse(chunks(), media_type="text/plain")

"""The streaming scenarios on hayate (PyPI ``hayate``), its own Lambda streaming loop unmodified.

Equivalent to ../ours/streaming.py. hayate accepts only Function URL (payload 2.0) events, so
the bench wraps each ``{"op": ...}`` event as the JSON body of one (``peers.py``). Every
hayate response carries an http-integration prelude; the bench counts payload bytes only.
"""

import asyncio
import json
import time

from hayate import Hayate

app = Hayate()
TRIVIAL = b'{"ok":true}'
TEXT = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


@app.post("/")
async def scenario(c):
    event = json.loads(await c.req.text())
    op = event["op"]
    if op == "trivial":
        return c.body(TRIVIAL)
    if op == "ticks":
        return c.body(_ticks(event["n"], event["size"], event["sleep_ms"] / 1000))
    if op == "tokens":
        return c.body(_tokens(event["n"], event["sizes"]))
    return c.body(_big(event["n"], event["size"]))


async def _ticks(n, size, pause):
    for i in range(n):
        if i:
            await asyncio.sleep(pause)
        line = f'{{"i":{i},"t":"{time.monotonic_ns()}"}}'
        yield line.ljust(size - 1).encode() + b"\n"


async def _tokens(n, sizes):
    pieces = [TEXT[:size] for size in sizes]
    for i in range(n):
        yield pieces[i % len(pieces)]


async def _big(n, size):
    block = b"x" * size
    for _ in range(n):
        yield block

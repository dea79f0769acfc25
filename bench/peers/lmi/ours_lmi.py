"""The LMI bench's handler on our runtime: stream a fake model's tokens as they arrive.

Async, so concurrent mode runs every invocation as a task on one event loop. The fake model is
read with asyncio streams (the same work the other peers' handlers do with their own HTTP).
"""

import asyncio
import os
from urllib.parse import urlsplit

from lambda_streaming import streamify_response

MODEL = urlsplit(os.environ["BENCH_MODEL_URL"])


@streamify_response
async def handler(event, response_stream, context):
    response_stream.set_content_type("text/plain")
    reader, writer = await asyncio.open_connection(MODEL.hostname, MODEL.port)
    writer.write(f"GET /?tokens={event['tokens']} HTTP/1.1\r\nHost: model\r\n\r\n".encode())
    await reader.readuntil(b"\r\n\r\n")
    while True:
        size = int((await reader.readline()).strip(), 16)
        if size == 0:
            break
        response_stream.write(await reader.readexactly(size))
        await reader.readline()
    writer.close()

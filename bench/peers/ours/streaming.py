"""The streaming scenarios on our runtime; equivalent to node/handlers.js and hayate/app.py.

The event is ``{"op": ...}`` (or a Function URL event whose JSON body is, through the emulator):

- ``trivial``: one chunk ``{"ok":true}``;
- ``ticks``: ``n`` chunks of ``size`` bytes, each ``{"i":<i>,"t":"<monotonic ns>"}`` padded with
  spaces and ending in a newline, the time taken just before the write; ``sleep_ms`` apart;
- ``tokens``: ``n`` token-sized writes back to back, their sizes cycling through ``sizes``;
- ``big``: ``n`` writes of one preallocated ``size``-byte buffer.
"""

import json
import time

from lambda_streaming import streamify_response

TRIVIAL = b'{"ok":true}'
TEXT = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


@streamify_response
def handler(event, response_stream, context):
    if "body" in event:  # through the emulator's Function URL
        event = json.loads(event["body"])
    op = event["op"]
    if op == "trivial":
        response_stream.write(TRIVIAL)
    elif op == "ticks":
        size, pause = event["size"], event["sleep_ms"] / 1000
        for i in range(event["n"]):
            if i:
                time.sleep(pause)
            line = f'{{"i":{i},"t":"{time.monotonic_ns()}"}}'
            response_stream.write(line.ljust(size - 1).encode() + b"\n")
    elif op == "tokens":
        pieces = [TEXT[:size] for size in event["sizes"]]
        for i in range(event["n"]):
            response_stream.write(pieces[i % len(pieces)])
    elif op == "big":
        block = b"x" * event["size"]
        for _ in range(event["n"]):
            response_stream.write(block)
    response_stream.end()

"""Handlers that misbehave on purpose, for tests/functional/emulator/test_abuse.py.

Parameters come from the event (an Invoke payload's keys or a Function URL's query string).
"""

import os
import sys
from typing import Any


def param(event: dict[str, Any], name: str, default: str = "") -> str:
    query = event.get("queryStringParameters") or {}
    return str(query.get(name, event.get(name, default)))


def flood_stdout(event: dict[str, Any], context: Any) -> str:
    """Write ``mib`` MiB to stdout without a single newline, then one short line."""
    piece = "x" * (1024 * 1024)
    for _ in range(int(param(event, "mib", "1"))):
        sys.stdout.write(piece)
    sys.stdout.write("\nafter the flood\n")
    sys.stdout.flush()
    return "flooded"


def hog_memory(event: dict[str, Any], context: Any) -> int:
    """Touch ``mb`` MB of memory, then return the pid."""
    block = bytearray(int(param(event, "mb", "1")) * 1024 * 1024)
    for index in range(0, len(block), 4096):
        block[index] = 1
    return os.getpid()


def echo_body(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The Function URL event's body fields, as the function received them."""
    return {"body": event.get("body"), "isBase64Encoded": event.get("isBase64Encoded")}


def ok(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"ok": True, "event": event}

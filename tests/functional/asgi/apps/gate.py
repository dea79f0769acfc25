"""A gate the tests open: the app waits until the test creates a file, so a chunk the client
holds before that moment can only have been streamed."""

import asyncio
import time
from pathlib import Path


async def wait_open(path: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not Path(path).exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"the test never opened the gate {path}")
        await asyncio.sleep(0.005)


def wait_open_sync(path: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not Path(path).exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"the test never opened the gate {path}")
        time.sleep(0.005)

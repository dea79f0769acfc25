"""Helpers: an app module from ./apps in the emulator (the real runtime/bootstrap behind a Function
URL), and an HTTP client that reads the answer as it arrives."""

from __future__ import annotations

import http.client
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

from emulator.config import FunctionConfig
from emulator.server import Emulator

APPS = Path(__file__).resolve().parent / "apps"


def start(handler: str, *, invoke_mode: str = "RESPONSE_STREAM", **env: str) -> Emulator:
    emulator = Emulator(
        FunctionConfig(handler=handler, code_dir=APPS, timeout=30, env=env),
        invoke_mode=invoke_mode,
        max_sandboxes=2,
    )
    emulator.start()
    return emulator


class Exchange:
    """One request; the response read piece by piece with the time each piece arrived."""

    def __init__(
        self,
        emulator: Emulator,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        url = urlsplit(emulator.function_url)
        self.connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
        self.connection.request(method, path, body=body, headers=headers or {})
        self.response = self.connection.getresponse()
        self.status = self.response.status
        self.headers = self.response.headers

    def pieces(self) -> Iterator[tuple[float, bytes]]:
        while piece := self.response.read1(65536):
            yield time.monotonic(), piece

    def read_until(self, expected: bytes) -> bytes:
        received = b""
        while expected not in received:
            piece = self.response.read1(65536)
            if not piece:
                raise AssertionError(f"the response ended before {expected!r}: {received!r}")
            received += piece
        return received

    def read_rest(self) -> tuple[bytes, bool]:
        """The rest of the body and whether it ended with its terminating chunk."""
        received = b""
        try:
            while piece := self.response.read1(65536):
                received += piece
        except http.client.IncompleteRead as cut:
            return received + cut.partial, False
        return received, True

    def close(self) -> None:
        self.connection.close()


def fetch(
    emulator: Emulator, method: str, path: str, body: bytes | None = None, **headers: str
) -> tuple[int, http.client.HTTPMessage, bytes, bool]:
    exchange = Exchange(emulator, method, path, body, headers)
    try:
        data, complete = exchange.read_rest()
        return exchange.status, exchange.headers, data, complete
    finally:
        exchange.close()

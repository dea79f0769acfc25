"""A fake Amazon Bedrock Runtime for offline runs: the real wire, deterministic answers.

It serves ``InvokeModel``, ``InvokeModelWithResponseStream``, ``Converse`` and
``ConverseStream`` on loopback with the paths, JSON shapes and AWS event-stream framing of the
real service, so the unmodified boto3 ``bedrock-runtime`` client works against it with only
``endpoint_url`` changed (any credentials). Answers are deterministic (Japanese for a Japanese
prompt), tokens can be paced, and failures can be injected (see ``answers.py``).

    python -m emulator.bedrock --port 4010 --token-delay 0.05

In tests::

    with FakeBedrock() as fake:
        client = boto3.client("bedrock-runtime", endpoint_url=fake.url, ...)
"""

import threading
from types import TracebackType
from typing import Any

from .server import BedrockServer


class FakeBedrock:
    """The fake Bedrock in a background thread; a context manager that stops it on exit."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        token_delay: float = 0.0,
        verbose: bool = False,
    ) -> None:
        self._server = BedrockServer((host, port), token_delay=token_delay, verbose=verbose)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def requests(self) -> list[dict[str, Any]]:
        """What was asked so far: operation, modelId, request body and the parsed plan."""
        return list(self._server.requests)

    @property
    def requests_seen(self) -> int:
        """How many requests arrived in all (``requests`` keeps only the newest)."""
        return self._server.requests_seen

    def release(self) -> None:
        """Let streams held by ``hold-after`` go on (and any later ones pass straight through)."""
        self._server.release_event.set()

    def hold(self) -> None:
        """Make later ``hold-after`` streams wait again for ``release()`` (the initial state)."""
        self._server.release_event.clear()

    def start(self) -> "FakeBedrock":
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.release()
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=10)
        self._server.server_close()

    def __enter__(self) -> "FakeBedrock":
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


__all__ = ["FakeBedrock"]

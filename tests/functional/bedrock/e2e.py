"""Helpers for the end-to-end tests: the demo handlers (lambda_src/) in the emulator, talking to
the fake Bedrock, driven over the Function URL (http.client) and the Invoke API (boto3)."""

import http.client
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from emulator.config import FunctionConfig
from emulator.server import Emulator

LAMBDA_SRC = Path(__file__).resolve().parents[3] / "lambda_src"
HANDLERS = ("buffered", "aggregated", "stream_text", "stream_sse", "stream_langchain")
STREAMING = ("stream_text", "stream_sse", "stream_langchain")
JA_ANSWER = "こんにちは!ローカルの疑似 Bedrock です。今日はどのようなお手伝いができますか?"


def url_mode(handler: str) -> str:
    """The Function URL invoke mode the demo stack gives each handler (as the article)."""
    return "RESPONSE_STREAM" if handler in STREAMING else "BUFFERED"


def start(handler: str, bedrock_url: str, *, timeout: float = 10.0, **env: str) -> Emulator:
    emulator = Emulator(
        FunctionConfig(
            handler=f"{handler}.handler",
            code_dir=LAMBDA_SRC,
            timeout=timeout,
            env={"BEDROCK_ENDPOINT_URL": bedrock_url, "BEDROCK_MAX_ATTEMPTS": "1", **env},
        ),
        invoke_mode=url_mode(handler),
        max_sandboxes=2,
    )
    emulator.start()
    return emulator


class UrlResponse:
    """A Function URL response read chunk by chunk, as ``curl -N`` does."""

    def __init__(
        self, emulator: Emulator, body: bytes | str, headers: dict[str, str], timeout: float = 30
    ) -> None:
        parts = urlsplit(emulator.function_url)
        self.connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
        raw = body.encode() if isinstance(body, str) else body
        self.connection.request("POST", "/", body=raw, headers=headers)
        self.response = self.connection.getresponse()
        self.status = self.response.status
        self.headers = {k.lower(): v for k, v in self.response.getheaders()}

    def read_until(self, expected: str) -> str:
        """Read what has arrived until the text so far contains ``expected``."""
        received = b""
        while expected.encode() not in received:
            piece = self.response.read1(65536)
            if not piece:
                raise AssertionError(f"stream ended before {expected!r}: {received!r}")
            received += piece
        return received.decode()

    def read_rest(self) -> tuple[bytes, bool]:
        """The rest of the body, and whether it ended properly (its terminating chunk)."""
        received = b""
        try:
            while piece := self.response.read1(65536):
                received += piece
        except http.client.IncompleteRead as cut:
            return received + cut.partial, False
        return received, True

    def close(self) -> None:
        self.connection.close()


def post(
    emulator: Emulator, body: bytes | str, **headers: str
) -> tuple[int, dict[str, str], bytes, bool]:
    """POST to the Function URL; (status, headers, body, ended properly)."""
    response = UrlResponse(emulator, body, {"content-type": "application/json", **headers})
    try:
        data, complete = response.read_rest()
        return response.status, response.headers, data, complete
    finally:
        response.close()


def prompt(text: str) -> str:
    return json.dumps({"prompt": text}, ensure_ascii=False)


def stream_events(client: Any, payload: Any) -> Iterator[dict[str, Any]]:
    response = client.invoke_with_response_stream(
        FunctionName="function", Payload=json.dumps(payload, ensure_ascii=False)
    )
    stream = response["EventStream"]
    try:
        yield from stream
    finally:
        stream.close()


def parse_sse(text: str) -> list[tuple[str, str]]:
    """(event type, data) per SSE event, as a browser's EventSource parses them."""
    events: list[tuple[str, str]] = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        if not block.strip():
            continue
        kind, data = "message", []
        for line in block.split("\n"):
            field, _, value = line.partition(":")
            if field == "event":
                kind = value.removeprefix(" ")
            elif field == "data":
                data.append(value.removeprefix(" "))
        if data:  # a block of only comments (": keep-alive") is no event, as in browsers
            events.append((kind, "\n".join(data)))
    return events

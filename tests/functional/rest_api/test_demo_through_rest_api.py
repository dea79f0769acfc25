"""All five demo functions (lambda_src/) behind the emulated REST API, as ``-c rest_api=true``
deploys them: the three streaming ones through a ``STREAM`` integration, which needs the
runtime's metadata prelude for REST events (the handlers write no HTTP metadata of their own),
the two buffered ones through the classic proxy integration. Real runtime, fake Bedrock.
"""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from emulator.bedrock import FakeBedrock
from emulator.config import FunctionConfig
from emulator.rest_api import BUFFERED, STREAM, RestApiEmulator
from tests.functional.bedrock.e2e import HANDLERS, JA_ANSWER, LAMBDA_SRC, STREAMING, parse_sse


@pytest.fixture(scope="module")
def bedrock() -> Iterator[FakeBedrock]:
    with FakeBedrock(token_delay=0.05) as fake:
        yield fake


def start(handler: str, bedrock: FakeBedrock) -> RestApiEmulator:
    door = RestApiEmulator(
        FunctionConfig(
            handler=f"{handler}.handler",
            code_dir=LAMBDA_SRC,
            timeout=20,
            env={"BEDROCK_ENDPOINT_URL": bedrock.url, "BEDROCK_MAX_ATTEMPTS": "1"},
        ),
        transfer_mode=STREAM if handler in STREAMING else BUFFERED,
        max_sandboxes=1,
    )
    door.start()
    return door


def post(door: RestApiEmulator, body: str) -> tuple[int, dict[str, str], list[tuple[float, bytes]]]:
    parts = urlsplit(door.url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    started = time.monotonic()
    connection.request(
        "POST",
        parts.path + "chat",
        body=body.encode(),
        headers={"content-type": "application/json"},
    )
    response = connection.getresponse()
    chunks = []
    while piece := response.read1(65536):
        chunks.append((time.monotonic() - started, piece))
    connection.close()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, chunks


@pytest.mark.parametrize("handler", HANDLERS)
def test_every_demo_function_answers_through_the_rest_api(
    handler: str, bedrock: FakeBedrock
) -> None:
    door = start(handler, bedrock)
    try:
        status, headers, chunks = post(door, json.dumps({"prompt": "こんにちは"}))
    finally:
        door.close()
    body = b"".join(piece for _, piece in chunks).decode()
    assert status == 200, body
    event = bedrock.requests[-1]
    assert "こんにちは" in json.dumps(event["body"], ensure_ascii=False)
    if handler == "stream_sse":
        assert headers["content-type"].startswith("text/event-stream")
        text = "".join(data for kind, data in parse_sse(body) if kind == "message")
        assert JA_ANSWER in text.replace('"', "") or JA_ANSWER in body
    elif handler in STREAMING:
        assert headers["content-type"].startswith("text/plain")
        assert body == JA_ANSWER
    else:
        assert JA_ANSWER in body
    if handler in STREAMING:  # tokens arrived over time, not in one piece at the end
        assert len(chunks) > 3 and chunks[-1][0] - chunks[0][0] > 0.2

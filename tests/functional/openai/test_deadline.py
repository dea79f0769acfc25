"""The OpenAI and AI SDK streams end with their protocol's in-band error a second before the
function's timeout, even while Bedrock is silent, instead of being cut by the timeout.

The fake Bedrock sends the first token, then is silent for 10 s ([[bedrock:silence=10]]); the
function's timeout is 3 s. Before the fix the client read the first token and then a connection
cut by ``Sandbox.Timedout`` (the openai SDK: ``APIConnectionError``/an incomplete read).
"""

import http.client
import json
import time
from collections.abc import Iterator

import openai
import pytest

from emulator.bedrock import FakeBedrock
from emulator.config import FunctionConfig
from emulator.server import Emulator
from tests.functional.bedrock.e2e import LAMBDA_SRC

TIMEOUT_S = 3.0
SILENT = "Hello [[bedrock:silence=10]]"
STOPPED = "stopped early: the function is about to reach its timeout"


@pytest.fixture(scope="module")
def short_function(bedrock: FakeBedrock) -> Iterator[Emulator]:
    emulator = Emulator(
        FunctionConfig(
            handler="openai_compat.handler",
            code_dir=LAMBDA_SRC,
            timeout=TIMEOUT_S,
            env={"BEDROCK_ENDPOINT_URL": bedrock.url, "BEDROCK_MAX_ATTEMPTS": "1"},
        ),
        invoke_mode="RESPONSE_STREAM",
    )
    emulator.start()
    yield emulator
    emulator.close()


def post(emulator: Emulator, path: str, body: object) -> tuple[int, bytes, bool, float]:
    """Status, body, whether the body ended properly (its last chunk), seconds taken."""
    began = time.monotonic()
    connection = http.client.HTTPConnection("127.0.0.1", emulator.port, timeout=30)
    try:
        connection.request("POST", path, json.dumps(body), {"content-type": "application/json"})
        response = connection.getresponse()
        try:
            return response.status, response.read(), True, time.monotonic() - began
        except http.client.IncompleteRead as cut:
            return response.status, cut.partial, False, time.monotonic() - began
    finally:
        connection.close()


def data_events(body: bytes) -> list[str]:
    return [
        line.removeprefix("data: ")
        for line in body.decode().split("\n")
        if line.startswith("data: ")
    ]


def test_the_openai_sdk_gets_the_error_event_before_the_timeout(short_function: Emulator) -> None:
    url = short_function.function_url.rstrip("/")
    began = time.monotonic()
    received = ""
    with openai.OpenAI(base_url=f"{url}/v1", api_key="x", max_retries=0, timeout=30) as client:
        stream = client.chat.completions.create(
            model="claude-haiku-4.5",
            messages=[{"role": "user", "content": SILENT}],
            stream=True,
        )
        with pytest.raises(openai.APIError) as raised:
            for chunk in stream:
                received += chunk.choices[0].delta.content or ""
    assert type(raised.value) is openai.APIError  # the in-band error, not a connection error
    assert raised.value.message == STOPPED
    assert raised.value.code == "timeout"
    assert received == "Hello!"  # the first token, before the silence
    assert time.monotonic() - began < TIMEOUT_S


def test_the_raw_openai_stream_ends_cleanly_with_the_error(short_function: Emulator) -> None:
    body = {
        "model": "claude-haiku-4.5",
        "stream": True,
        "messages": [{"role": "user", "content": SILENT}],
    }
    status, raw, complete, seconds = post(short_function, "/v1/chat/completions", body)
    assert (status, complete) == (200, True), raw
    events = data_events(raw)
    assert json.loads(events[-1]) == {
        "error": {"message": STOPPED, "type": "server_error", "param": None, "code": "timeout"}
    }
    assert "[DONE]" not in events
    assert seconds < TIMEOUT_S


def test_the_ai_sdk_stream_ends_with_an_error_part_before_the_timeout(
    short_function: Emulator,
) -> None:
    parts = [{"type": "text", "text": SILENT}]
    body = {"messages": [{"id": "u1", "role": "user", "parts": parts}]}
    status, raw, complete, seconds = post(short_function, "/api/chat", body)
    assert (status, complete) == (200, True), raw
    events = data_events(raw)
    assert json.loads(events[-1]) == {"type": "error", "errorText": STOPPED}
    assert any(json.loads(e).get("delta") == "Hello!" for e in events[:-1]), events
    assert seconds < TIMEOUT_S

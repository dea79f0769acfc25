"""The retry budget (``common.client_within``) in the handlers built on other libraries: the
OpenAI-compatible routes, LangChain and FastAPI. Throttled by the fake Bedrock, a function with
a 3 s timeout answers 429 at once instead of letting botocore's back-off (1 s, then 2 s) run
into the timeout; with 30 s it still retries."""

import http.client
import json
from collections.abc import Iterator

import pytest

from emulator.bedrock import FakeBedrock
from emulator.config import FunctionConfig
from emulator.server import Emulator
from tests.functional.bedrock.e2e import LAMBDA_SRC

THROTTLE = "hi [[bedrock:throttle]]"
MESSAGES = [{"role": "user", "content": THROTTLE}]
UI_MESSAGES = [{"id": "m1", "role": "user", "parts": [{"type": "text", "text": THROTTLE}]}]
# (handler, path, body, the error's place in the JSON answer)
ROUTES = {
    "langchain": ("stream_langchain", "/", {"prompt": THROTTLE}),
    "fastapi": ("fastapi_app", "/chat", {"prompt": THROTTLE}),
    "openai-stream": (
        "openai_compat",
        "/v1/chat/completions",
        {"model": "claude-haiku-4.5", "stream": True, "messages": MESSAGES},
    ),
    "openai": (
        "openai_compat",
        "/v1/chat/completions",
        {"model": "claude-haiku-4.5", "stream": False, "messages": MESSAGES},
    ),
    "aisdk": ("openai_compat", "/api/chat", {"messages": UI_MESSAGES}),
}


@pytest.fixture(scope="module")
def fake_bedrock() -> Iterator[FakeBedrock]:
    with FakeBedrock() as fake:
        yield fake


def start(handler: str, bedrock_url: str, timeout: float) -> Emulator:
    emulator = Emulator(
        FunctionConfig(
            handler=f"{handler}.handler",
            code_dir=LAMBDA_SRC,
            timeout=timeout,
            env={"BEDROCK_ENDPOINT_URL": bedrock_url, "BEDROCK_MAX_ATTEMPTS": "3"},
        ),
        invoke_mode="RESPONSE_STREAM",
        max_sandboxes=1,
    )
    emulator.start()
    return emulator


def post(emulator: Emulator, path: str, body: object) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", emulator.port, timeout=60)
    try:
        connection.request("POST", path, json.dumps(body), {"content-type": "application/json"})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def error_name(handler: str, body: bytes) -> str:
    document = json.loads(body)
    if handler == "openai_compat":  # an OpenAI error object
        return str(document["error"]["code"] or document["error"]["type"])
    return str(document["error"])


@pytest.mark.parametrize("route", list(ROUTES))
def test_a_3_second_function_answers_429_every_time(fake_bedrock: FakeBedrock, route: str) -> None:
    handler, path, body = ROUTES[route]
    emulator = start(handler, fake_bedrock.url, timeout=3.0)
    try:
        before = fake_bedrock.requests_seen
        answers = [post(emulator, path, body) for _ in range(3)]
    finally:
        emulator.close()
    for status, answer in answers:
        assert status == 429, answer
        assert "hrottl" in error_name(handler, answer) or b"hrottl" in answer, answer
    # One attempt each: no time for botocore's back-off within 3 s.
    assert fake_bedrock.requests_seen - before == 3


@pytest.mark.parametrize("route", ["langchain", "fastapi", "openai"])
def test_a_30_second_function_still_retries(fake_bedrock: FakeBedrock, route: str) -> None:
    handler, path, body = ROUTES[route]
    emulator = start(handler, fake_bedrock.url, timeout=30.0)
    try:
        before = fake_bedrock.requests_seen
        status, answer = post(emulator, path, body)
    finally:
        emulator.close()
    assert status == 429, answer
    assert fake_bedrock.requests_seen - before == 3  # BEDROCK_MAX_ATTEMPTS: it had the time

"""The demo's FastAPI app (lambda_src/fastapi_app.py) on the real runtime, talking to the fake
Bedrock: the chat streams token by token, the JSON route answers, bad input is a 400."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from emulator.bedrock import FakeBedrock
from emulator.config import FunctionConfig
from emulator.server import Emulator
from tests.functional.asgi.served import Exchange, fetch
from tests.functional.bedrock.e2e import JA_ANSWER, LAMBDA_SRC


@pytest.fixture(scope="module")
def demo() -> Iterator[Emulator]:
    with FakeBedrock() as bedrock:
        emulator = Emulator(
            FunctionConfig(
                handler="fastapi_app.handler",
                code_dir=LAMBDA_SRC,
                timeout=30,
                env={"BEDROCK_ENDPOINT_URL": bedrock.url, "BEDROCK_MAX_ATTEMPTS": "1"},
            ),
            invoke_mode="RESPONSE_STREAM",
        )
        emulator.start()
        yield emulator
        emulator.close()


def test_chat_streams_the_answer_in_several_pieces(demo: Emulator) -> None:
    body = json.dumps({"prompt": "こんにちは"}, ensure_ascii=False).encode()
    exchange = Exchange(demo, "POST", "/chat", body, {"Content-Type": "application/json"})
    try:
        assert exchange.status == 200
        assert exchange.headers["content-type"] == "text/plain; charset=utf-8"
        pieces = [piece for _, piece in exchange.pieces()]
    finally:
        exchange.close()
    assert b"".join(pieces).decode() == JA_ANSWER
    assert len(pieces) > 1  # token by token, not one buffered answer


def test_health_is_ordinary_json(demo: Emulator) -> None:
    status, headers, body, _ = fetch(demo, "GET", "/health")
    assert (status, headers["content-type"]) == (200, "application/json")
    assert json.loads(body)["status"] == "ok"


def test_an_empty_prompt_is_a_400_that_says_why(demo: Emulator) -> None:
    status, _, body, _ = fetch(
        demo, "POST", "/chat", b'{"prompt": "  "}', **{"Content-Type": "application/json"}
    )
    assert (status, json.loads(body)) == (
        400,
        {"error": "BadRequest", "message": "the prompt is empty"},
    )

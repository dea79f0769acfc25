"""``stream: false`` through the openai SDK: Converse's ``toolUse`` and ``reasoningContent``
blocks (from the fake Bedrock's ``[[bedrock:tool-use]]`` and ``[[bedrock:reasoning]]``) arrive
as ``message.tool_calls`` and ``message.reasoning_content`` of one ``chat.completion``."""

import json
from collections.abc import Iterator

import openai
import pytest

from emulator.bedrock import FakeBedrock
from emulator.bedrock.answers import REASONING
from tests.functional.openai.test_openai_sdk import ALIAS, ANSWER, WEATHER, user


@pytest.fixture
def client(url: str) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0) as client:
        yield client


def test_a_tool_call_not_streamed(client: openai.OpenAI, bedrock: FakeBedrock) -> None:
    completion = client.chat.completions.create(
        model=ALIAS, messages=user("[[bedrock:tool-use]] Weather in Tokyo?"), tools=[WEATHER]
    )
    assert bedrock.requests[-1]["operation"] == "Converse"
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content == "Let me look that up."
    (call,) = choice.message.tool_calls or []
    assert call.id == "tooluse_fake0001" and call.type == "function"
    assert call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == {"city": "Tokyo"}


def test_reasoning_not_streamed(client: openai.OpenAI, bedrock: FakeBedrock) -> None:
    completion = client.chat.completions.create(
        model=ALIAS, messages=user("Hello [[bedrock:reasoning]]")
    )
    assert bedrock.requests[-1]["operation"] == "Converse"
    message = completion.choices[0].message
    assert (message.model_extra or {}).get("reasoning_content") == REASONING
    assert message.content == ANSWER
    assert completion.choices[0].finish_reason == "stop"

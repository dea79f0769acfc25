"""LangChain's ``ChatOpenAI`` (langchain-openai) against the OpenAI-compatible demo, unchanged
but for ``base_url``: streamed text, a bound tool's call, and Bedrock's throttle."""

import time

import openai
import pytest
from langchain_core.messages import AIMessageChunk
from langchain_core.tools import tool
from langchain_openai import ChatOpenAI

from emulator.bedrock import FakeBedrock

ANSWER = "Hello! I am the local fake Bedrock. How can I help you today?"


def chat(url: str) -> ChatOpenAI:
    return ChatOpenAI(
        model="claude-haiku-4.5",
        base_url=f"{url}/v1",
        api_key="unused",  # type: ignore[arg-type]
        streaming=True,
        max_retries=0,
    )


@tool
def get_weather(city: str) -> str:
    """The weather in a city."""
    return "Sunny"


def test_stream_yields_the_answer_token_by_token(url: str, bedrock: FakeBedrock) -> None:
    arrivals = []
    for chunk in chat(url).stream("Hello [[bedrock:delay=0.03]]"):
        if chunk.content:
            arrivals.append((time.monotonic(), chunk.content))
    assert "".join(str(text) for _, text in arrivals) == ANSWER
    assert len(arrivals) == 13
    assert arrivals[-1][0] - arrivals[0][0] > 0.2  # 12 gaps of 30 ms, not one burst
    assert bedrock.requests[-1]["operation"] == "ConverseStream"


def test_invoke_with_streaming_on_gives_the_whole_answer(url: str) -> None:
    message = chat(url).invoke("Hello")
    assert message.content == ANSWER
    assert message.response_metadata["finish_reason"] == "stop"


def test_a_bound_tool_is_called(url: str) -> None:
    merged: AIMessageChunk | None = None
    for chunk in chat(url).bind_tools([get_weather]).stream("[[bedrock:tool-use]] Tokyo?"):
        assert isinstance(chunk, AIMessageChunk)
        merged = chunk if merged is None else merged + chunk
    assert merged is not None
    assert merged.tool_calls == [
        {
            "name": "get_weather",
            "args": {"city": "Tokyo"},
            "id": "tooluse_fake0001",
            "type": "tool_call",
        }
    ]


def test_a_throttle_is_the_openai_rate_limit_error(url: str) -> None:
    with pytest.raises(openai.RateLimitError):
        list(chat(url).stream("Hi [[bedrock:throttle]]"))

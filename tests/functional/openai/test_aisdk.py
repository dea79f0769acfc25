"""POST /api/chat read by the Vercel AI SDK's own client code (the ``ai`` npm package, run
with Node): ``DefaultChatTransport`` validates every part against the protocol's schema and
``readUIMessageStream`` rebuilds the message ``useChat`` would render."""

import json
import subprocess
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from emulator.bedrock import FakeBedrock
from emulator.bedrock.answers import REASONING

REPO = Path(__file__).resolve().parents[3]
NODE = REPO / "node_modules" / ".bin" / "node"
READER = Path(__file__).with_name("aisdk_reader.mjs")
ANSWER = "Hello! I am the local fake Bedrock. How can I help you today?"

pytestmark = pytest.mark.skipif(
    not (REPO / "node_modules" / "ai").is_dir(), reason="npm ci has not installed `ai`"
)


def read(url: str, text: str, **body: Any) -> dict[str, Any]:
    messages = [{"id": "u1", "role": "user", "parts": [{"type": "text", "text": text}]}]
    return read_messages(url, messages, **body)


def read_messages(url: str, messages: list[dict[str, Any]], **body: Any) -> dict[str, Any]:
    done = subprocess.run(
        [
            str(NODE),
            str(READER),
            f"{url}/api/chat",
            json.dumps({"messages": messages, "body": body}),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        cwd=READER.parent,
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_text_is_rebuilt_token_by_token(url: str, bedrock: FakeBedrock) -> None:
    result = read(url, "Hello [[bedrock:delay=0.03]]")
    assert result["errors"] == []
    message = result["message"]
    assert message["role"] == "assistant" and message["id"].startswith("msg-")
    assert [p["type"] for p in message["parts"]] == ["step-start", "text"]
    assert message["parts"][1]["text"] == ANSWER and message["parts"][1]["state"] == "done"
    types = [c["chunk"]["type"] for c in result["chunks"]]
    assert types == [
        "start",
        "start-step",
        "text-start",
        *["text-delta"] * 13,
        "text-end",
        "finish-step",
        "finish",
    ]
    deltas = [c for c in result["chunks"] if c["chunk"]["type"] == "text-delta"]
    assert deltas[-1]["at"] - deltas[0]["at"] > 200  # ms: 12 gaps of 30 ms, not one burst
    finish = result["chunks"][-1]["chunk"]
    assert finish["finishReason"] == "stop"
    assert finish["messageMetadata"]["usage"]["outputTokens"] == 13
    assert message["metadata"]["stopReason"] == "end_turn"
    assert bedrock.requests[-1]["body"]["messages"] == [
        {"role": "user", "content": [{"text": "Hello [[bedrock:delay=0.03]]"}]}
    ]


def test_reasoning_comes_before_the_text_as_its_own_part(url: str) -> None:
    result = read(url, "Hello [[bedrock:reasoning]]")
    assert result["errors"] == []
    parts = result["message"]["parts"]
    assert [p["type"] for p in parts] == ["step-start", "reasoning", "text"]
    assert parts[1]["text"] == REASONING and parts[1]["state"] == "done"
    # Bedrock's signature travels as provider metadata, as the AI SDK's Bedrock provider sends it.
    assert parts[1]["providerMetadata"]["bedrock"]["signature"]
    assert parts[2]["text"] == ANSWER


def test_a_tool_call_becomes_a_tool_part_with_its_input(url: str, bedrock: FakeBedrock) -> None:
    tools = [
        {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}
    ]
    result = read(url, "[[bedrock:tool-use]] Tokyo?", tools=tools)
    assert result["errors"] == []
    parts = result["message"]["parts"]
    assert [p["type"] for p in parts] == ["step-start", "text", "tool-get_weather"]
    tool = parts[2]
    assert tool["toolCallId"] == "tooluse_fake0001"
    assert tool["state"] == "input-available" and tool["input"] == {"city": "Tokyo"}
    types = [c["chunk"]["type"] for c in result["chunks"]]
    assert types.count("tool-input-delta") > 1  # the arguments streamed in fragments
    assert result["chunks"][-1]["chunk"]["finishReason"] == "tool-calls"
    assert (
        bedrock.requests[-1]["body"]["toolConfig"]["tools"][0]["toolSpec"]["name"] == "get_weather"
    )


def test_the_tool_output_goes_back_on_the_next_turn(url: str, bedrock: FakeBedrock) -> None:
    messages = [
        {"id": "u1", "role": "user", "parts": [{"type": "text", "text": "Weather?"}]},
        {
            "id": "a1",
            "role": "assistant",
            "parts": [
                {"type": "step-start"},
                {
                    "type": "tool-get_weather",
                    "toolCallId": "t1",
                    "state": "output-available",
                    "input": {"city": "Tokyo"},
                    "output": "Sunny",
                },
            ],
        },
        {"id": "u2", "role": "user", "parts": [{"type": "text", "text": "Thanks"}]},
    ]
    tools = [{"type": "function", "function": {"name": "get_weather"}}]
    result = read_messages(url, messages, tools=tools)
    assert result["errors"] == [] and result["message"]["parts"][1]["text"]
    assert bedrock.requests[-1]["body"]["messages"] == [
        {"role": "user", "content": [{"text": "Weather?"}]},
        {
            "role": "assistant",
            "content": [
                {"toolUse": {"toolUseId": "t1", "name": "get_weather", "input": {"city": "Tokyo"}}}
            ],
        },
        {
            "role": "user",
            "content": [
                {"toolResult": {"toolUseId": "t1", "content": [{"text": "Sunny"}]}},
                {"text": "Thanks"},
            ],
        },
    ]


def test_a_failure_mid_stream_is_an_error_part(url: str) -> None:
    result = read(url, "Hello [[bedrock:fail-after=3]]")
    assert len(result["errors"]) == 1 and "ModelStreamErrorException" in result["errors"][0]
    assert result["message"]["parts"][1]["text"] == "Hello! I am"
    assert result["chunks"][-1]["chunk"]["type"] == "error"


def test_a_throttle_before_the_stream_is_the_transports_http_error(url: str) -> None:
    result = read(url, "Hello [[bedrock:throttle]]")
    assert result["message"] is None and result["chunks"] == []
    assert "ThrottlingException" in result["errors"][0]


def test_keep_alives_during_a_silence_are_skipped_by_the_reader(function: Any) -> None:
    url = function(SSE_KEEP_ALIVE_SECONDS="0.3").function_url.rstrip("/")
    parts = [{"type": "text", "text": "Hello [[bedrock:silence=1.2]]"}]
    body = {"messages": [{"id": "u1", "role": "user", "parts": parts}]}
    request = urllib.request.Request(
        f"{url}/api/chat", json.dumps(body).encode(), {"content-type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        raw = response.read()
    assert raw.count(b": keep-alive\n\n") >= 3
    result = read(url, "Hello [[bedrock:silence=1.2]]")
    assert result["errors"] == [] and result["message"]["parts"][1]["text"] == ANSWER

"""OpenAI request bodies -> Converse arguments: every mapped field, every refusal's 400."""

import base64
from typing import Any

import pytest

from lambda_streaming.openai import REASONING_BUDGETS, OpenAIError, read_chat_request

CLAUDE = "us.anthropic.claude-haiku-4-5-20251001-v1:0"
MODELS = {"claude": CLAUDE, CLAUDE: CLAUDE, "nova": "amazon.nova-lite-v1:0"}


def read(**fields: Any) -> Any:
    body = {"model": "claude", "messages": [{"role": "user", "content": "Hi"}], **fields}
    return read_chat_request(body, models=MODELS, default_max_tokens=1000)


def refused(**fields: Any) -> OpenAIError:
    with pytest.raises(OpenAIError) as raised:
        read(**fields)
    return raised.value


def test_the_smallest_request() -> None:
    request = read()
    assert request.converse == {
        "modelId": CLAUDE,
        "messages": [{"role": "user", "content": [{"text": "Hi"}]}],
        "inferenceConfig": {"maxTokens": 1000},
    }
    assert (request.model, request.stream, request.include_usage) == ("claude", False, False)


def test_inference_fields() -> None:
    request = read(max_tokens=20, temperature=0.5, top_p=0.8, stop="END", stream=True)
    assert request.converse["inferenceConfig"] == {
        "maxTokens": 20,
        "temperature": 0.5,
        "topP": 0.8,
        "stopSequences": ["END"],
    }
    assert read(max_completion_tokens=7).converse["inferenceConfig"] == {"maxTokens": 7}
    assert read(max_tokens=7, max_completion_tokens=7).converse["inferenceConfig"]["maxTokens"] == 7
    assert read(stream=True, stream_options={"include_usage": True}).include_usage


@pytest.mark.parametrize(
    ("fields", "param"),
    [
        ({"max_tokens": 0}, "max_tokens"),
        ({"max_tokens": 5, "max_completion_tokens": 6}, "max_completion_tokens"),
        ({"temperature": 3}, "temperature"),
        ({"temperature": True}, "temperature"),
        ({"top_p": 1.5}, "top_p"),
        ({"stop": ["a", "b", "c", "d", "e"]}, "stop"),
        ({"stop": [""]}, "stop"),
        ({"stream": "yes"}, "stream"),
        ({"stream_options": {"include_usage": True}}, "stream_options"),
        (
            {"stream": True, "stream_options": {"include_obfuscation": True}},
            "stream_options.include_obfuscation",
        ),
        ({"n": 3}, "n"),
        ({"seed": 1}, "seed"),
        ({"logprobs": True}, "logprobs"),
        ({"top_logprobs": 2}, "top_logprobs"),
        ({"frequency_penalty": 1}, "frequency_penalty"),
        ({"response_format": {"type": "json_schema"}}, "response_format"),
        ({"functions": [{"name": "f"}]}, "functions"),
        ({"audio": {"voice": "x"}}, "audio"),
        ({"modalities": ["text", "audio"]}, "modalities"),
        ({"web_search_options": {}}, "web_search_options"),
        ({"metadata": {"a": "b"}}, "metadata"),
        ({"store": True}, "store"),
        ({"prediction": {"type": "content"}}, "prediction"),
        ({"service_tier": "flex"}, "service_tier"),
        ({"verbosity": "low"}, "verbosity"),
        ({"something_new": 1}, "something_new"),
        ({"reasoning_effort": "extreme"}, "reasoning_effort"),
        ({"model": "nova", "reasoning_effort": "low"}, "reasoning_effort"),
        ({"tool_choice": "auto"}, "tool_choice"),
    ],
)
def test_what_cannot_be_mapped_is_a_400_naming_it(fields: dict[str, Any], param: str) -> None:
    error = refused(**fields)
    assert (error.status, error.param, error.type) == (400, param, "invalid_request_error")
    assert param.rsplit(".", maxsplit=1)[-1] in error.message


def test_defaults_that_bedrock_honours_anyway_are_accepted() -> None:
    read(n=1, parallel_tool_calls=True, logprobs=False, presence_penalty=0, store=False)
    read(response_format={"type": "text"}, modalities=["text"], service_tier="auto", user=None)


def test_an_unknown_model_is_a_404_listing_the_served_ones() -> None:
    error = refused(model="gpt-4o")
    assert (error.status, error.code, error.param) == (404, "model_not_found", "model")
    assert "claude" in error.message
    assert refused(model=None).status == 400


def test_reasoning_effort_is_claudes_thinking_budget() -> None:
    for effort, budget in REASONING_BUDGETS.items():
        extra = read(reasoning_effort=effort).converse["additionalModelRequestFields"]
        assert extra == {"thinking": {"type": "enabled", "budget_tokens": budget}}


WEATHER = {"type": "function", "function": {"name": "w", "parameters": {"type": "object"}}}


@pytest.mark.parametrize(
    ("choice", "converse"),
    [
        (None, None),
        ("auto", None),
        ("required", {"any": {}}),
        ({"type": "function", "function": {"name": "w"}}, {"tool": {"name": "w"}}),
    ],
)
def test_tools_and_tool_choice(choice: Any, converse: Any) -> None:
    config = read(tools=[WEATHER], tool_choice=choice).converse["toolConfig"]
    assert config["tools"] == [
        {"toolSpec": {"name": "w", "inputSchema": {"json": {"type": "object"}}}}
    ]
    assert config.get("toolChoice") == converse


def test_tool_choice_none_leaves_the_tools_out_unless_the_history_uses_them() -> None:
    assert "toolConfig" not in read(tools=[WEATHER], tool_choice="none").converse
    call = {"id": "c1", "type": "function", "function": {"name": "w", "arguments": "{}"}}
    messages = [
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "c1", "content": "ok"},
    ]
    assert refused(tools=[WEATHER], tool_choice="none", messages=messages).param == "tool_choice"


@pytest.mark.parametrize(
    ("tool", "param"),
    [
        (
            {"type": "function", "function": {"name": "w", "strict": True}},
            "tools[0].function.strict",
        ),
        ({"type": "custom", "custom": {"name": "w"}}, "tools[0]"),
        ({"type": "function", "function": {"description": "no name"}}, "tools[0].function.name"),
    ],
)
def test_tools_bedrock_cannot_declare_are_refused(tool: Any, param: str) -> None:
    assert refused(tools=[tool]).param == param


def test_every_role_and_part() -> None:
    png = base64.b64encode(b"png-bytes").decode()
    call = {"id": "c1", "type": "function", "function": {"name": "w", "arguments": '{"a": 1}'}}
    messages = [
        {"role": "system", "content": "S1"},
        {"role": "developer", "content": [{"type": "text", "text": "S2"}]},
        {"role": "user", "content": "one"},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "two"},
                {
                    "type": "image_url",
                    "image_url": {"url": f"data:image/jpeg;base64,{png}", "detail": "auto"},
                },
            ],
        },
        {"role": "assistant", "content": "thinking", "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "c1", "content": [{"type": "text", "text": "result"}]},
        {"role": "user", "content": "thanks"},
    ]
    converse = read(messages=messages).converse
    assert converse["system"] == [{"text": "S1"}, {"text": "S2"}]
    assert converse["messages"] == [
        {
            "role": "user",
            "content": [
                {"text": "one"},
                {"text": "two"},
                {"image": {"format": "jpeg", "source": {"bytes": b"png-bytes"}}},
            ],
        },
        {
            "role": "assistant",
            "content": [
                {"text": "thinking"},
                {"toolUse": {"toolUseId": "c1", "name": "w", "input": {"a": 1}}},
            ],
        },
        {
            "role": "user",
            "content": [
                {"toolResult": {"toolUseId": "c1", "content": [{"text": "result"}]}},
                {"text": "thanks"},
            ],
        },
    ]


@pytest.mark.parametrize(
    ("message", "param"),
    [
        ({"role": "function", "name": "f", "content": "x"}, "messages[0].role"),
        ({"role": "user", "content": "x", "name": "bob"}, "messages[0].name"),
        ({"role": "user", "content": ""}, "messages[0].content"),
        (
            {"role": "user", "content": [{"type": "input_audio", "input_audio": {}}]},
            "messages[0].content[0].type",
        ),
        (
            {"role": "user", "content": [{"type": "file", "file": {}}]},
            "messages[0].content[0].type",
        ),
        (
            {
                "role": "user",
                "content": [
                    {
                        "type": "image_url",
                        "image_url": {"url": "data:image/png;base64,AAAA", "detail": "high"},
                    }
                ],
            },
            "messages[0].content[0].image_url.detail",
        ),
        (
            {
                "role": "user",
                "content": [
                    {"type": "image_url", "image_url": {"url": "data:image/bmp;base64,AAAA"}}
                ],
            },
            "messages[0].content[0].image_url.url",
        ),
        (
            {
                "role": "user",
                "content": [
                    {"type": "image_url", "image_url": {"url": "data:image/png;base64,!!"}}
                ],
            },
            "messages[0].content[0].image_url.url",
        ),
        ({"role": "assistant", "content": "x", "refusal": "no"}, "messages[0].refusal"),
        ({"role": "assistant", "content": None}, "messages[0].content"),
        (
            {
                "role": "assistant",
                "tool_calls": [{"id": "c", "function": {"name": "w", "arguments": "[1]"}}],
            },
            "messages[0].tool_calls[0].function.arguments",
        ),
        ({"role": "tool", "content": "x"}, "messages[0].tool_call_id"),
        ({"role": "system", "content": [{"type": "image_url"}]}, "messages[0].content[0]"),
    ],
)
def test_messages_bedrock_cannot_take_are_refused(message: dict[str, Any], param: str) -> None:
    assert refused(messages=[message]).param == param


def test_only_system_messages_is_refused() -> None:
    assert refused(messages=[{"role": "system", "content": "x"}]).param == "messages"
    assert refused(messages=[]).param == "messages"

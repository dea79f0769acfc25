"""The official ``openai`` package against the OpenAI-compatible demo, through the emulator's
Function URL (RESPONSE_STREAM) and the fake Bedrock: what the SDK's own parsing makes of our
bytes, and what reached Bedrock."""

import base64
import itertools
import json
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import openai
import pytest

from emulator.bedrock import FakeBedrock
from emulator.bedrock.answers import REASONING
from tests.functional.bedrock.e2e import LAMBDA_SRC

ANSWER = "Hello! I am the local fake Bedrock. How can I help you today?"
ALIAS = "claude-haiku-4.5"
DEFAULTS = json.loads((LAMBDA_SRC / "demo_settings.json").read_text())
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The weather in a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}


@pytest.fixture(scope="module")
def client(url: str) -> Iterator[openai.OpenAI]:
    # max_retries=0: a 429 must reach the test, not be retried by the SDK.
    with openai.OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0) as client:
        yield client


def user(text: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": text}]


def test_stream_arrives_token_by_token(client: openai.OpenAI, bedrock: FakeBedrock) -> None:
    arrivals: list[tuple[float, str]] = []
    chunks = []
    stream = client.chat.completions.create(
        model=ALIAS, messages=user("Hello [[bedrock:delay=0.03]]"), stream=True
    )
    for chunk in stream:
        chunks.append(chunk)
        if chunk.choices and chunk.choices[0].delta.content:
            arrivals.append((time.monotonic(), chunk.choices[0].delta.content))
    assert "".join(text for _, text in arrivals) == ANSWER
    assert len(arrivals) == 13  # one chunk per token of the fake's answer
    # 30 ms between Bedrock's tokens: the chunks arrive spread out, not in one burst.
    gaps = [b - a for (a, _), (b, _) in itertools.pairwise(arrivals)]
    assert sum(gap > 0.015 for gap in gaps) >= len(gaps) - 2, gaps
    assert chunks[0].choices[0].delta.role == "assistant"
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert {c.id for c in chunks} == {chunks[0].id} and chunks[0].id.startswith("chatcmpl-")
    assert {c.model for c in chunks} == {ALIAS}
    assert {c.object for c in chunks} == {"chat.completion.chunk"}
    sent = bedrock.requests[-1]
    assert sent["operation"] == "ConverseStream"
    assert sent["modelId"] == DEFAULTS["model_id"]  # the alias, resolved
    assert sent["body"]["inferenceConfig"] == {"maxTokens": DEFAULTS["max_tokens"]}


def test_not_streamed_is_the_same_text_from_converse(
    client: openai.OpenAI, bedrock: FakeBedrock
) -> None:
    completion = client.chat.completions.create(model=ALIAS, messages=user("Hello"))
    assert bedrock.requests[-1]["operation"] == "Converse"
    choice = completion.choices[0]
    assert choice.message.content == ANSWER
    assert choice.message.role == "assistant" and choice.finish_reason == "stop"
    assert completion.object == "chat.completion" and completion.model == ALIAS
    assert completion.usage is not None
    assert completion.usage.completion_tokens == 13
    assert completion.usage.total_tokens == completion.usage.prompt_tokens + 13


def test_a_tool_call_is_assembled_by_the_sdk(client: openai.OpenAI, bedrock: FakeBedrock) -> None:
    deltas = []
    with client.chat.completions.stream(
        model=ALIAS, messages=user("[[bedrock:tool-use]] Weather in Tokyo?"), tools=[WEATHER]
    ) as stream:
        for event in stream:
            if event.type == "chunk" and event.chunk.choices:
                deltas.extend(event.chunk.choices[0].delta.tool_calls or [])
        final = stream.get_final_completion()
    choice = final.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content == "Let me look that up."
    (call,) = choice.message.tool_calls or []
    assert call.id == "tooluse_fake0001" and call.type == "function"
    assert call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == {"city": "Tokyo"}
    # As OpenAI streams them: id and name once, then the arguments in fragments, index 0 each
    # (the text before it was Bedrock's block 0, so the index is counted per tool call).
    assert deltas[0].id == "tooluse_fake0001" and deltas[0].function.name == "get_weather"
    assert len(deltas) > 2 and {d.index for d in deltas} == {0}
    assert all(d.id is None for d in deltas[1:])
    tool = bedrock.requests[-1]["body"]["toolConfig"]["tools"][0]["toolSpec"]
    assert tool == {
        "name": "get_weather",
        "description": "The weather in a city",
        "inputSchema": {"json": WEATHER["function"]["parameters"]},
    }


def test_a_tool_result_goes_back_to_bedrock_as_converse_blocks(
    client: openai.OpenAI, bedrock: FakeBedrock
) -> None:
    call = {
        "id": "tooluse_1",
        "type": "function",
        "function": {"name": "get_weather", "arguments": '{"city": "Tokyo"}'},
    }
    completion = client.chat.completions.create(
        model=ALIAS,
        tools=[WEATHER],
        tool_choice="required",
        messages=[
            {"role": "system", "content": "Be brief."},
            {"role": "developer", "content": "Use tools."},
            {"role": "user", "content": "Weather in Tokyo?"},
            {"role": "assistant", "content": None, "tool_calls": [call]},
            {"role": "tool", "tool_call_id": "tooluse_1", "content": "Sunny, 25 C"},
        ],
    )
    assert completion.choices[0].message.content
    body = bedrock.requests[-1]["body"]
    assert body["system"] == [{"text": "Be brief."}, {"text": "Use tools."}]
    assert body["toolConfig"]["toolChoice"] == {"any": {}}
    assert body["messages"] == [
        {"role": "user", "content": [{"text": "Weather in Tokyo?"}]},
        {
            "role": "assistant",
            "content": [
                {
                    "toolUse": {
                        "toolUseId": "tooluse_1",
                        "name": "get_weather",
                        "input": {"city": "Tokyo"},
                    }
                }
            ],
        },
        {
            "role": "user",
            "content": [
                {"toolResult": {"toolUseId": "tooluse_1", "content": [{"text": "Sunny, 25 C"}]}}
            ],
        },
    ]


def test_include_usage_adds_a_usage_chunk(client: openai.OpenAI) -> None:
    chunks = list(
        client.chat.completions.create(
            model=ALIAS,
            messages=user("Hello"),
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    *answer, last = chunks
    assert last.choices == [] and last.usage is not None
    assert last.usage.completion_tokens == 13
    assert last.usage.total_tokens == last.usage.prompt_tokens + 13 > 13
    assert all(chunk.usage is None for chunk in answer)
    without = list(client.chat.completions.create(model=ALIAS, messages=user("Hi"), stream=True))
    assert all(chunk.choices and chunk.usage is None for chunk in without)


@pytest.mark.parametrize("stream", [True, False])
@pytest.mark.parametrize(
    ("fault", "exception", "status"),
    [
        ("throttle", openai.RateLimitError, 429),
        ("unavailable", openai.InternalServerError, 503),
        ("denied", openai.PermissionDeniedError, 403),
        ("invalid", openai.BadRequestError, 400),
        ("internal", openai.InternalServerError, 500),
    ],
)
def test_bedrock_refusing_is_the_sdks_exception(
    client: openai.OpenAI,
    fault: str,
    exception: type[openai.APIStatusError],
    status: int,
    stream: bool,
) -> None:
    with pytest.raises(exception) as raised:
        client.chat.completions.create(
            model=ALIAS, messages=user(f"Hi [[bedrock:{fault}]]"), stream=stream
        )
    assert raised.value.status_code == status
    assert isinstance(raised.value.body, dict) and raised.value.body["message"].startswith(
        "Bedrock "
    )
    if status in (429, 503):
        assert raised.value.response.headers["retry-after"] == "1"


def test_a_throttle_inside_the_stream_before_any_token_is_still_a_429(
    client: openai.OpenAI,
) -> None:
    # The first event is read before the status goes out: Bedrock's in-stream exception at
    # once becomes the HTTP status, not a 200 stream with an error in it.
    with pytest.raises(openai.RateLimitError):
        client.chat.completions.create(
            model=ALIAS,
            messages=user("Hi [[bedrock:fail-after=0:throttlingException]]"),
            stream=True,
        )


def test_a_failure_mid_stream_raises_from_the_iterator(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(
        model=ALIAS, messages=user("Hello [[bedrock:fail-after=3]]"), stream=True
    )
    received = []
    with pytest.raises(openai.APIError) as raised:
        for chunk in stream:
            received.append(chunk.choices[0].delta.content or "")
    assert "".join(received) == "Hello! I am"  # the three tokens before the failure
    assert not isinstance(raised.value, openai.APIStatusError)  # the 200 was sent already
    assert "ModelStreamErrorException" in raised.value.message
    assert isinstance(raised.value.body, dict) and raised.value.body["type"] == "server_error"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("seed", 7),
        ("n", 2),
        ("logit_bias", {"50256": -100}),
        ("response_format", {"type": "json_object"}),
        ("presence_penalty", 0.5),
        ("parallel_tool_calls", False),
        ("user", "someone"),
    ],
)
def test_a_field_bedrock_cannot_honour_is_a_400_naming_it(
    client: openai.OpenAI, bedrock: FakeBedrock, field: str, value: object
) -> None:
    before = bedrock.requests_seen
    with pytest.raises(openai.BadRequestError) as raised:
        client.chat.completions.create(model=ALIAS, messages=user("Hi"), extra_body={field: value})
    assert raised.value.param == field
    assert raised.value.type == "invalid_request_error"
    assert field in raised.value.message
    assert bedrock.requests_seen == before  # refused before Bedrock is called


def test_an_unknown_model_is_a_404(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as raised:
        client.chat.completions.create(model="gpt-4o", messages=user("Hi"))
    assert raised.value.code == "model_not_found" and "claude-haiku-4.5" in raised.value.message


def test_models_lists_the_configured_model_and_its_alias(client: openai.OpenAI) -> None:
    assert sorted(model.id for model in client.models.list()) == sorted(
        [ALIAS, DEFAULTS["model_id"]]
    )
    assert client.models.retrieve(ALIAS).owned_by == "amazon-bedrock"
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("gpt-4o")


def test_reasoning_effort_streams_reasoning_content(
    client: openai.OpenAI, bedrock: FakeBedrock
) -> None:
    reasoning, content = [], []
    for chunk in client.chat.completions.create(
        model=ALIAS,
        messages=user("Hello"),
        stream=True,
        reasoning_effort="low",
        max_completion_tokens=2000,
    ):
        delta = chunk.choices[0].delta
        reasoning.append((delta.model_extra or {}).get("reasoning_content") or "")
        content.append(delta.content or "")
    assert "".join(reasoning) == REASONING and "".join(content) == ANSWER
    body = bedrock.requests[-1]["body"]
    assert body["additionalModelRequestFields"] == {
        "thinking": {"type": "enabled", "budget_tokens": 1024}
    }
    assert body["inferenceConfig"] == {"maxTokens": 2000}


@pytest.mark.parametrize(
    ("prompt", "options", "finish"),
    [
        ("Hello", {"max_tokens": 3}, "length"),
        ("Hello [[bedrock:guardrail]]", {}, "content_filter"),
    ],
)
def test_finish_reasons(
    client: openai.OpenAI, prompt: str, options: dict[str, int], finish: str
) -> None:
    chunks = list(
        client.chat.completions.create(model=ALIAS, messages=user(prompt), stream=True, **options)  # type: ignore[call-overload]
    )
    assert chunks[-1].choices[0].finish_reason == finish


def test_sampling_fields_and_images_reach_bedrock(
    client: openai.OpenAI, bedrock: FakeBedrock
) -> None:
    png = b"\x89PNG\r\n\x1a\n fake image bytes"
    image = {"url": "data:image/png;base64," + base64.b64encode(png).decode()}
    client.chat.completions.create(
        model=ALIAS,
        temperature=0.2,
        top_p=0.9,
        stop=["\n\n", "END"],
        max_completion_tokens=50,
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "What is this?"},
                    {"type": "image_url", "image_url": image},
                ],
            }
        ],
    )
    body = bedrock.requests[-1]["body"]
    assert body["inferenceConfig"] == {
        "maxTokens": 50,
        "temperature": 0.2,
        "topP": 0.9,
        "stopSequences": ["\n\n", "END"],
    }
    text, picture = body["messages"][0]["content"]
    assert text == {"text": "What is this?"}
    # boto3 sends blob fields base64-encoded in Converse's JSON.
    assert picture == {
        "image": {"format": "png", "source": {"bytes": base64.b64encode(png).decode()}}
    }


def test_an_image_url_to_fetch_is_refused(client: openai.OpenAI) -> None:
    part = {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}}
    with pytest.raises(openai.BadRequestError) as raised:
        client.chat.completions.create(
            model=ALIAS,
            messages=[{"role": "user", "content": [part]}],  # type: ignore[list-item]
        )
    assert raised.value.param == "messages[0].content[0].image_url.url"
    assert "data URL" in raised.value.message


def test_keep_alives_while_bedrock_is_silent_are_skipped_by_the_sdk(function: Any) -> None:
    # A quiet model (here 1.2 s after the first token) gets ": keep-alive" comments every
    # 0.3 s, which proxies count as traffic; the SDK reads the same answer around them.
    url = function(SSE_KEEP_ALIVE_SECONDS="0.3").function_url.rstrip("/")
    request = {
        "model": ALIAS,
        "stream": True,
        "messages": user("Hello [[bedrock:silence=1.2]]"),
    }
    raw = urllib.request.urlopen(  # loopback
        urllib.request.Request(
            f"{url}/v1/chat/completions",
            data=json.dumps(request).encode(),
            headers={"content-type": "application/json"},
        ),
        timeout=30,
    ).read()
    assert raw.count(b": keep-alive\n\n") >= 3
    assert raw.index(b": keep-alive") > raw.index(b'"content":"Hello!"')  # during the silence
    with openai.OpenAI(base_url=f"{url}/v1", api_key="x", max_retries=0) as client:
        stream = client.chat.completions.create(
            model=ALIAS, messages=user("Hello [[bedrock:silence=1.2]]"), stream=True
        )
        assert "".join(c.choices[0].delta.content or "" for c in stream) == ANSWER

"""Every shape the typed events read, spoken by the fake Bedrock on the real wire, read by boto3.

botocore parses the event stream (and, for ConverseStream, checks it against the service
model); ``converse_events``/``invoke_events`` read what botocore yields. The recorded shapes
each family's chunks are compared to are in ``tests/unit/bedrock/recorded.py`` (with the
Bedrock pages they come from).
"""

import itertools
import json
import time
from typing import Any

import pytest

from lambda_streaming.bedrock import (
    BlockStop,
    Citation,
    GuardrailTrace,
    MessageStop,
    Metadata,
    ReasoningDelta,
    TextDelta,
    ToolUseStart,
    ToolUseStop,
    Usage,
    converse_events,
    invoke_events,
    invoke_text,
)
from tests.functional.bedrock.test_fake_bedrock import SERVICE, assert_matches_shape
from tests.unit.bedrock import recorded

HAIKU = "us.anthropic.claude-haiku-4-5-20251001-v1:0"
ANSWER = "Hello! I am the local fake Bedrock. How can I help you today?"

# model id -> (native request body for "hi", recorded chunks of the same family)
FAMILIES: dict[str, tuple[dict[str, Any], list[str]]] = {
    HAIKU: (
        {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 99,
         "messages": [{"role": "user", "content": "{}"}]},
        recorded.INVOKE_ANTHROPIC,
    ),
    "us.amazon.nova-lite-v1:0": (
        {"messages": [{"role": "user", "content": [{"text": "{}"}]}]}, recorded.INVOKE_NOVA
    ),
    "meta.llama3-8b-instruct-v1:0": ({"prompt": "{}"}, recorded.INVOKE_LLAMA),
    "mistral.mistral-7b-instruct-v0:2": (
        {"prompt": "<s>[INST] {} [/INST]", "max_tokens": 99}, recorded.INVOKE_MISTRAL_TEXT
    ),
    "us.deepseek.r1-v1:0": (
        {"prompt": "<\uff5cbegin\u2581of\u2581sentence\uff5c><\uff5cUser\uff5c>{}"
                   "<\uff5cAssistant\uff5c><think>\n", "max_tokens": 99},
        recorded.INVOKE_DEEPSEEK_R1,
    ),
    "openai.gpt-oss-20b-1:0": (
        {"messages": [{"role": "user", "content": "{}"}], "max_completion_tokens": 99},
        recorded.INVOKE_GPT_OSS,
    ),
    "cohere.command-r-v1:0": (
        {"message": "{}", "max_tokens": 99}, recorded.INVOKE_COHERE_COMMAND_R
    ),
    "amazon.titan-text-express-v1": (
        {"inputText": "User: {}\nBot:", "textGenerationConfig": {"maxTokenCount": 99}},
        recorded.INVOKE_TITAN,
    ),
}  # fmt: skip


def body(model_id: str, prompt: str) -> str:
    return json.dumps(FAMILIES[model_id][0]).replace("{}", prompt)


def outline(chunk: dict[str, Any]) -> set[str]:
    """The chunk's top-level keys, without what Bedrock itself adds."""
    return {key for key in chunk if not key.startswith("amazon-bedrock-")}


@pytest.mark.parametrize("model_id", FAMILIES)
def test_each_familys_invoke_chunks_have_its_documented_shape_and_read_as_events(
    client: Any, model_id: str
) -> None:
    response = client.invoke_model_with_response_stream(modelId=model_id, body=body(model_id, "hi"))
    raw = list(response["body"])
    sent = [json.loads(event["chunk"]["bytes"]) for event in raw]
    documented = [outline(json.loads(chunk)) for chunk in FAMILIES[model_id][1]]
    assert all(outline(chunk) in documented for chunk in sent), (sent, documented)
    assert "amazon-bedrock-invocationMetrics" in sent[-1]
    events = list(invoke_events({"body": raw}))
    answer = "".join(e.text for e in events if isinstance(e, TextDelta))
    assert answer.strip() == ANSWER
    stop = [e for e in events if isinstance(e, MessageStop)]
    assert [s.reason for s in stop] == ["end_turn"]
    assert isinstance(events[-1], Metadata) and events[-1].usage is not None
    assert events[-1].usage.output_tokens is not None and events[-1].usage.output_tokens > 0
    if model_id == "us.deepseek.r1-v1:0":  # R1 always reasons first, up to </think>
        assert any(isinstance(e, ReasoningDelta) and e.text for e in events)


@pytest.mark.parametrize("model_id", [HAIKU, "openai.gpt-oss-20b-1:0", "us.deepseek.r1-v1:0"])
def test_reasoning_then_text_on_invoke_never_mixes_reasoning_into_the_answer(
    client: Any, model_id: str
) -> None:
    response = client.invoke_model_with_response_stream(
        modelId=model_id, body=body(model_id, "hi [[bedrock:reasoning]]")
    )
    events = list(invoke_events({"body": response["body"]}))
    thought = "".join(e.text for e in events if isinstance(e, ReasoningDelta))
    answer = "".join(e.text for e in events if isinstance(e, TextDelta))
    assert thought.strip() == "The user asks something simple. A short, friendly answer fits."
    assert answer.strip() == ANSWER
    first_text = next(i for i, e in enumerate(events) if isinstance(e, TextDelta))
    assert all(i < first_text for i, e in enumerate(events) if isinstance(e, ReasoningDelta))


def test_converse_reasoning_tool_use_citation_guardrail_and_cache_match_the_service_model(
    client: Any,
) -> None:
    output = SERVICE.operation_model("ConverseStream").output_shape.members["stream"]
    tools = {"tools": [{"toolSpec": {"name": "lookup", "inputSchema": {"json": {}}}}]}
    for marker in ("reasoning", "tool-use", "citations", "guardrail", "cache"):
        response = client.converse_stream(
            modelId=HAIKU,
            messages=[{"role": "user", "content": [{"text": f"hi [[bedrock:{marker}]]"}]}],
            toolConfig=tools,
        )
        raw = list(response["stream"])
        for event in raw:
            assert_matches_shape(event, output)
        events = list(converse_events({"stream": raw}))
        stop = next(e for e in events if isinstance(e, MessageStop))
        if marker == "reasoning":
            assert isinstance(events[1], ReasoningDelta) and events[1].index == 0
            assert any(isinstance(e, ReasoningDelta) and e.signature for e in events)
            assert BlockStop("reasoning", 0) in events
        elif marker == "tool-use":
            assert ToolUseStart("tooluse_fake0001", "lookup", 1) in events
            tool = next(e for e in events if isinstance(e, ToolUseStop))
            assert tool.input == {"city": "Tokyo"}
            assert stop.reason == "tool_use"
        elif marker == "citations":
            citation = next(e for e in events if isinstance(e, Citation))
            assert citation.title == "fake-handbook.pdf"
        elif marker == "guardrail":
            assert stop.reason == "guardrail_intervened"
            assert next(e for e in events if isinstance(e, GuardrailTrace)).intervened
        else:
            usage = next(e for e in events if isinstance(e, Metadata)).usage
            assert usage is not None and usage.cache_read_input_tokens == 1024


@pytest.mark.parametrize("marker", ["tool-use", "guardrail", "citations", "cache"])
def test_anthropic_invoke_speaks_the_same_turns(client: Any, marker: str) -> None:
    response = client.invoke_model_with_response_stream(
        modelId=HAIKU, body=body(HAIKU, f"hi [[bedrock:{marker}]]")
    )
    text = invoke_text({"body": response["body"]})
    answer = text.read()
    if marker == "tool-use":
        assert text.stop_reason == "tool_use"
        assert [(t.name, t.input) for t in text.tool_uses] == [("get_weather", {"city": "Tokyo"})]
    elif marker == "guardrail":
        assert answer == "Sorry, the model cannot answer this question."
        assert text.stop_reason == "guardrail_intervened"
        assert text.guardrail is not None and text.guardrail.intervened
    elif marker == "cache":
        assert text.usage is not None and text.usage.cache_read_input_tokens == 1024
    else:
        assert answer == ANSWER
        assert text.usage is not None
        assert text.usage == Usage(text.usage.input_tokens, text.usage.output_tokens, None, None)


def test_a_long_silence_after_the_first_token(client: Any) -> None:
    response = client.converse_stream(
        modelId=HAIKU,
        messages=[{"role": "user", "content": [{"text": "hi [[bedrock:silence=0.4]]"}]}],
    )
    arrivals = []
    for event in converse_events(response):
        if isinstance(event, TextDelta):
            arrivals.append(time.monotonic())
    gaps = [b - a for a, b in itertools.pairwise(arrivals)]
    assert gaps[0] >= 0.35  # the silence, between the first and second token

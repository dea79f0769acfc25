"""Typed events from every family's recorded chunk shapes, through both paths (events, text).

The shapes and the pages they come from are in ``recorded.py`` (each constant's family page).
"""

import json
from collections.abc import Iterable
from typing import Any

import pytest

from lambda_streaming.bedrock import (
    BedrockEvent,
    BlockStop,
    Citation,
    GuardrailTrace,
    MessageStart,
    MessageStop,
    Metadata,
    ReasoningDelta,
    TextDelta,
    ToolUseDelta,
    ToolUseStart,
    ToolUseStop,
    UnknownShapeError,
    Usage,
    converse_events,
    converse_text,
    invoke_events,
    invoke_text,
)

from . import recorded


def invoke(chunks: list[str]) -> list[BedrockEvent]:
    return list(invoke_events({"body": recorded.invoke_events(chunks)}))


def texts(events: Iterable[BedrockEvent]) -> str:
    return "".join(e.text for e in events if isinstance(e, TextDelta))


def reasoning(events: Iterable[BedrockEvent]) -> str:
    return "".join(e.text for e in events if isinstance(e, ReasoningDelta))


def one(events: list[BedrockEvent], kind: type[Any]) -> Any:
    found = [e for e in events if isinstance(e, kind)]
    assert len(found) == 1, found
    return found[0]


# (chunks, answer text, reasoning text, stop reason, the model's word, usage)
FAMILIES = [
    pytest.param(
        recorded.INVOKE_ANTHROPIC, "こんにちは!", "", "end_turn", "end_turn", Usage(12, 9),
        id="anthropic",
    ),
    pytest.param(
        recorded.INVOKE_ANTHROPIC_THINKING_TOOL, "Checking.", "Weather question.", "tool_use",
        "tool_use", Usage(50, 60), id="anthropic-thinking-tool",
    ),
    pytest.param(
        recorded.INVOKE_NOVA, "Hello there", "", "max_tokens", "max_tokens", Usage(8, 2),
        id="nova",
    ),
    pytest.param(
        recorded.INVOKE_LLAMA, "Hello, world", "", "end_turn", "stop", Usage(17, 4), id="llama"
    ),
    pytest.param(
        recorded.INVOKE_MISTRAL_TEXT, " Bonjour !", "", "max_tokens", "length", Usage(9, 2),
        id="mistral-text",
    ),
    pytest.param(
        recorded.INVOKE_MISTRAL_CHAT, "Hello world", "", "end_turn", "stop", Usage(6, 2),
        id="mistral-chat",
    ),
    pytest.param(
        recorded.INVOKE_DEEPSEEK_R1, "\n\nHi! Welcome.", "The user greets me.\n", "end_turn",
        "stop", Usage(10, 9), id="deepseek-r1",
    ),
    pytest.param(
        recorded.INVOKE_GPT_OSS, "Hi there", "Simple greeting.", "end_turn", "stop",
        Usage(15, 8), id="gpt-oss",
    ),
    pytest.param(
        recorded.INVOKE_COHERE_COMMAND_R, "Paris is the capital.", "", "end_turn", "COMPLETE",
        Usage(11, 5), id="cohere-command-r",
    ),
    pytest.param(
        recorded.INVOKE_COHERE_COMMAND, "Hi you", "", "max_tokens", "MAX_TOKENS", Usage(3, 2),
        id="cohere-command",
    ),
    pytest.param(
        recorded.INVOKE_TITAN, "Hello Titan", "", "content_filtered", "CONTENT_FILTERED",
        Usage(5, 2), id="titan-text",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("chunks", "answer", "thought", "reason", "raw", "usage"), FAMILIES)
def test_each_family_through_the_event_path(  # noqa: PLR0917
    chunks: list[str], answer: str, thought: str, reason: str, raw: str, usage: Usage
) -> None:
    events = invoke(chunks)
    assert texts(events) == answer
    assert reasoning(events) == thought
    stop = one(events, MessageStop)
    assert (stop.reason, stop.raw_reason) == (reason, raw)
    metadata = one(events, Metadata)
    assert metadata.usage == usage
    assert events.index(stop) < events.index(metadata) == len(events) - 1
    # Every block that was written is closed before the message stops.
    written = {e.index for e in events if isinstance(e, TextDelta | ReasoningDelta)}
    closed = {e.index for e in events if isinstance(e, BlockStop | ToolUseStop)}
    assert written <= closed
    assert all(events.index(e) < events.index(stop) for e in events if isinstance(e, BlockStop))


@pytest.mark.parametrize(("chunks", "answer", "thought", "reason", "raw", "usage"), FAMILIES)
def test_each_family_through_the_text_path(  # noqa: PLR0917
    chunks: list[str], answer: str, thought: str, reason: str, raw: str, usage: Usage
) -> None:
    text = invoke_text({"body": recorded.invoke_events(chunks)})
    pieces = list(text)
    assert "".join(pieces) == answer
    assert all(pieces)  # never an empty string
    if thought:
        assert thought.strip() not in "".join(pieces)  # reasoning is never answer text
    assert "<reasoning>" not in answer and "think>" not in answer
    assert (text.stop_reason, text.raw_stop_reason, text.usage) == (reason, raw, usage)


def test_reasoning_and_tool_use_on_converse_as_typed_events() -> None:
    events = list(
        converse_events({"stream": recorded.converse_events(recorded.CONVERSE_TOOL_AND_REASONING)})
    )
    assert events == [
        MessageStart("assistant"),
        ReasoningDelta("The user wants", index=0),
        ReasoningDelta(signature="c2ln", index=0),
        BlockStop("reasoning", 0),
        TextDelta("Let me check.", 1),
        BlockStop("text", 1),
        ToolUseStart("tooluse_1", "weather", 2),
        ToolUseDelta("tooluse_1", '{"city"', 2),
        ToolUseDelta("tooluse_1", ':"Tokyo"}', 2),
        ToolUseStop("tooluse_1", "weather", {"city": "Tokyo"}, '{"city":"Tokyo"}', 2),
        MessageStop("tool_use"),
        Metadata(Usage(40, 31), 900, {"latencyMs": 900}),
    ]


def test_anthropic_thinking_and_tool_use_as_typed_events() -> None:
    events = invoke(recorded.INVOKE_ANTHROPIC_THINKING_TOOL)
    assert [e for e in events if isinstance(e, ReasoningDelta)] == [
        ReasoningDelta("Weather question.", index=0),
        ReasoningDelta(signature="EqQB", index=0),
    ]
    assert one(events, ToolUseStart) == ToolUseStart("toolu_01", "weather", 2)
    stop = one(events, ToolUseStop)
    assert stop.input == {"city": "Tokyo"} and stop.index == 2
    assert one(events, Metadata).metrics["firstByteLatency"] == 800


def test_gpt_oss_tool_calls_become_one_tool_use_with_parsed_input() -> None:
    events = invoke(recorded.INVOKE_GPT_OSS_TOOL)
    assert one(events, ToolUseStart) == ToolUseStart("call_1", "weather", 0)
    assert one(events, ToolUseStop).input == {"city": "Tokyo"}
    assert one(events, MessageStop).reason == "tool_use"
    assert texts(events) == ""


def test_converse_citation_guardrail_and_cache_tokens() -> None:
    stream = recorded.converse_events(recorded.CONVERSE_CITATION_GUARDRAIL_CACHE)
    events = list(converse_events({"stream": stream}))
    assert one(events, Citation) == Citation(
        title="cities.pdf",
        source="s3://b/c",
        cited_text="Tokyo has 14 million people",
        location={"documentChar": {"documentIndex": 0, "start": 10, "end": 37}},
        index=0,
    )
    guardrail = one(events, GuardrailTrace)
    assert guardrail.intervened and guardrail.trace["actionReason"] == "Guardrail blocked."
    assert one(events, MessageStop).reason == "guardrail_intervened"
    assert one(events, Metadata).usage == Usage(30, 5, 1024, 0)
    text = converse_text(
        {"stream": recorded.converse_events(recorded.CONVERSE_CITATION_GUARDRAIL_CACHE)}
    )
    assert text.read() == "Tokyo is large."
    assert text.stop_reason == "guardrail_intervened"
    assert text.summary.to_json()["guardrail"] == {"action": "INTERVENED"}
    assert text.summary.to_json()["usage"]["cacheReadInputTokens"] == 1024


def test_anthropic_redacted_thinking_citation_and_cache_tokens() -> None:
    events = invoke(recorded.INVOKE_ANTHROPIC_REDACTED_CITATION_CACHE)
    assert one(events, ReasoningDelta) == ReasoningDelta(redacted=b"EmwKAhgBEgy3va3pzix", index=0)
    citation = one(events, Citation)
    assert (citation.title, citation.cited_text) == ("Example", "The grass is green.")
    assert citation.location["start_char_index"] == 0
    assert one(events, Metadata).usage == Usage(20, 12, 0, 2048)
    assert one(events, MessageStop).reason == "max_tokens"


def test_a_guardrail_intervening_on_invoke_overrides_the_models_stop_reason() -> None:
    events = invoke(recorded.INVOKE_ANTHROPIC_GUARDRAIL)
    assert one(events, GuardrailTrace).action == "INTERVENED"
    stop = one(events, MessageStop)
    assert (stop.reason, stop.raw_reason) == ("guardrail_intervened", "end_turn")
    text = invoke_text({"body": recorded.invoke_events(recorded.INVOKE_ANTHROPIC_GUARDRAIL)})
    assert text.read() == "Sorry, the model cannot answer this question."
    assert text.stop_reason == "guardrail_intervened"


def test_cohere_citations_are_typed() -> None:
    citation = one(invoke(recorded.INVOKE_COHERE_COMMAND_R), Citation)
    assert (citation.cited_text, citation.source) == ("Paris", "doc_0")


def test_a_tool_input_cut_short_is_kept_raw_with_no_parsed_input() -> None:
    chunks = [c for c in recorded.INVOKE_GPT_OSS_TOOL if "Tokyo" not in c]
    stop = one(invoke(chunks), ToolUseStop)
    assert (stop.input, stop.input_json) == (None, '{"city":')


@pytest.mark.parametrize(
    ("chunk", "shape"),
    [
        ('{"completion":"Hi","stop_reason":null}', "{completion, stop_reason}"),
        ('{"type":"future_event"}', '{type: "future_event"}'),
        (
            '{"type":"content_block_delta","index":0,"delta":{"type":"audio_delta"}}',
            'content_block_delta.delta {type: "audio_delta"}',
        ),
        ('{"event_type":"future-generation"}', '{event_type: "future-generation"}'),
        ('{"choices":[{"index":0,"logprobs":{}}]}', "choices[] {index, logprobs}"),
    ],
)
def test_an_unknown_chunk_shape_raises_naming_it(chunk: str, shape: str) -> None:
    with pytest.raises(UnknownShapeError) as caught:
        invoke([chunk])
    assert caught.value.shape == shape
    assert shape in str(caught.value)
    with pytest.raises(UnknownShapeError):
        list(invoke_text({"body": recorded.invoke_events([chunk])}))


def test_an_unknown_converse_delta_raises_naming_it() -> None:
    event = {"contentBlockDelta": {"contentBlockIndex": 0, "delta": {"hologram": {}}}}
    with pytest.raises(UnknownShapeError, match=r"contentBlockDelta.delta \{hologram\}"):
        list(converse_events({"stream": [event]}))


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7])
def test_reasoning_tags_split_anywhere_never_leak_into_the_answer(size: int) -> None:
    content = "<reasoning>a < b, so</reasoning>The <b>answer</b> <reas"
    chunks = [
        json.dumps({"choices": [{"index": 0, "delta": {"content": content[i : i + size]}}]})
        for i in range(0, len(content), size)
    ]
    events = invoke(chunks)
    assert reasoning(events) == "a < b, so"
    assert texts(events) == "The <b>answer</b> <reas"  # an unfinished tag is text


def test_events_are_immutable_and_compared_by_type_and_value() -> None:
    delta = TextDelta("a", 0)
    with pytest.raises(AttributeError, match="immutable"):
        delta.text = "b"  # type: ignore[misc]
    assert delta == TextDelta("a", 0) != ReasoningDelta("a", index=0)
    assert hash(delta) == hash(TextDelta("a", 0))
    assert repr(delta) == "TextDelta(text='a', index=0)"
    assert not hasattr(delta, "__dict__")

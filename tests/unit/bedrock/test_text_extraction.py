"""Text-only extraction from Bedrock streams, per API and model family, on recorded shapes."""

import base64
import json
import re
from collections.abc import Iterator
from typing import Any

import botocore.session
import pytest
from botocore.eventstream import EventStream
from botocore.parsers import create_parser

from emulator.eventstream import encode_event, encode_exception
from lambda_streaming.bedrock import (
    BedrockStreamError,
    TextStream,
    UnknownShapeError,
    Usage,
    converse_text,
    invoke_text,
)

from . import recorded


def test_converse_stream_yields_only_text_then_stop_reason_and_usage() -> None:
    text = converse_text({"stream": recorded.converse_events(recorded.CONVERSE_CLAUDE)})
    assert text.stop_reason is None and text.usage is None  # nothing read yet
    assert list(text) == recorded.CONVERSE_CLAUDE_TEXT  # the empty delta is skipped
    assert text.stop_reason == "end_turn"
    assert text.usage == Usage(input_tokens=12, output_tokens=9)
    assert text.usage.total_tokens == 21
    assert text.metrics == {"latencyMs": 412}


def test_converse_stream_skips_reasoning_and_tool_use_deltas() -> None:
    events = recorded.converse_events(recorded.CONVERSE_TOOL_AND_REASONING)
    text = converse_text({"stream": events})
    assert list(text) == recorded.CONVERSE_TOOL_AND_REASONING_TEXT
    assert text.stop_reason == "tool_use"


@pytest.mark.parametrize(
    ("chunks", "expected_text", "stop_reason", "usage"),
    [
        pytest.param(
            recorded.INVOKE_ANTHROPIC,
            recorded.INVOKE_ANTHROPIC_TEXT,
            "end_turn",
            Usage(12, 9),
            id="anthropic-messages",
        ),
        pytest.param(
            recorded.INVOKE_ANTHROPIC_THINKING_TOOL,
            recorded.INVOKE_ANTHROPIC_THINKING_TOOL_TEXT,
            "tool_use",
            Usage(50, 60),
            id="anthropic-thinking-and-tool-use",
        ),
        pytest.param(
            recorded.INVOKE_NOVA, recorded.INVOKE_NOVA_TEXT, "max_tokens", Usage(8, 2), id="nova"
        ),
        pytest.param(
            recorded.INVOKE_LLAMA,
            recorded.INVOKE_LLAMA_TEXT,
            "end_turn",  # Llama's "stop", in Converse's words
            Usage(17, 4),
            id="llama",
        ),
    ],
)
def test_invoke_stream_yields_only_text_for_each_model_family(
    chunks: list[str], expected_text: list[str], stop_reason: str, usage: Usage
) -> None:
    text = invoke_text({"body": recorded.invoke_events(chunks)})
    assert list(text) == expected_text
    assert text.stop_reason == stop_reason
    assert text.usage == usage
    assert text.metrics["firstByteLatency"] > 0  # from amazon-bedrock-invocationMetrics


def test_usage_without_invocation_metrics_comes_from_the_model_events() -> None:
    # Without Bedrock's metrics chunk, Anthropic's own usage fields still count.
    chunks = [c for c in recorded.INVOKE_ANTHROPIC if "invocationMetrics" not in c]
    text = invoke_text({"body": recorded.invoke_events(chunks)})
    assert text.read() == "こんにちは!"
    assert text.usage == Usage(12, 9)


def test_a_stream_without_any_text_is_empty_not_an_error() -> None:
    events = recorded.converse_events(
        [("messageStart", '{"role":"assistant"}'), ("messageStop", '{"stopReason":"end_turn"}')]
    )
    text = converse_text({"stream": events})
    assert list(text) == []
    assert text.stop_reason == "end_turn"
    assert text.usage is None


def test_an_empty_delta_is_nothing_but_unknown_events_raise() -> None:
    assert list(converse_text({"stream": [{"contentBlockDelta": {}}]})) == []
    with pytest.raises(UnknownShapeError, match=r"unknown shape \{futureEvent\}"):
        list(converse_text({"stream": [{"futureEvent": {"x": 1}}]}))
    with pytest.raises(UnknownShapeError, match=r"unknown shape \{unknown\}"):
        list(invoke_text({"body": [{"unknown": {}}]}))
    with pytest.raises(UnknownShapeError, match=r"chunk.bytes: list"):
        list(invoke_text({"body": recorded.invoke_events(["[1, 2]"])}))


def test_text_stream_is_a_one_shot_iterator() -> None:
    text = invoke_text({"body": recorded.invoke_events(recorded.INVOKE_LLAMA)})
    assert iter(text) is text
    assert next(text) == "Hello"
    assert text.read() == ", world"
    assert list(text) == []


class _ClosableEvents:
    def __init__(self, events: list[dict[str, Any]]) -> None:
        self._events = iter(events)
        self.closed = False

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return self._events

    def close(self) -> None:
        self.closed = True


def test_close_stops_iteration_and_closes_the_event_stream() -> None:
    events = _ClosableEvents(recorded.invoke_events(recorded.INVOKE_ANTHROPIC))
    text = invoke_text({"body": events})
    assert next(text) == "こんにちは"
    text.close()
    assert events.closed
    assert list(text) == []


@pytest.mark.parametrize(
    ("read", "response", "message"),
    [
        (invoke_text, {"body": b"{}"}, "response['body'] is bytes, not an event stream"),
        (converse_text, {"output": {}}, "a dict with 'stream'"),
        (converse_text, {"stream": [b"{}"]}, "not of invoke_model()/converse()"),
    ],
)
def test_wrong_response_shapes_say_what_to_pass(
    read: Any, response: dict[str, Any], message: str
) -> None:
    with pytest.raises(TypeError, match=re.escape(message)):
        list(read(response))


def test_a_chunk_that_is_not_json_is_reported_with_its_start() -> None:
    with pytest.raises(ValueError, match="not JSON: b'oops"):
        list(invoke_text({"body": [{"chunk": {"bytes": b"oops"}}]}))


# --- The recorded dicts are what botocore really yields for these wire frames. -------------


class _RawStream:
    def __init__(self, frames: list[bytes]) -> None:
        self._frames = frames

    def stream(self) -> Iterator[bytes]:
        yield from self._frames

    def close(self) -> None:
        pass


def _botocore_stream(operation: str, frames: list[bytes]) -> EventStream:
    session = botocore.session.get_session()
    model = session.get_service_model("bedrock-runtime").operation_model(operation)
    member = next(
        s for s in model.output_shape.members.values() if s.serialization.get("eventstream")
    )
    parser = create_parser(model.metadata["protocol"])._event_stream_parser
    return EventStream(_RawStream(frames), member, parser, operation)


def test_recorded_converse_events_match_botocores_parse_of_the_wire() -> None:
    frames = [
        encode_event(kind, payload.encode(), content_type="application/json")
        for kind, payload in recorded.CONVERSE_CLAUDE
    ]
    parsed = list(_botocore_stream("ConverseStream", frames))
    assert parsed == recorded.converse_events(recorded.CONVERSE_CLAUDE)


def test_recorded_invoke_chunks_match_botocores_parse_of_the_wire() -> None:
    frames = [
        encode_event(
            "chunk",
            json.dumps({"bytes": base64.b64encode(chunk.encode()).decode()}).encode(),
            content_type="application/json",
        )
        for chunk in recorded.INVOKE_NOVA
    ]
    stream = _botocore_stream("InvokeModelWithResponseStream", frames)
    assert list(invoke_text({"body": stream})) == recorded.INVOKE_NOVA_TEXT


def test_botocore_raised_exception_event_becomes_bedrock_stream_error() -> None:
    frames = [
        encode_event(
            "contentBlockDelta",
            b'{"contentBlockIndex":0,"delta":{"text":"partial"}}',
            content_type="application/json",
        ),
        encode_exception("throttlingException", b'{"message":"Too many tokens, slow down"}'),
    ]
    text = converse_text({"stream": _botocore_stream("ConverseStream", frames)})
    assert next(text) == "partial"
    with pytest.raises(BedrockStreamError) as caught:
        next(text)
    error = caught.value
    assert error.code == "throttlingException"
    assert error.error_type == "Function.ThrottlingException"
    assert "Too many tokens, slow down" in str(error)
    assert type(error.__cause__).__name__ == "EventStreamError"


def test_text_stream_is_exported_type() -> None:
    assert isinstance(converse_text({"stream": []}), TextStream)

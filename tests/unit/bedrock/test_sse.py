"""SSE framing, checked by parsing it back as a browser does (WHATWG HTML, server-sent events)."""

import json
import threading
import time
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lambda_streaming.bedrock import BedrockStreamError, converse_events, converse_text
from lambda_streaming.sse import SSE_HEADERS, sse_comment, sse_event, sse_stream

from . import recorded


def parse_sse(stream: str) -> list[tuple[str, str]]:
    """An independent SSE parser following the HTML spec's algorithm: (event type, data)."""
    events: list[tuple[str, str]] = []
    data: list[str] = []
    event_type = ""
    # The spec's line ends: CRLF, lone CR, lone LF.
    lines = stream.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for line in lines[:-1]:  # the text after the last line end is incomplete
        if line == "":
            if data:
                events.append((event_type or "message", "\n".join(data)))
            data, event_type = [], ""
            continue
        if line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if field == "data":
            data.append(value)
        elif field == "event":
            event_type = value
    return events


@given(st.text())
def test_any_text_round_trips_through_a_browser_parser(text: str) -> None:
    assert parse_sse(sse_event(text)) == [
        ("message", text.replace("\r\n", "\n").replace("\r", "\n"))
    ]


@pytest.mark.parametrize(
    ("text", "wire"),
    [
        ("a\nb", "data: a\ndata: b\n\n"),
        ("a\r\nb", "data: a\ndata: b\n\n"),
        ("a\rb", "data: a\ndata: b\n\n"),
        ("end\n", "data: end\ndata: \n\n"),
        ("  indented", "data:   indented\n\n"),
        ("a\u2028b", "data: a\u2028b\n\n"),  # not a line end in SSE
    ],
)
def test_multi_line_text_becomes_one_data_line_per_line(text: str, wire: str) -> None:
    assert sse_event(text) == wire


def test_event_name_and_id_fields_and_their_validation() -> None:
    assert sse_event("x", event="done", id="7") == "event: done\nid: 7\ndata: x\n\n"
    with pytest.raises(ValueError, match="line break"):
        sse_event("x", event="a\nb")
    assert sse_comment("keep-alive") == ": keep-alive\n\n"
    assert parse_sse(sse_comment("x")) == []


def test_stream_of_a_bedrock_answer_ends_with_done_and_its_summary() -> None:
    text = converse_text({"stream": recorded.converse_events(recorded.CONVERSE_CLAUDE)})
    events = parse_sse("".join(sse_stream(text)))
    assert events[:-1] == [("message", t) for t in recorded.CONVERSE_CLAUDE_TEXT]
    kind, data = events[-1]
    assert kind == "done"
    assert json.loads(data) == {
        "stopReason": "end_turn",
        "usage": {"inputTokens": 12, "outputTokens": 9, "totalTokens": 21},
    }


def test_custom_done_payload() -> None:
    out = list(sse_stream(iter(["a"]), done=lambda: {"id": 1}))
    assert out == ["data: a\n\n", 'event: done\ndata: {"id":1}\n\n']


def test_mid_stream_failure_sends_an_error_event_then_reraises() -> None:
    events = [
        *recorded.converse_events(recorded.CONVERSE_CLAUDE[:2]),
        {"throttlingException": {"message": "Rate exceeded"}},
    ]
    sent: list[str] = []
    with pytest.raises(BedrockStreamError):
        sent.extend(sse_stream(converse_text({"stream": events})))
    parsed = parse_sse("".join(sent))
    assert parsed[0] == ("message", "こんにちは")
    kind, data = parsed[-1]
    assert kind == "error"
    assert json.loads(data) == {
        "errorType": "Function.ThrottlingException",
        "errorMessage": "Bedrock throttlingException: Rate exceeded",
    }
    assert all(kind != "done" for kind, _ in parsed)


def test_failure_without_reraise_just_ends_after_the_error_event() -> None:
    def failing() -> Iterator[str]:
        yield "a"
        raise KeyError("k")

    parsed = parse_sse("".join(sse_stream(failing(), reraise=False)))
    assert parsed[-1][0] == "error"
    assert json.loads(parsed[-1][1])["errorType"] == "Function.KeyError"


class Clock:
    def __init__(self, *remaining: int) -> None:
        self.remaining = list(remaining)

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining.pop(0)


def test_deadline_ends_the_stream_with_a_done_event_that_says_so() -> None:
    text = converse_text({"stream": recorded.converse_events(recorded.CONVERSE_CLAUDE)})
    parsed = parse_sse("".join(sse_stream(text, context=Clock(9000, 500), margin_ms=1000)))
    assert parsed[0] == ("message", "こんにちは")
    kind, data = parsed[-1]
    assert kind == "done"
    assert json.loads(data)["stopReason"] == "deadline"
    assert "timeout" in json.loads(data)["note"]
    assert len(parsed) == 2


def test_headers_for_an_sse_response() -> None:
    assert SSE_HEADERS["content-type"].startswith("text/event-stream")
    assert SSE_HEADERS["cache-control"] == "no-cache"


# --- Typed Bedrock events and keep-alives ---------------------------------------------------


def test_typed_events_become_reasoning_message_and_tool_use_events_then_done() -> None:
    stream = recorded.converse_events(recorded.CONVERSE_TOOL_AND_REASONING)
    parsed = parse_sse("".join(sse_stream(converse_events({"stream": stream}))))
    assert parsed[:3] == [
        ("reasoning", "The user wants"),
        ("message", "Let me check."),
        ("tool_use", '{"toolUseId":"tooluse_1","name":"weather","input":{"city":"Tokyo"}}'),
    ]
    kind, data = parsed[-1]
    assert kind == "done"
    assert json.loads(data) == {
        "stopReason": "tool_use",
        "usage": {"inputTokens": 40, "outputTokens": 31, "totalTokens": 71},
        "toolUses": [{"toolUseId": "tooluse_1", "name": "weather", "input": {"city": "Tokyo"}}],
    }
    assert len(parsed) == 4


def test_a_guardrail_stop_and_cache_usage_reach_the_done_event() -> None:
    stream = recorded.converse_events(recorded.CONVERSE_CITATION_GUARDRAIL_CACHE)
    parsed = parse_sse("".join(sse_stream(converse_text({"stream": stream}))))
    done = json.loads(parsed[-1][1])
    assert done["stopReason"] == "guardrail_intervened"
    assert done["guardrail"] == {"action": "INTERVENED"}
    assert done["usage"]["cacheReadInputTokens"] == 1024


def test_keep_alive_comments_fill_a_silence_and_only_a_silence() -> None:
    def slow() -> Iterator[str]:
        yield "a"
        time.sleep(0.6)
        yield "b"

    wire = "".join(sse_stream(slow(), keep_alive=0.1))
    before, after = wire.split("data: b", 1)
    assert before.startswith("data: a\n\n")
    assert before.count(": keep-alive\n\n") >= 2  # at least two during 0.6 s of silence
    assert ": keep-alive" not in after
    assert parse_sse(wire) == [("message", "a"), ("message", "b"), ("done", "{}")]
    fast = "".join(sse_stream(iter(["x", "y"]), keep_alive=0.1))
    assert ": keep-alive" not in fast


def test_keep_alive_off_reads_in_the_callers_thread() -> None:
    threads: list[str] = []

    def source() -> Iterator[str]:
        threads.append(threading.current_thread().name)
        yield "a"

    list(sse_stream(source(), keep_alive=None))
    list(sse_stream(source()))
    assert threads == [threading.current_thread().name, "sse-source"]


def test_a_failure_during_keep_alive_still_sends_the_error_event() -> None:
    def failing() -> Iterator[str]:
        yield "a"
        time.sleep(0.25)
        raise BedrockStreamError("throttlingException", "Rate exceeded")

    sent: list[str] = []
    with pytest.raises(BedrockStreamError):
        sent.extend(sse_stream(failing(), keep_alive=0.1))
    parsed = parse_sse("".join(sent))
    assert parsed[0] == ("message", "a")
    assert parsed[-1][0] == "error"
    assert ": keep-alive" in "".join(sent)


def test_stopping_early_during_a_silence_closes_the_source() -> None:
    released = threading.Event()

    class Source:
        closed = False

        def __iter__(self) -> Iterator[str]:
            yield "a"
            released.wait(5)

        def close(self) -> None:
            self.closed = True
            released.set()

    source = Source()
    frames = sse_stream(source, keep_alive=0.05)
    assert next(frames) == "data: a\n\n"
    assert next(frames) == ": keep-alive\n\n"
    frames.close()  # the client went away
    assert source.closed

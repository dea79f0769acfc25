"""The OpenAI and AI SDK translators, and lambda_src/keep_alive.py, stop a margin before the
function's timeout with their protocol's in-band error (and close Bedrock's stream)."""

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

from keep_alive import KEEP_ALIVE, with_keep_alive

from lambda_streaming.aisdk import ui_message_stream
from lambda_streaming.bedrock import converse_events
from lambda_streaming.openai import chat_completion_chunks

STOPPED = "stopped early: the function is about to reach its timeout"


class Clock:
    """A Lambda context whose deadline is ``seconds`` from now."""

    def __init__(self, seconds: float) -> None:
        self.deadline = time.monotonic() + seconds

    def get_remaining_time_in_millis(self) -> int:
        return int((self.deadline - time.monotonic()) * 1000)


class Events:
    """Converse events, one every ``pause`` seconds; records whether it was closed."""

    def __init__(self, pause: float) -> None:
        self.pause, self.closed = pause, False

    def __iter__(self) -> Iterator[dict[str, object]]:
        yield {"messageStart": {"role": "assistant"}}
        for _ in range(100):
            time.sleep(self.pause)
            yield {"contentBlockDelta": {"delta": {"text": "x"}, "contentBlockIndex": 0}}
        yield {"messageStop": {"stopReason": "end_turn"}}

    def close(self) -> None:
        self.closed = True


def typed(source: Events) -> Any:
    return converse_events({"stream": source})


def data(lines: list[str]) -> list[object]:
    events = "".join(lines).split("\n\n")[:-1]
    return [json.loads(e.removeprefix("data: ")) for e in events if e != "data: [DONE]"]


def test_openai_chunks_end_with_a_timeout_error_event_before_the_deadline() -> None:
    source = Events(0.02)
    began = time.monotonic()
    lines = list(chat_completion_chunks(typed(source), "m", context=Clock(1.2), margin_ms=1000))
    assert time.monotonic() - began < 1.0
    assert data(lines)[-1] == {
        "error": {"message": STOPPED, "type": "server_error", "param": None, "code": "timeout"}
    }
    assert "data: [DONE]\n\n" not in lines
    assert 1 < len(lines) < 100  # some tokens went out first
    assert source.closed


def test_ai_sdk_parts_end_with_an_error_part_before_the_deadline() -> None:
    source = Events(0.02)
    lines = list(ui_message_stream(typed(source), context=Clock(1.2), margin_ms=1000))
    assert data(lines)[-1] == {"type": "error", "errorText": STOPPED}
    assert any(part.get("delta") == "x" for part in data(lines))  # type: ignore[union-attr]
    assert source.closed


def test_without_a_context_the_stream_is_untouched() -> None:
    lines = list(chat_completion_chunks(converse_events({"stream": list(Events(0))}), "m"))
    assert lines[-1] == "data: [DONE]\n\n"


def test_keep_alive_ends_with_the_expired_line_during_a_silence() -> None:
    closed = threading.Event()

    def silent() -> Iterator[str]:
        try:
            yield "data: 1\n\n"
            time.sleep(3)  # longer than the time left
            yield "data: 2\n\n"
        finally:
            closed.set()

    began = time.monotonic()
    out = list(with_keep_alive(silent(), 0.2, context=Clock(1.6), expired="data: stop\n\n"))
    assert time.monotonic() - began < 1.5
    assert out[0] == "data: 1\n\n" and out[-1] == "data: stop\n\n"
    assert KEEP_ALIVE in out  # the silence was still kept alive until then
    assert closed.wait(5)  # the source is closed once its read returns


def test_keep_alive_off_still_honours_the_deadline() -> None:
    def silent() -> Iterator[str]:
        yield "data: 1\n\n"
        time.sleep(3)
        yield "data: 2\n\n"

    out = list(with_keep_alive(silent(), None, context=Clock(1.3), expired="data: stop\n\n"))
    assert out == ["data: 1\n\n", "data: stop\n\n"]

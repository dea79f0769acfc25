"""The deadline guard ends a stream cleanly, with a note, before the function's timeout."""

from collections.abc import Iterator

from lambda_streaming.bedrock import (
    DEFAULT_DEADLINE_NOTE,
    DeadlineGuard,
    converse_text,
    deadline_guard,
)

from . import recorded


class FakeClock:
    """A LambdaContext whose remaining time drops by ``step_ms`` at every question."""

    def __init__(self, remaining_ms: int, step_ms: int) -> None:
        self.remaining_ms = remaining_ms
        self.step_ms = step_ms
        self.questions = 0

    def get_remaining_time_in_millis(self) -> int:
        self.questions += 1
        remaining, self.remaining_ms = self.remaining_ms, self.remaining_ms - self.step_ms
        return remaining


def test_enough_time_passes_everything_through_without_a_note() -> None:
    guard = deadline_guard(["a", "b", "c"], FakeClock(60_000, 10))
    assert list(guard) == ["a", "b", "c"]
    assert not guard.expired


def test_ends_with_the_note_once_the_margin_is_reached() -> None:
    # 3000, 2000, 1000 (<= margin): two items pass, then the note, then the end.
    guard = deadline_guard(["a", "b", "c", "d"], FakeClock(3000, 1000), margin_ms=1000)
    assert list(guard) == ["a", "b", DEFAULT_DEADLINE_NOTE]
    assert guard.expired
    assert list(guard) == []  # stays ended


def test_no_note_when_none_is_given() -> None:
    guard = deadline_guard(["a", "b"], FakeClock(500, 0), note=None)
    assert list(guard) == []
    assert guard.expired


def test_stops_reading_and_closes_the_source_at_the_deadline() -> None:
    pulled: list[str] = []
    closed: list[bool] = []

    def source() -> Iterator[str]:
        try:
            for item in ["a", "b", "c"]:
                pulled.append(item)
                yield item
        finally:
            closed.append(True)

    guard = DeadlineGuard(source(), FakeClock(2000, 1000), margin_ms=1000, note="[cut]")
    assert list(guard) == ["a", "[cut]"]
    assert pulled == ["a"]  # "b" was never requested from the model
    assert closed == [True]


def test_guarding_a_bedrock_text_stream_keeps_its_stop_reason_unset() -> None:
    text = converse_text({"stream": recorded.converse_events(recorded.CONVERSE_CLAUDE)})
    out = list(deadline_guard(text, FakeClock(1500, 400), margin_ms=1000, note="[cut]"))
    assert out == ["こんにちは", "!", "[cut]"]
    assert text.stop_reason is None  # messageStop was never read: the answer is incomplete

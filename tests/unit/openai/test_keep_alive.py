"""lambda_src/keep_alive.py: comments during silences, errors and early closes carried over."""

import threading
import time
from collections.abc import Iterator

import pytest
from keep_alive import KEEP_ALIVE, with_keep_alive


def slow(pause: float, closed: threading.Event | None = None) -> Iterator[str]:
    try:
        yield "data: 1\n\n"
        time.sleep(pause)
        yield "data: 2\n\n"
    finally:
        if closed is not None:
            closed.set()


def test_comments_fill_a_silence_and_nothing_else_changes() -> None:
    out = list(with_keep_alive(slow(0.35), 0.1))
    assert out[0] == "data: 1\n\n" and out[-1] == "data: 2\n\n"
    assert set(out[1:-1]) == {KEEP_ALIVE} and len(out[1:-1]) >= 2


def test_off_is_the_stream_unchanged() -> None:
    assert list(with_keep_alive(slow(0.01), None)) == ["data: 1\n\n", "data: 2\n\n"]
    assert list(with_keep_alive(slow(0.01), 0)) == ["data: 1\n\n", "data: 2\n\n"]


def test_an_error_of_the_stream_is_raised_in_the_callers_thread() -> None:
    def failing() -> Iterator[str]:
        yield "data: 1\n\n"
        raise ValueError("boom")

    stream = with_keep_alive(failing(), 5)
    assert next(stream) == "data: 1\n\n"
    with pytest.raises(ValueError, match="boom"):
        next(stream)


def test_closing_early_closes_the_stream() -> None:
    closed = threading.Event()
    stream = with_keep_alive(slow(0.2, closed), 5)
    assert next(stream) == "data: 1\n\n"
    stream.close()  # the client went away
    assert closed.wait(2)

"""Lambda's bandwidth shaping as a token bucket, on a fake clock (the only boundary mocked)."""

import pytest

from emulator.bandwidth import TokenBucket


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_burst_passes_without_waiting_then_rate_limits() -> None:
    clock = FakeClock()
    bucket = TokenBucket(
        capacity=1000, rate=800, interval=0.125, clock=clock.time, sleep=clock.sleep
    )
    bucket.consume(1000)
    assert clock.sleeps == []
    bucket.consume(300)  # refills of 100 bytes every 125 ms: three intervals
    assert clock.now == pytest.approx(0.375)


def test_lambda_defaults_6_mib_burst_then_2_mib_per_second() -> None:
    clock = FakeClock()
    bucket = TokenBucket(clock=clock.time, sleep=clock.sleep)
    bucket.consume(6 * 1024 * 1024)
    assert clock.now == 0
    bucket.consume(4 * 1024 * 1024)
    assert clock.now == pytest.approx(2.0)


def test_a_chunk_larger_than_the_bucket_still_passes() -> None:
    clock = FakeClock()
    bucket = TokenBucket(
        capacity=100, rate=800, interval=0.125, clock=clock.time, sleep=clock.sleep
    )
    bucket.consume(350)
    assert clock.now == pytest.approx(0.375)


def test_invalid_settings_are_rejected() -> None:
    with pytest.raises(ValueError, match="positive"):
        TokenBucket(capacity=0)

"""Lambda's streamed-response bandwidth limit, as a token bucket (off unless asked for).

Lambda streams the first 6 MiB of a response at full speed, then at most 2 MiB/s. Its RAPID
code implements that as a bucket of 6 MiB refilled with ``rate * 125 ms`` every 125 ms
(lambda-streaming-protocol.md §1.6). ``consume`` blocks the caller (the thread reading the
runtime's body) until enough tokens exist, which slows the runtime down through TCP
backpressure, as in production. The clock and the sleep are injectable for tests.
"""

import threading
import time
from collections.abc import Callable

BURST_BYTES = 6 * 1024 * 1024
RATE_BYTES_PER_SECOND = 2 * 1024 * 1024
REFILL_INTERVAL = 0.125


class TokenBucket:
    """``consume(n)`` returns once ``n`` bytes may pass; chunks larger than the bucket pass
    in bucket-sized installments, so no chunk waits forever."""

    def __init__(
        self,
        *,
        capacity: int = BURST_BYTES,
        rate: int = RATE_BYTES_PER_SECOND,
        interval: float = REFILL_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if capacity <= 0 or rate <= 0 or interval <= 0:
            raise ValueError("capacity, rate and interval must be positive")
        self.capacity = capacity
        self._refill = max(1, int(rate * interval))
        self._interval = interval
        self._clock = clock
        self._sleep = sleep
        self._tokens = capacity
        self._last_refill = clock()
        self._lock = threading.Lock()

    def consume(self, size: int) -> None:
        """Block until ``size`` bytes of budget were taken."""
        remaining = size
        while remaining > 0:
            with self._lock:
                self._add_refills()
                taken = min(remaining, self._tokens)
                self._tokens -= taken
                remaining -= taken
                wait = 0.0 if remaining == 0 else self._last_refill + self._interval - self._clock()
            if wait > 0:
                self._sleep(wait)

    def _add_refills(self) -> None:
        intervals = int((self._clock() - self._last_refill) / self._interval)
        if intervals > 0:
            self._tokens = min(self.capacity, self._tokens + intervals * self._refill)
            self._last_refill += intervals * self._interval

"""Pacing of cold starts: at most as many sandboxes start at once as the machine has cores.

Lambda gives each new execution environment its own CPU; here every sandbox shares this
machine's. Fifty start-ups at once (each importing boto3: about a second of CPU) on two cores
made each take many seconds, past the start-up limit, and about half failed. So a sandbox
waits for a start slot before its process starts, and keeps it until its runtime first asks
for an event (``/next``: the init phase is over) or dies; its start-up clock begins with the
slot. A cold start that cannot get a slot within ``WAIT_LIMIT_S`` is refused (429) with a
message that says why.
"""

import os
import threading
import time

WAIT_LIMIT_S = 120.0


class NoStartSlot(Exception):
    """A cold start gave up waiting for a start slot; the message says why."""


class StartSlots:
    """A counting gate for start-ups in progress (one per process: all functions share it)."""

    def __init__(self, slots: int) -> None:
        self.slots = slots
        self._gate = threading.BoundedSemaphore(slots)
        self._lock = threading.Lock()
        self.waiting = 0

    def take(self, timeout: float = WAIT_LIMIT_S) -> bool:
        """Wait for a slot; False if none came within ``timeout`` seconds."""
        with self._lock:
            self.waiting += 1
        try:
            return self._gate.acquire(timeout=timeout)
        finally:
            with self._lock:
                self.waiting -= 1

    def give_back(self) -> None:
        self._gate.release()

    def refusal(self, waited: float) -> str:
        """Why a cold start was refused, and what to change."""
        return (
            f"this cold start waited {waited:.0f} s for one of the {self.slots} start-up slots "
            f"(one per CPU core of this machine, so that each start-up runs at full speed and "
            f"within its limit); {self.waiting} more are waiting: lower --max-sandboxes or "
            "invoke fewer at once"
        )


SLOTS = StartSlots(max(2, os.cpu_count() or 2))


class StartSlot:
    """One sandbox's hold on a start slot: taken once, given back once."""

    def __init__(self, slots: StartSlots = SLOTS) -> None:
        self._slots = slots
        self._held = False
        self._lock = threading.Lock()

    def take(self) -> str | None:
        """Wait for the slot; None when taken, else the message saying why it was not."""
        started = time.monotonic()
        if not self._slots.take():
            return self._slots.refusal(time.monotonic() - started)
        with self._lock:
            self._held = True
        return None

    def give_back(self) -> None:
        """Idempotent: the init phase ended (or the sandbox died)."""
        with self._lock:
            held, self._held = self._held, False
        if held:
            self._slots.give_back()

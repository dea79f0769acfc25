"""One runtime process on its own Runtime API, and what /proc says about it.

CPU is the sum over the process's threads of ``/proc/PID/task/*/schedstat`` (ns on CPU, user +
system), so helper threads (Node's libuv pool) count. Memory is ``VmRSS`` / ``VmHWM`` from
``/proc/PID/status``; writing ``5`` to ``/proc/PID/clear_refs`` resets ``VmHWM`` so a peak can be
taken over one phase only.
"""

import contextlib
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO

from bench.peers import Peer
from bench.rapi import Invocation, RuntimeApi

START_TIMEOUT_S = 30.0


class RuntimeFailed(RuntimeError):
    """The runtime under test did not start or stopped answering."""


class Session:
    """Start ``peer`` in ``mode``; ``cold_start_ns`` is spawn -> its first ``GET /next``."""

    def __init__(
        self,
        peer: Peer,
        mode: str,
        log: IO[bytes] | None = None,
        *,
        server: str = "selector",
        first_event: Mapping[str, object] | None = None,
        wrapper: Sequence[str] = (),
        start_timeout: float = START_TIMEOUT_S,
    ) -> None:
        """``first_event`` is queued before the process starts, as Lambda does on a cold
        start (``self.first``, done when its answer is in); ``wrapper`` prefixes the argv
        (e.g. valgrind)."""
        self.peer, self.mode = peer, mode
        self.api = RuntimeApi(server)
        self.first = None if first_event is None else self.api.submit(peer.event(first_event))
        argv, env, cwd = peer.command(mode, self.api.address)
        spawned = self.spawned_ns = time.monotonic_ns()
        self.process = subprocess.Popen(
            [*wrapper, *argv],
            env=env,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=log or subprocess.DEVNULL,
            stderr=log or subprocess.DEVNULL,
        )
        deadline = time.monotonic() + start_timeout
        while not self.api.first_next.wait(0.05):
            if self.process.poll() is not None or time.monotonic() > deadline:
                code = self.process.poll()
                self.close()
                ended = f"exited with {code}" if code is not None else f"within {start_timeout} s"
                raise RuntimeFailed(f"{peer.name} ({mode}) never asked for an event ({ended})")
        self.cold_start_ns = self.api.first_next_ns - spawned
        self.pid = self.process.pid

    def invoke(self, params: Mapping[str, object], timeout: float = 60.0) -> Invocation:
        return self.wait(self.api.submit(self.peer.event(params)), params, timeout)

    def wait(
        self, invocation: Invocation, params: Mapping[str, object], timeout: float = 60.0
    ) -> Invocation:
        """Wait for an invocation's answer; raise unless it is a successful response."""
        try:
            self.api.wait(invocation, timeout)
        except TimeoutError as error:
            raise RuntimeFailed(f"{self.peer.name} ({self.mode}): {error}") from None
        if invocation.outcome != "response" or invocation.trailers:
            raise RuntimeFailed(
                f"{self.peer.name} ({self.mode}) failed {params}: {invocation.outcome} "
                f"{invocation.trailers} {invocation.head!r}"
            )
        return invocation

    def run(self, params: Mapping[str, object], count: int) -> None:
        for _ in range(count):
            self.invoke(params)

    def cpu_ns(self) -> int:
        total = 0
        for task in Path(f"/proc/{self.pid}/task").iterdir():
            with contextlib.suppress(FileNotFoundError, ProcessLookupError):  # a thread ended
                total += int((task / "schedstat").read_text().split()[0])
        return total

    def memory_kib(self, field: str) -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
        raise RuntimeFailed(f"no {field} in /proc/{self.pid}/status")

    def reset_peak(self) -> None:
        Path(f"/proc/{self.pid}/clear_refs").write_text("5")

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(10)
        self.api.close()

    def __enter__(self) -> "Session":
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

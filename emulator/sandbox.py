"""One execution environment: a ``runtime/bootstrap`` process, its Runtime API, its logs, its clock.

A sandbox runs invocations one at a time. It starts the real bootstrap with Lambda's
environment, prefixes the process's output with the current request id, enforces the timeout
(SIGKILL of the whole process group, ``Sandbox.Timedout``), and reports crashes
(``Runtime.ExitError``) and init errors to the invocation that was waiting. A dead sandbox is
never reused: the pool (``function.py``) starts a fresh one, as Lambda does.
"""

import contextlib
import logging
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

from emulator.config import FunctionConfig, lambda_environment
from emulator.invocation import FunctionError, Invocation
from emulator.runtime_api import RuntimeApi

log = logging.getLogger("emulator.function")
_WATCH_INTERVAL = 0.05


class Sandbox:
    """A runtime process and its Runtime API. ``on_free`` is called when it can take another
    invocation, ``on_dead`` once when it is gone for good."""

    def __init__(
        self,
        config: FunctionConfig,
        *,
        number: int,
        on_free: Callable[["Sandbox"], None],
        on_dead: Callable[["Sandbox"], None],
    ) -> None:
        self.config = config
        self.number = number
        self._on_free = on_free
        self._on_dead = on_dead
        self._lock = threading.Lock()
        self._current: Invocation | None = None
        self._init_error: FunctionError | None = None
        self._killed_because: str | None = None
        self._handed_out = True  # the pool got it already (it starts for an invocation)
        self.dead = threading.Event()
        self.runtime_api = RuntimeApi(
            name=f"runtime-api-{number}",
            exit_status=self._exit_status,
            on_init_error=self._init_failed,
            on_waiting=self._runtime_waiting,
            shape_bandwidth=config.shape_bandwidth,
        )
        self._process: subprocess.Popen[bytes] | None = None
        self._started_at = 0.0

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def start(self) -> None:
        """Start the Runtime API, then the bootstrap process against it."""
        bootstrap = Path(self.config.bootstrap)
        if not bootstrap.is_file():
            raise FileNotFoundError(f"runtime bootstrap not found: {bootstrap} (see --bootstrap)")
        self.runtime_api.start()
        self._started_at = time.monotonic()
        self._process = subprocess.Popen(
            [str(bootstrap)],
            cwd=self.config.code_dir,
            env=lambda_environment(self.config, self.runtime_api.address),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the timeout kills all of it
        )
        log.info("[sandbox %d] started pid %d", self.number, self._process.pid)
        threading.Thread(
            target=self._pump_logs, name=f"sandbox-{self.number}-logs", daemon=True
        ).start()
        threading.Thread(
            target=self._monitor, name=f"sandbox-{self.number}-exit", daemon=True
        ).start()

    def assign(self, invocation: Invocation) -> None:
        """Run ``invocation`` here; the sandbox must be free."""
        with self._lock:
            self._current = invocation
            self._handed_out = False
        start_line = f"START RequestId: {invocation.request_id} Version: $LATEST"
        log.info("[%s] %s", invocation.request_id, start_line)
        invocation.add_log(start_line.encode() + b"\n")
        self.runtime_api.deliver(invocation)
        threading.Thread(
            target=self._watch, args=(invocation,), name=f"sandbox-{self.number}-watch", daemon=True
        ).start()

    @property
    def settling(self) -> bool:
        """Its invocation ended but its runtime has not polled ``/next`` yet."""
        with self._lock:
            ended = self._current is None or self._current.finished.is_set()
            return ended and not self._handed_out and not self.dead.is_set()

    def kill(self, reason: str) -> None:
        """Kill the process group (idempotent); the exit monitor then retires the sandbox."""
        with self._lock:
            if self._killed_because is None:
                self._killed_because = reason
        if self._process is not None and self._process.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self._process.pid, signal.SIGKILL)

    # --- the timeout ---------------------------------------------------------------------
    def _watch(self, invocation: Invocation) -> None:
        """Fail ``invocation`` with ``Sandbox.Timedout`` at its deadline and kill the sandbox."""
        assigned = time.monotonic()
        while not invocation.finished.wait(_WATCH_INTERVAL):
            if invocation.deadline is None:
                timed_out = time.monotonic() - assigned > self.config.init_timeout
                limit = self.config.init_timeout
            else:
                timed_out = invocation.remaining_seconds() <= 0
                limit = self.config.timeout
            if timed_out:
                message = (
                    f"RequestId: {invocation.request_id} "
                    f"Error: Task timed out after {limit:.2f} seconds"
                )
                if invocation.fail(FunctionError.service("Sandbox.Timedout", message)):
                    log.info("[%s] %s", invocation.request_id, message)
                self.kill("timeout")
                break
        self._report(invocation, assigned)
        with self._lock:
            if self._current is invocation:
                self._current = None
        self._free_if_ready()

    # --- availability --------------------------------------------------------------------
    def _runtime_waiting(self) -> None:
        self._free_if_ready()

    def _free_if_ready(self) -> None:
        """Free for the next invocation once both happened: the last invocation ended and the
        runtime polls ``/next`` again (a runtime that dies after a response never gets one)."""
        with self._lock:
            ready = (
                self._current is None
                and not self._handed_out
                and self._killed_because is None
                and self._init_error is None
                and not self.dead.is_set()
                and self.runtime_api.idle()
            )
            self._handed_out = self._handed_out or ready
        if ready:
            self._on_free(self)

    def _report(self, invocation: Invocation, assigned: float) -> None:
        duration_ms = (time.monotonic() - assigned) * 1000
        memory = _peak_memory_mb(self.pid)
        for line in (
            f"END RequestId: {invocation.request_id}",
            f"REPORT RequestId: {invocation.request_id}\tDuration: {duration_ms:.2f} ms\t"
            f"Memory Size: {self.config.memory_mb} MB\tMax Memory Used: {memory} MB",
        ):
            log.info("[%s] %s", invocation.request_id, line)
            invocation.add_log(line.encode() + b"\n")

    # --- process lifecycle ---------------------------------------------------------------
    def _exit_status(self, wait: float) -> int | None:
        if self._process is None:
            return None
        try:
            return self._process.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            return None

    def _init_failed(self, error: FunctionError) -> None:
        log.warning("[sandbox %d] init error %s: %s", self.number, error.error_type, error.message)
        with self._lock:
            self._init_error = error
            invocation = self._current
        if invocation is not None:
            invocation.fail(error)

    def _monitor(self) -> None:
        assert self._process is not None
        status = self._process.wait()
        with self._lock:
            invocation, reason, init_error = self._current, self._killed_because, self._init_error
        self.dead.set()
        if reason is None:
            log.warning("[sandbox %d] runtime exited with status %s", self.number, status)
        if invocation is not None:
            invocation.fail(init_error or FunctionError.exit_error(invocation.request_id, status))
        self.runtime_api.stop()
        self._on_dead(self)

    def _pump_logs(self) -> None:
        assert self._process is not None and self._process.stdout is not None
        for line in self._process.stdout:
            with self._lock:
                invocation = self._current
            prefix = invocation.request_id if invocation else f"sandbox {self.number}"
            log.info("[%s] %s", prefix, line.decode("utf-8", "replace").rstrip("\n"))
            if invocation is not None:
                invocation.add_log(line)
        self._process.stdout.close()


def _peak_memory_mb(pid: int | None) -> int:
    """The process's peak resident set size (Linux ``VmHWM``), 0 when unknown."""
    if pid is None:
        return 0
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) // 1024
    return 0

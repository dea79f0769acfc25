"""One execution environment: a ``runtime/bootstrap`` process, its Runtime API, its logs, its clock.

A classic sandbox runs invocations one at a time. It starts the real bootstrap with Lambda's
environment, attributes the process's output to the current request id, enforces the timeout
(SIGKILL of the whole process group, ``Sandbox.Timedout``), and reports crashes
(``Runtime.ExitError``) and init errors to the invocations that were waiting. A dead sandbox is
never reused: the pool (``function.py``) starts a fresh one, as Lambda does.

With ``max_concurrency`` N > 1 it models a Lambda Managed Instances environment: up to N
invocations at once, each handed to a worker that polls ``/next``; at an invocation's timeout
the caller gets ``Sandbox.Timedout`` but nothing is killed, as "Lambda Managed Instances does not
forcibly terminate your code"
(https://docs.aws.amazon.com/lambda/latest/dg/lambda-managed-instances-execution-environment.html);
logs must be JSON (``sandbox_logs.py``).
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

from emulator.cold_starts import NoStartSlot, StartSlot
from emulator.config import FunctionConfig, lambda_environment
from emulator.function_logs import memory_warning, timeout_message
from emulator.invocation import FunctionError, Invocation
from emulator.runtime_api import RuntimeApi, State
from emulator.sandbox_logs import SandboxLogs

log = logging.getLogger("emulator.function")


class SandboxGone(Exception):
    """The sandbox's runtime process has exited: the invocation must go to another one."""


_WATCH_INTERVAL = 0.05
_EXITED_NOWAIT = os.WEXITED | os.WNOHANG | os.WNOWAIT
# Where Lambda tells a Managed Instances runtime to connect its workers' output (see
# sandbox_logs.py); the runtime may also keep writing to stdout.
LOG_SOCKET_VARIABLE = "_LAMBDA_TELEMETRY_LOG_FD_PROVIDER_SOCKET"


class Sandbox:
    """A runtime process and its Runtime API. ``on_free`` is called once per worker that can
    take another invocation, ``on_dead`` once when the sandbox is gone for good, after
    ``on_orphan`` for each invocation it was given but never delivered to its runtime."""

    def __init__(
        self,
        config: FunctionConfig,
        *,
        number: int,
        on_free: Callable[["Sandbox"], None],
        on_dead: Callable[["Sandbox"], None],
        on_orphan: Callable[[Invocation], None] = lambda _invocation: None,
    ) -> None:
        self.config = config
        self.number = number
        self._on_free = on_free
        self._on_dead = on_dead
        self._on_orphan = on_orphan
        self._lock = threading.Lock()
        self._running: dict[str, Invocation] = {}
        self._init_error: FunctionError | None = None
        self._killed_because: str | None = None
        self._tokens = 1  # free workers the pool holds; it starts for an invocation
        self.dead = threading.Event()
        self.runtime_api = RuntimeApi(
            name=f"runtime-api-{number}",
            exit_status=self._exit_status,
            on_init_error=self._init_failed,
            on_waiting=self._free_if_ready,
            shape_bandwidth=config.shape_bandwidth,
            max_concurrency=config.max_concurrency,
            runtime_exited=self.exited,
        )
        self.logs = SandboxLogs(number, json_only=config.managed_instances, running=self.running)
        self._process: subprocess.Popen[bytes] | None = None
        self._start_slot = StartSlot()  # cold starts are paced (cold_starts.py)

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def running(self) -> dict[str, Invocation]:
        """The invocations assigned here and not finished, by request id."""
        with self._lock:
            return dict(self._running)

    def start(self) -> None:
        """Start the Runtime API, then the bootstrap process against it."""
        bootstrap = Path(self.config.bootstrap)
        if not bootstrap.is_file():
            raise FileNotFoundError(f"runtime bootstrap not found: {bootstrap} (see --bootstrap)")
        refused = self._start_slot.take()
        if refused is not None:
            raise NoStartSlot(refused)
        self.runtime_api.start()
        env = lambda_environment(self.config, self.runtime_api.address)
        if self.config.managed_instances:
            env[LOG_SOCKET_VARIABLE] = self.logs.open_socket()
        self._process = subprocess.Popen(
            [str(bootstrap)],
            cwd=self.config.code_dir,
            env=env,
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
        """Run ``invocation`` here; the pool must hold one of this sandbox's free workers.

        Raises ``SandboxGone`` if the runtime process has already exited (its worker's token
        may still be in the pool: a runtime can die while it waits in ``/next``).
        """
        with self._lock:  # token spent and invocation queued at once, for _free_if_ready
            if self.dead.is_set() or self.exited():
                raise SandboxGone(f"sandbox {self.number} has exited")
            self._running[invocation.request_id] = invocation
            self._tokens = max(0, self._tokens - 1)
            self.runtime_api.deliver(invocation)
        start_line = f"START RequestId: {invocation.request_id} Version: $LATEST"
        log.info("[%s] %s", invocation.request_id, start_line)
        invocation.add_log(start_line.encode() + b"\n")
        threading.Thread(
            target=self._watch, args=(invocation,), name=f"sandbox-{self.number}-watch", daemon=True
        ).start()

    @property
    def settling(self) -> bool:
        """A worker finished an invocation but has not polled ``/next`` again yet (an
        answered invocation counts as finished before its watcher has reported it)."""
        with self._lock:
            busy = sum(
                1 for invocation in self._running.values() if not invocation.finished.is_set()
            )
            return (
                busy + self._tokens < self.config.max_concurrency
                and self._killed_because is None
                and not self.dead.is_set()
            )

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
        """Fail ``invocation`` with ``Sandbox.Timedout`` at its deadline; on classic Lambda
        (and for an init that never ends) also kill the sandbox."""
        assigned = time.monotonic()
        while not invocation.finished.wait(_WATCH_INTERVAL):
            if self._handed_off(invocation):
                return  # never delivered here: the sandbox it went to watches it
            if invocation.deadline is None:
                timed_out = time.monotonic() - assigned > self.config.init_timeout
                limit = self.config.init_timeout
                kill = True
            else:
                timed_out = invocation.remaining_seconds() <= 0
                limit = self.config.timeout
                kill = not self.config.managed_instances
            if timed_out:
                message = timeout_message(
                    invocation.request_id, limit, init=invocation.deadline is None
                )
                if invocation.fail(FunctionError.service("Sandbox.Timedout", message)):
                    log.info("[%s] %s", invocation.request_id, message)
                if kill:
                    self.kill("timeout")
                break
        self.logs.settle()  # the lines written before the answer belong to this invocation
        self._report(invocation, assigned)
        invocation.reported.set()
        with self._lock:
            if self._running.get(invocation.request_id) is invocation:
                del self._running[invocation.request_id]
        self._free_if_ready()

    def _handed_off(self, invocation: Invocation) -> bool:
        with self._lock:
            return self.dead.is_set() and self._running.get(invocation.request_id) is None

    # --- availability --------------------------------------------------------------------
    def _free_if_ready(self) -> None:
        """Hand the pool one token per worker that polls ``/next`` with nothing queued for it
        (a runtime that dies after a response never polls again). Classic Lambda also waits
        for the last invocation to end."""
        self._start_slot.give_back()  # the runtime asks for events: its start-up is over
        with self._lock:
            spare = 0
            if (
                self._killed_because is None
                and self._init_error is None
                and not self.dead.is_set()
                and (self.config.managed_instances or not self._running)
            ):
                spare = max(0, self.runtime_api.free_workers() - self._tokens)
            self._tokens += spare
        for _ in range(spare):
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
        warning = memory_warning(invocation.request_id, memory, self.config.memory_mb)
        if warning is not None:
            log.warning("[%s] %s", invocation.request_id, warning)
            invocation.add_log(warning.encode() + b"\n")

    # --- process lifecycle ---------------------------------------------------------------
    def exited(self) -> bool:
        """True once the runtime process has ended, even before the exit monitor (blocked in
        ``wait()``, which holds Popen's lock) has reaped it: ``WNOWAIT`` leaves it to reap."""
        if self._process is None:
            return False
        try:
            return os.waitid(os.P_PID, self._process.pid, _EXITED_NOWAIT) is not None
        except ChildProcessError:
            return True  # already reaped

    def _exit_status(self, wait: float) -> int | None:
        if self._process is None:
            return None
        try:
            return self._process.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            return None

    def _init_failed(self, error: FunctionError) -> None:
        log.warning("[sandbox %d] init error %s: %s", self.number, error.error_type, error.message)
        self._start_slot.give_back()
        with self._lock:
            self._init_error = error
            invocations = list(self._running.values())
        for invocation in invocations:
            invocation.fail(error)

    def _monitor(self) -> None:
        assert self._process is not None
        status = self._process.wait()
        # A runtime that got as far as /next was ready: an invocation it never received
        # (deadline unset) never started, and Lambda would have run it in a live
        # environment, so it goes to another sandbox. One that died during start-up fails
        # what waited for it (retrying would crash again).
        was_ready = self.runtime_api.state is State.WAITING
        with self._lock:  # dead and the snapshot at once: assign() refuses from now on
            self.dead.set()
            orphans = [
                invocation
                for invocation in self._running.values()
                if was_ready and invocation.deadline is None and not invocation.finished.is_set()
            ]
            for orphan in orphans:
                del self._running[orphan.request_id]
            invocations = list(self._running.values())
            reason, init_error = self._killed_because, self._init_error
        self._start_slot.give_back()
        if reason is None:
            log.warning("[sandbox %d] runtime exited with status %s", self.number, status)
        for invocation in invocations:
            invocation.fail(init_error or FunctionError.exit_error(invocation.request_id, status))
        self.runtime_api.stop()
        self.logs.close()
        for orphan in orphans:
            log.info("[%s] runtime exited before the event was delivered", orphan.request_id)
            self._on_orphan(orphan)
        self._on_dead(self)

    def _pump_logs(self) -> None:
        assert self._process is not None and self._process.stdout is not None
        self.logs.pump(self._process.stdout.fileno())
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

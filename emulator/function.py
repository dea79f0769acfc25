"""A function and its pool of sandboxes: where a front door's invoke becomes a running invocation.

Sandboxes start on demand (a cold start happens on the first invoke and whenever all are busy),
up to ``max_sandboxes`` running at once; beyond that an invoke is throttled, as Lambda throttles
a function at its concurrency limit (``TooManyRequestsException``, HTTP 429). Dead sandboxes
(crash, timeout, init error) leave the pool and the next invoke starts a fresh one; an invoke
never runs in a sandbox whose runtime has exited (one that died waiting in ``/next``, after its
answer), it goes to a live or fresh one.

On Lambda Managed Instances (``max_concurrency`` > 1) a sandbox takes invocations while one of
its workers waits in ``/next``; when every worker of every sandbox is busy the invoke is
throttled the same way, as "Lambda Managed Instances might reject new invokes to protect invokes
that are already in flight" with HTTP 429
(https://docs.aws.amazon.com/lambda/latest/dg/lambda-managed-instances-troubleshooting.html).
"""

import logging
import threading
import time

from emulator.cold_starts import NoStartSlot
from emulator.config import FunctionConfig
from emulator.invocation import FunctionError, Invocation, InvocationRequest
from emulator.sandbox import Sandbox, SandboxGone

log = logging.getLogger(__name__)
_SETTLE_SECONDS = 1.0


class Throttled(Exception):
    """Every sandbox is busy and the pool is at ``max_sandboxes``."""


class Function:
    """One emulated function. Thread-safe: every front-door thread calls ``invoke``."""

    def __init__(self, config: FunctionConfig, *, max_sandboxes: int = 4) -> None:
        if max_sandboxes < 1:
            raise ValueError("max_sandboxes must be at least 1")
        self.config = config
        self.max_sandboxes = max_sandboxes
        self._cond = threading.Condition()
        self._free: list[Sandbox] = []  # one entry per free worker
        self._all: set[Sandbox] = set()
        self._started = 0
        self._closed = False

    @property
    def name(self) -> str:
        return self.config.function_name

    @property
    def sandbox_count(self) -> int:
        with self._cond:
            return len(self._all)

    def invoke(self, request: InvocationRequest, *, wait: bool = False) -> Invocation:
        """Start ``request`` on a free or new sandbox and return at once; read its events.

        Raises ``Throttled`` when the pool is full, unless ``wait`` (asynchronous invokes
        queue until a sandbox frees up, as Lambda's event queue does).
        """
        limit = (
            self.config.streamed_response_limit
            if request.streaming
            else self.config.buffered_response_limit
        )
        invocation = Invocation(
            request,
            function_arn=self.config.arn,
            timeout=self.config.timeout,
            max_response_bytes=limit,
        )
        self._run(invocation, wait=wait)
        return invocation

    def _run(self, invocation: Invocation, *, wait: bool) -> None:
        while True:
            sandbox = self._acquire(wait=wait)
            try:
                sandbox.assign(invocation)
                return
            except SandboxGone:
                self._retire(sandbox)  # its monitor retires it too; do not hand it out again

    def _rerun(self, invocation: Invocation) -> None:
        """Run an invocation whose sandbox died before delivering it (in its own thread: a
        cold start may wait for a start slot)."""

        def run() -> None:
            try:
                self._run(invocation, wait=False)
            except Throttled as throttled:
                invocation.fail(FunctionError.service("TooManyRequestsException", str(throttled)))
            except Exception as error:  # a sandbox that cannot start: say so, do not hang
                invocation.fail(FunctionError.service("ServiceException", str(error)))

        threading.Thread(target=run, name=f"rerun-{invocation.request_id}", daemon=True).start()

    def close(self) -> None:
        """Kill every sandbox and wait for them to be gone."""
        with self._cond:
            self._closed = True
            sandboxes = list(self._all)
            self._cond.notify_all()
        for sandbox in sandboxes:
            sandbox.kill("emulator shutting down")
        for sandbox in sandboxes:
            sandbox.dead.wait(timeout=10)

    def _acquire(self, *, wait: bool) -> Sandbox:
        # Managed Instances environments are initialised before they take traffic: while a
        # sandbox's workers are still starting, an invoke waits for one instead of a 429.
        settle = self.config.init_timeout if self.config.managed_instances else _SETTLE_SECONDS
        settle_until = time.monotonic() + settle
        with self._cond:
            while True:
                if self._closed:
                    raise Throttled("the emulator is shutting down")
                if self._free:
                    return self._free.pop()
                if time.monotonic() < settle_until and any(s.settling for s in self._all):
                    # A sandbox just answered and is about to poll /next: reuse it (a warm
                    # start) rather than start another for a client invoking in sequence.
                    self._cond.wait(timeout=0.05)
                    continue
                if any(s.dead.is_set() for s in self._all):
                    # Its runtime exited and it is being retired: a slot frees up at once.
                    self._cond.wait(timeout=0.05)
                    continue
                if len(self._all) < self.max_sandboxes:
                    self._started += 1
                    sandbox = Sandbox(
                        self.config,
                        number=self._started,
                        on_free=self._release,
                        on_dead=self._retire,
                        on_orphan=self._rerun,
                    )
                    self._all.add(sandbox)
                    break
                if not wait:
                    raise Throttled(self._busy_message())
                self._cond.wait()
        try:
            sandbox.start()
        except NoStartSlot as refused:
            self._retire(sandbox)
            raise Throttled(str(refused)) from refused
        except Exception:
            self._retire(sandbox)
            raise
        return sandbox

    def _busy_message(self) -> str:
        if self.config.managed_instances:
            return (
                f"every worker of the {self.max_sandboxes} sandbox(es) of {self.name} is busy "
                f"({self.config.max_concurrency} each; raise --max-concurrency or "
                "--max-sandboxes to run more invocations at once)"
            )
        return (
            f"all {self.max_sandboxes} sandboxes of {self.name} are busy "
            "(raise --max-sandboxes to run more invocations at once)"
        )

    def _release(self, sandbox: Sandbox) -> None:
        with self._cond:
            if sandbox in self._all and not self._closed:
                self._free.append(sandbox)
                self._cond.notify()

    def _retire(self, sandbox: Sandbox) -> None:
        with self._cond:
            if sandbox not in self._all:
                return
            self._all.discard(sandbox)
            self._free = [free for free in self._free if free is not sandbox]
            self._cond.notify_all()
        log.info("[sandbox %d] retired; the next invoke starts a fresh one", sandbox.number)

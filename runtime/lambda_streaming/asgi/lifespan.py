"""The ASGI lifespan protocol (https://asgi.readthedocs.io/en/latest/specs/lifespan.html) on Lambda.

Owns: running the app's ``lifespan`` scope once per process, as one long-lived task on the
runtime's event loop, so that what startup creates (an ``httpx.AsyncClient``, the MCP SDK's
session manager and its task group) belongs to the loop that serves the requests; the lifespan
``state`` that each request's scope gets a copy of; ``shutdown`` on SIGTERM.

Does not: serve requests (``cycle.py``).

When it runs: under this runtime, during Lambda's init (``streamify_response(on_init=...)``), on the
event loop the handlers then run on; a failing startup is the function's init error
(``/init/error``), and Lambda starts a new environment. Where nothing runs the init hooks (the
module imported by a test), startup completes before the first request instead, and a failed
startup fails that request and is tried again by the next. Shutdown runs when
Lambda sends SIGTERM, which it does only when an extension is registered, with about 300 ms to
spare (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html#runtimes-lifecycle-shutdown);
otherwise never.

Modes, as uvicorn's ``--lifespan``: ``"auto"`` treats an app that raises before answering
``lifespan.startup`` as one without lifespan support, ``"on"`` reports that as a failure,
``"off"`` never sends the scope.
"""

from __future__ import annotations

import os
import sys

from .scope import ASGI_VERSION

TYPE_CHECKING = False
if TYPE_CHECKING:
    import asyncio
    from collections.abc import Awaitable, Callable
    from types import FrameType

    Message = dict[str, object]
    # Loose on purpose: frameworks type their own scope/receive/send (Starlette's ASGIApp
    # uses MutableMapping[str, Any]); any ASGI 3 callable must be accepted.
    App = Callable[..., Awaitable[None]]

LIFESPAN_MODES = ("auto", "on", "off")


class LifespanStartupError(Exception):
    """The app's lifespan startup failed (``lifespan.startup.failed``, or it raised)."""

    error_type = "Function.LifespanStartupFailed"


class Lifespan:
    """The lifespan of one app in this process."""

    def __init__(self, app: App, mode: str, *, shutdown_timeout: float = 0.25) -> None:
        if mode not in LIFESPAN_MODES:
            raise ValueError(f"lifespan={mode!r}: use 'auto', 'on' or 'off'")
        self._app = app
        self._mode = mode
        self._shutdown_timeout = shutdown_timeout
        self.state: dict[str, object] = {}
        self.ready = mode == "off"  # the hot path checks only this
        self._starting: asyncio.Future[None] | None = None
        self._queue: asyncio.Queue[Message] | None = None
        self._shutdown_done: asyncio.Future[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None

    async def startup(self) -> None:
        """Run startup once; concurrent first requests all wait for the same one."""
        import asyncio

        if self._starting is None:
            self._starting = asyncio.ensure_future(self._startup())
        starting = self._starting
        try:
            await asyncio.shield(starting)
        except LifespanStartupError:
            if self._starting is starting:
                self._starting = None  # the next invocation starts the app again
            raise

    async def _startup(self) -> None:
        import asyncio

        loop = asyncio.get_running_loop()
        started: asyncio.Future[bool] = loop.create_future()
        stopped: asyncio.Future[None] = loop.create_future()
        queue: asyncio.Queue[Message] = asyncio.Queue()
        queue.put_nowait({"type": "lifespan.startup"})
        scope: dict[str, object] = {
            "type": "lifespan",
            "asgi": dict(ASGI_VERSION),
            "state": self.state,
        }

        async def send(message: Message) -> None:
            kind = message.get("type")
            if kind == "lifespan.startup.complete" and not started.done():
                started.set_result(True)
            elif kind == "lifespan.startup.failed" and not started.done():
                started.set_exception(LifespanStartupError(_reason(message)))
            elif kind in ("lifespan.shutdown.complete", "lifespan.shutdown.failed"):
                if kind.endswith("failed"):
                    _log(f"ASGI lifespan shutdown failed: {_reason(message)}")
                if not stopped.done():
                    stopped.set_result(None)

        async def run() -> None:
            try:
                await self._app(scope, queue.get, send)
            except Exception as error:
                if not started.done():
                    if self._mode == "auto":
                        started.set_result(False)
                    else:
                        failure = LifespanStartupError(f"{type(error).__name__}: {error}")
                        started.set_exception(failure)
                elif not stopped.done():
                    _log(f"ASGI lifespan raised {type(error).__name__}: {error}")
            finally:
                if not started.done():  # returned without answering startup
                    started.set_result(False)
                if not stopped.done():
                    stopped.set_result(None)

        task = loop.create_task(run())
        supported = await started  # raises LifespanStartupError
        if supported:
            self._queue, self._shutdown_done, self._loop = queue, stopped, loop
            self._task = task  # keep a reference: the loop holds tasks only weakly
            _on_sigterm(self._sigterm)
        self.ready = True

    async def shutdown(self) -> None:
        """Send ``lifespan.shutdown`` and wait (bounded) for the app to finish it."""
        import asyncio

        queue, done = self._queue, self._shutdown_done
        if queue is None or done is None:
            return
        self._queue = None
        queue.put_nowait({"type": "lifespan.shutdown"})
        try:
            await asyncio.wait_for(asyncio.shield(done), self._shutdown_timeout)
        except TimeoutError:
            _log(f"ASGI lifespan shutdown took longer than {self._shutdown_timeout} s")

    def _sigterm(self, then: Callable[[], None]) -> None:
        """Shut the app down, then call ``then`` (which may end the process)."""
        loop = self._loop
        if loop is None or loop.is_closed():
            then()
        elif loop.is_running():
            # The signal interrupted a request (or a runtime that keeps its loop running):
            # shut down on the loop, and end the process only once that is done.
            task = loop.create_task(self.shutdown())
            task.add_done_callback(lambda _: then())
            import threading

            threading.Thread(target=self._drive, args=(loop, task), daemon=True).start()
        else:
            try:
                loop.run_until_complete(self.shutdown())
            finally:
                then()

    def _drive(self, loop: asyncio.AbstractEventLoop, task: asyncio.Task[None]) -> None:
        """Run ``task`` if the loop stops first: a runtime that runs its loop per request
        stops it when the interrupted request ends, and then waits for an event that will
        not come (Lambda is shutting down), which would leave the shutdown unrun."""
        import time

        deadline = time.monotonic() + self._shutdown_timeout + 1.0
        while not task.done() and time.monotonic() < deadline:
            if not loop.is_running():
                try:
                    loop.run_until_complete(task)
                except RuntimeError:  # the loop started again in between: it runs the task
                    continue
                return
            time.sleep(0.005)


def _on_sigterm(callback: Callable[[Callable[[], None]], None]) -> None:
    """On SIGTERM, call ``callback`` with what the signal did before (by default: exit)."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return  # signal handlers can only be set from the main thread
    previous = signal.getsignal(signal.SIGTERM)

    def handle(signum: int, frame: FrameType | None) -> None:
        signal.signal(signal.SIGTERM, previous)

        def then() -> None:
            if callable(previous):
                previous(signum, frame)
            elif previous == signal.SIG_DFL:
                os.kill(os.getpid(), signal.SIGTERM)

        callback(then)

    signal.signal(signal.SIGTERM, handle)


def _reason(message: Message) -> str:
    return str(message.get("message") or "no message given")


def _log(text: str) -> None:
    sys.stdout.write(f"[WARNING] {text}\n")

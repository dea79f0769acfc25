"""Concurrent mode for sync handlers: N workers, each the classic one-at-a-time loop.

A sync handler blocks its thread for the whole invocation, so N invocations need N workers.
By default they are processes forked after the handler module is imported: the function's
init (imports, clients, models) is done once and its memory pages are shared copy-on-write,
each worker has its own GIL, and a worker that crashes takes only its own invocation down
(the parent starts another). ``LAMBDA_STREAMING_SYNC_WORKERS=threads`` runs them as threads
of one process instead: less memory per worker, but one GIL (see README, "Many streams per
environment"). Each worker has its own Runtime API connection and never sets
``_X_AMZN_TRACE_ID`` (process-wide state would mix invocations; ``context`` carries it).
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time

from . import logs
from .dispatch import Dispatcher
from .log_lines import connect_log_socket
from .loop import run
from .runtime_api import RuntimeApiClient, RuntimeApiError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from .config import RuntimeConfig

# A worker exiting with this status lost the Runtime API: the environment is over.
EXIT_RUNTIME_API_ERROR = 2
# Workers that die faster than this, this many times in a row, are not restarted.
CRASH_WINDOW_SECONDS = 1.0
MAX_QUICK_CRASHES = 10


def serve_processes(
    config: RuntimeConfig, handler: Callable[..., object], before: Callable[[], None]
) -> int:
    """Fork ``config.max_concurrency`` workers; restart any that crash. Returns the exit code
    once a worker reports the Runtime API gone (or workers keep dying at start)."""
    children: dict[int, float] = {}
    for _ in range(config.max_concurrency):
        pid = _fork_worker(config, handler, before)
        children[pid] = time.monotonic()
    signal.signal(signal.SIGTERM, lambda *_: _stop(children, signal.SIGTERM))
    quick_crashes = 0
    while children:
        pid, status = os.wait()
        started = children.pop(pid, None)
        if started is None:
            continue
        code = os.waitstatus_to_exitcode(status)
        if code == EXIT_RUNTIME_API_ERROR:
            _stop(children, signal.SIGKILL)
            return EXIT_RUNTIME_API_ERROR
        quick = time.monotonic() - started < CRASH_WINDOW_SECONDS
        quick_crashes = quick_crashes + 1 if quick else 0
        logs.runtime_log(
            "ERROR", f"worker process {pid} exited ({_describe(code)}); starting another"
        )
        if quick_crashes >= MAX_QUICK_CRASHES:
            logs.runtime_log("ERROR", "workers keep crashing at start; the runtime stops")
            _stop(children, signal.SIGKILL)
            return 1
        children[_fork_worker(config, handler, before)] = time.monotonic()
    return 0


def serve_threads(
    config: RuntimeConfig, handler: Callable[..., object], before: Callable[[], None]
) -> int:
    """Run ``config.max_concurrency`` worker threads; return 2 once the Runtime API is gone."""
    lost = threading.Event()

    def work() -> None:
        try:
            _loop(config, handler, before)
        except RuntimeApiError as error:
            logs.runtime_log("ERROR", f"Runtime.ApiError: {error}; the runtime stops")
            lost.set()

    for number in range(config.max_concurrency):
        threading.Thread(target=work, name=f"worker-{number}", daemon=True).start()
    lost.wait()
    return EXIT_RUNTIME_API_ERROR


def _fork_worker(
    config: RuntimeConfig, handler: Callable[..., object], before: Callable[[], None]
) -> int:
    pid = os.fork()
    if pid:
        return pid
    # The child: never return into the parent's code, never run its atexit handlers.
    code = 0
    try:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        _exit_with_parent(os.getppid())
        connect_log_socket(config.log_socket)
        _loop(config, handler, before)
    except RuntimeApiError as error:
        logs.runtime_log("ERROR", f"Runtime.ApiError: {error}; the worker stops")
        code = EXIT_RUNTIME_API_ERROR
    except BaseException as error:  # the worker's last word, then exit
        logs.runtime_log("ERROR", f"worker failed: {error!r}")
        code = 1
    finally:
        os._exit(code)


def _loop(
    config: RuntimeConfig, handler: Callable[..., object], before: Callable[[], None]
) -> None:
    client = RuntimeApiClient(config.runtime_api)
    run(client, Dispatcher(client, config, handler), before_invocation=before, expose_trace=False)


def _exit_with_parent(parent: int) -> None:
    """End this worker once its parent is gone (a worker is useless on its own)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _stop(children: dict[int, float], how: signal.Signals) -> None:
    for pid in list(children):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, how)
    if how is signal.SIGTERM:
        raise SystemExit(0)


def _describe(code: int) -> str:
    return f"signal {-code}" if code < 0 else f"status {code}"

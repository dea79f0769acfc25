"""Which concurrent mode serves the function, chosen once after the handler is imported.

``async def`` handlers (buffered, Node style, async generators, the ASGI adapter) run as tasks
on one event loop (``concurrent.py``). Anything else blocks a thread per invocation and runs on
worker processes forked after import, or threads when ``LAMBDA_STREAMING_SYNC_WORKERS=threads``
(``workers.py``). Classic Lambda (concurrency 1) never imports this module.
"""

from __future__ import annotations

import inspect

from lambda_streaming.api.streamify import StreamingHandler

from . import logs
from .log_lines import connect_log_socket, install

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from .config import RuntimeConfig
    from .runtime_api import RuntimeApiClient

EXIT_RUNTIME_API_ERROR = 2


def is_async(handler: Callable[..., object]) -> bool:
    """Whether the handler awaits (so many invocations can share one thread)."""
    function = handler.function if isinstance(handler, StreamingHandler) else handler
    return inspect.iscoroutinefunction(function) or inspect.isasyncgenfunction(function)


def serve_concurrently(
    client: RuntimeApiClient,
    config: RuntimeConfig,
    handler: Callable[..., object],
    before: Callable[[], None],
) -> int:
    """Serve ``config.max_concurrency`` invocations at once; return the process's exit code."""
    client.close()  # each worker opens its own connection
    install()
    mode = "async" if is_async(handler) else config.sync_workers
    logs.runtime_log(
        "INFO", f"concurrent mode: {config.max_concurrency} invocations at once ({mode})"
    )
    if mode == "processes":
        from .workers import serve_processes

        return serve_processes(config, handler, before)
    connect_log_socket(config.log_socket)
    if mode == "threads":
        from .workers import serve_threads

        return serve_threads(config, handler, before)
    from .concurrent import serve
    from .runtime_api import RuntimeApiError

    try:
        serve(config, handler, before)
    except* RuntimeApiError as group:
        logs.runtime_log("ERROR", f"Runtime.ApiError: {group.exceptions[0]}; the runtime stops")
    return EXIT_RUNTIME_API_ERROR

"""The runtime process: read the environment, load the handler, serve until Lambda stops us.

The only module that exits the process. Exit codes: 1 when the function cannot start (after
reporting it to ``/init/error`` whenever the Runtime API is known), 2 when the Runtime API
cannot be reached or stops answering.
"""

from __future__ import annotations

import os
import sys

from .api.errors import error_type
from .api.streamify import StreamingHandler
from .internals import aio, logs
from .internals.config import RUNTIME_API_ENV, ConfigError, RuntimeConfig, log_settings
from .internals.dispatch import Dispatcher
from .internals.failures import error_payload
from .internals.loader import load_handler
from .internals.loop import run
from .internals.marshal import marshal_result, preload_encoder
from .internals.runtime_api import AnswerLost, RuntimeApiClient, RuntimeApiError

# Where Lambda extracts the function's layers.
LAYER_ROOT = "/opt"
EXIT_INIT_ERROR = 1
EXIT_RUNTIME_API_ERROR = 2


def main() -> int:
    try:
        config = RuntimeConfig.from_environ(os.environ, cwd=os.getcwd())
    except ConfigError as error:
        logs.configure(*log_settings(os.environ))
        return _init_failed(os.environ.get(RUNTIME_API_ENV, ""), error)
    logs.configure(config.log_format, config.log_level)
    try:
        return _serve(RuntimeApiClient(config.runtime_api), config)
    except RuntimeApiError as error:
        logs.runtime_log("ERROR", f"Runtime.ApiError: {error}; the runtime stops")
        return EXIT_RUNTIME_API_ERROR


def _serve(client: RuntimeApiClient, config: RuntimeConfig) -> int:
    _set_import_path(config)
    try:
        handler = load_handler(config.handler)
        on_init = getattr(handler, "on_init", None)  # streamify_response(on_init=...)
        if on_init is not None and isinstance(handler, StreamingHandler):
            result = on_init()
            if hasattr(result, "__await__"):  # an awaitable: collections.abc costs cold start
                aio.run(result)
    except Exception as error:  # anything the handler's module or its set-up raises
        return _init_failed(client, error)
    logging_bridge = logs.LoggingBridge(config)
    logging_bridge.sync()
    if not isinstance(handler, StreamingHandler):
        preload_encoder()  # every buffered answer goes through it: load it during init
    if config.max_concurrency > 1:  # Lambda Managed Instances
        from .internals.modes import serve_concurrently

        return serve_concurrently(client, config, handler, logging_bridge.sync)
    run(client, Dispatcher(client, config, handler), before_invocation=logging_bridge.sync)
    return 0


def _init_failed(client: RuntimeApiClient | str, error: BaseException) -> int:
    """Log why the function cannot start and tell Lambda through ``/init/error`` if we can."""
    payload = error_payload(error, None)
    logs.log_error(payload)
    try:
        if isinstance(client, str):  # the configuration failed: reach the API if it is known
            client = RuntimeApiClient(client)
        client.post_init_error(error_type(error), marshal_result(payload)[0])
    except (RuntimeApiError, AnswerLost) as unreachable:
        logs.runtime_log("ERROR", f"could not report the init error to Lambda: {unreachable}")
    return EXIT_INIT_ERROR


def _set_import_path(config: RuntimeConfig) -> None:
    """The function's directory first, then its layers, as on the managed Python runtime.

    Layer paths: https://docs.aws.amazon.com/lambda/latest/dg/packaging-layers.html#packaging-layers-paths
    """
    version = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    wanted = [
        config.task_root,
        f"{LAYER_ROOT}/python/lib/{version}/site-packages",
        f"{LAYER_ROOT}/python",
    ]
    sys.path[:0] = [path for path in wanted if path not in sys.path]


if __name__ == "__main__":
    sys.exit(main())

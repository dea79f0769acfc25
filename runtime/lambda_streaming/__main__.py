"""The runtime process: read the environment, load the handler, serve until Lambda stops us.

The only module that exits the process. Exit codes: 1 when the function cannot start (after
reporting it to ``/init/error``), 2 when the Runtime API is unusable.
"""

from __future__ import annotations

import os
import sys

from .api.errors import error_payload, error_type, log_error
from .internals.config import ConfigError, RuntimeConfig
from .internals.dispatch import Dispatcher
from .internals.loader import load_handler
from .internals.logs import LoggingBridge
from .internals.loop import run
from .internals.marshal import marshal_result
from .internals.runtime_api import RuntimeApiClient, RuntimeApiError

EXIT_INIT_ERROR = 1
EXIT_RUNTIME_API_ERROR = 2


def main() -> int:
    try:
        config = RuntimeConfig.from_environ(os.environ, cwd=os.getcwd())
    except ConfigError as error:
        # Without a valid environment there may be no Runtime API to tell: the log must do.
        sys.stdout.write(f"[ERROR] {error.error_type}: {error}\n")
        return EXIT_INIT_ERROR
    try:
        return _serve(RuntimeApiClient(config.runtime_api), config)
    except RuntimeApiError as error:
        sys.stdout.write(f"[ERROR] Runtime.ApiError: {error}; the runtime stops\n")
        return EXIT_RUNTIME_API_ERROR


def _serve(client: RuntimeApiClient, config: RuntimeConfig) -> int:
    if config.task_root not in sys.path:
        sys.path.insert(0, config.task_root)
    try:
        handler = load_handler(config.handler)
    except Exception as error:  # anything the handler's module raises while importing
        payload = error_payload(error, None)
        log_error(payload, config.log_format)
        client.post_init_error(error_type(error), marshal_result(payload)[0])
        return EXIT_INIT_ERROR
    logging_bridge = LoggingBridge(config)
    logging_bridge.sync()
    run(client, Dispatcher(client, config, handler), before_invocation=logging_bridge.sync)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The runtime's settings, read once from the environment Lambda gives the process.

The only module that reads environment variables, and only when ``__main__`` hands it the
mapping: nothing is read at import time. Names: Lambda docs "Defined runtime environment
variables".
"""

from __future__ import annotations

from lambda_streaming.api.errors import FaultError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

RUNTIME_API_ENV = "AWS_LAMBDA_RUNTIME_API"
HANDLER_ENV = "_HANDLER"
TASK_ROOT_ENV = "LAMBDA_TASK_ROOT"
FUNCTION_NAME_ENV = "AWS_LAMBDA_FUNCTION_NAME"
FUNCTION_VERSION_ENV = "AWS_LAMBDA_FUNCTION_VERSION"
MEMORY_SIZE_ENV = "AWS_LAMBDA_FUNCTION_MEMORY_SIZE"
LOG_GROUP_ENV = "AWS_LAMBDA_LOG_GROUP_NAME"
LOG_STREAM_ENV = "AWS_LAMBDA_LOG_STREAM_NAME"
LOG_FORMAT_ENV = "AWS_LAMBDA_LOG_FORMAT"
LOG_LEVEL_ENV = "AWS_LAMBDA_LOG_LEVEL"
MAX_CONCURRENCY_ENV = "AWS_LAMBDA_MAX_CONCURRENCY"
# Managed Instances: where workers may send their output (see internals/log_lines.py).
LOG_SOCKET_ENV = "_LAMBDA_TELEMETRY_LOG_FD_PROVIDER_SOCKET"
# Ours: how sync handlers run concurrently, "processes" (default) or "threads".
SYNC_WORKERS_ENV = "LAMBDA_STREAMING_SYNC_WORKERS"
_SYNC_WORKERS = ("processes", "threads")
# Ours: log what the runtime itself does (connections, chunks) at DEBUG.
DEBUG_ENV = "LAMBDA_STREAMING_DEBUG"

_LOG_FORMATS = ("Text", "JSON")


class ConfigError(FaultError):
    """The environment cannot run a function; the message says which variable to fix."""

    error_type = "Runtime.InvalidEnvironment"


class RuntimeConfig:
    """Frozen settings of one runtime process."""

    __slots__ = (
        "debug",
        "function_name",
        "function_version",
        "handler",
        "log_format",
        "log_group_name",
        "log_level",
        "log_socket",
        "log_stream_name",
        "max_concurrency",
        "memory_limit_in_mb",
        "runtime_api",
        "sync_workers",
        "task_root",
    )

    runtime_api: str
    handler: str
    task_root: str
    function_name: str | None
    function_version: str | None
    memory_limit_in_mb: str | None
    log_group_name: str | None
    log_stream_name: str | None
    log_format: str
    log_level: str | None
    debug: bool
    max_concurrency: int
    sync_workers: str
    log_socket: str | None

    def __init__(self, **settings: object) -> None:
        for name in self.__slots__:
            object.__setattr__(self, name, settings[name])

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"RuntimeConfig is frozen; cannot set {name!r}")

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"RuntimeConfig({fields})"

    @classmethod
    def from_environ(cls, environ: Mapping[str, str], *, cwd: str = ".") -> RuntimeConfig:
        """Validate and freeze the settings; raise ``ConfigError`` saying what to fix."""
        runtime_api = environ.get(RUNTIME_API_ENV, "")
        if not runtime_api:
            raise ConfigError(
                f"{RUNTIME_API_ENV} is not set: this process must be started by Lambda "
                "(or by the local emulator: python -m emulator)"
            )
        handler = environ.get(HANDLER_ENV, "")
        if not handler:
            raise ConfigError(
                f"{HANDLER_ENV} is not set: set the function's handler to 'module.function'"
            )
        max_concurrency = _max_concurrency(environ.get(MAX_CONCURRENCY_ENV) or "1")
        sync_workers = environ.get(SYNC_WORKERS_ENV) or "processes"
        if sync_workers not in _SYNC_WORKERS:
            raise ConfigError(
                f"{SYNC_WORKERS_ENV}={sync_workers}: use 'processes' (the default) or 'threads'"
            )
        log_format, log_level = log_settings(environ)
        return cls(
            runtime_api=runtime_api,
            handler=handler,
            task_root=environ.get(TASK_ROOT_ENV) or cwd,
            function_name=environ.get(FUNCTION_NAME_ENV),
            function_version=environ.get(FUNCTION_VERSION_ENV),
            memory_limit_in_mb=environ.get(MEMORY_SIZE_ENV),
            log_group_name=environ.get(LOG_GROUP_ENV),
            log_stream_name=environ.get(LOG_STREAM_ENV),
            log_format=log_format,
            log_level=log_level,
            debug=environ.get(DEBUG_ENV, "") not in ("", "0", "false"),
            max_concurrency=max_concurrency,
            sync_workers=sync_workers,
            log_socket=environ.get(LOG_SOCKET_ENV) or None,
        )


def log_settings(environ: Mapping[str, str]) -> tuple[str, str | None]:
    """The log format ("Text" or "JSON") and level, readable even when the rest is invalid."""
    log_format = environ.get(LOG_FORMAT_ENV) or "Text"
    if log_format not in _LOG_FORMATS:
        log_format = "Text"  # as awslambdaric: an unknown format falls back to text
    return log_format, environ.get(LOG_LEVEL_ENV) or None


def _max_concurrency(value: str) -> int:
    """``AWS_LAMBDA_MAX_CONCURRENCY``: 1 on classic Lambda, up to 1600 on Managed Instances."""
    if not value.isdigit() or not 1 <= int(value) <= 1600:
        raise ConfigError(
            f"{MAX_CONCURRENCY_ENV}={value}: expected a whole number from 1 to 1600 (the "
            "capacity provider's per-environment concurrency)"
        )
    return int(value)

"""The function's log: the runtime's own lines, and Python ``logging`` set up as on Lambda.

On the managed runtime, records from the ``logging`` module reach CloudWatch formatted with the
request id (``[INFO]\\t<time>\\t<request id>\\t<message>``) or as JSON. This runtime configures the
root logger the same way, reusing awslambdaric's formatter, but only once the function has
imported ``logging``: importing it costs ~9 ms of cold start that handlers which never log
should not pay. ``sync()`` runs after the handler module is loaded and before every invocation,
so a handler that imports ``logging`` lazily is covered from its next invocation on.
"""

from __future__ import annotations

import contextvars
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .config import RuntimeConfig

# The id of the invocation being served, for log records (a context variable, not a global,
# so async tasks and copied contexts see the right one).
request_id: contextvars.ContextVar[str] = contextvars.ContextVar("aws_request_id", default="")
tenant_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("tenant_id", default=None)

_TEXT_FORMAT = "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s\n"


class LoggingBridge:
    """Configures the root logger like awslambdaric, as soon as ``logging`` is imported."""

    __slots__ = ("_config", "_done")

    def __init__(self, config: RuntimeConfig) -> None:
        self._config = config
        self._done = False

    def sync(self) -> None:
        if not self._done and "logging" in sys.modules:
            self._done = True
            _configure_root_logger(self._config)


def _configure_root_logger(config: RuntimeConfig) -> None:
    import logging
    import time

    from awslambdaric.lambda_runtime_log_utils import JsonFormatter, _get_log_level_from_env_var

    class _StdoutHandler(logging.Handler):
        # awslambdaric's handler writes the formatted record as is: its format ends in "\n".
        def emit(self, record: logging.LogRecord) -> None:
            sys.stdout.write(self.format(record))

    class _RequestIdFilter(logging.Filter):
        def filter(self, record: logging.LogRecord) -> bool:
            record.aws_request_id = request_id.get()
            record.tenant_id = tenant_id.get()
            return True

    logging.Formatter.converter = time.gmtime
    handler = _StdoutHandler()
    if config.log_format == "JSON":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter(_TEXT_FORMAT, "%Y-%m-%dT%H:%M:%S"))
    handler.addFilter(_RequestIdFilter())
    root = logging.getLogger()
    level = _get_log_level_from_env_var(config.log_level)
    if level in logging.getLevelNamesMapping():
        root.setLevel(level)
    root.addHandler(handler)


_LEVELS = {"TRACE": 5, "DEBUG": 10, "INFO": 20, "WARN": 30, "WARNING": 30, "ERROR": 40, "FATAL": 50}
_JSON_TIME = "%Y-%m-%dT%H:%M:%SZ"  # awslambdaric's, so every JSON record reads alike


class _Sink:
    """How the runtime's own records are written: set once from the config by ``configure``."""

    __slots__ = ("json", "threshold")

    def __init__(self) -> None:
        self.json = False
        self.threshold = 0


_sink = _Sink()


def configure(log_format: str, log_level: str | None) -> None:
    """Honour ``AWS_LAMBDA_LOG_FORMAT`` and ``AWS_LAMBDA_LOG_LEVEL`` for the runtime's lines.

    Lambda docs, "Configuring advanced logging controls":
    https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-advanced.html
    """
    _sink.json = log_format == "JSON"
    _sink.threshold = _LEVELS.get((log_level or "").upper(), 0)


def runtime_log(level: str, message: str) -> None:
    """One record from the runtime itself, in the function's log, with the request id."""
    if _LEVELS.get(level, 0) >= _sink.threshold:
        _write(level, {"message": message})


def log_error(payload: dict[str, object]) -> None:
    """A failure, as awslambdaric logs it: its payload already carries the request id."""
    if _sink.json:
        _write("ERROR", payload)
        return
    description = "[ERROR]"
    if payload["errorType"]:
        description += f" {payload['errorType']}"
    if payload["errorMessage"]:
        description += f"{':' if payload['errorType'] else ''} {payload['errorMessage']}"
    lines = [description, "Traceback (most recent call last):"]
    stack = payload["stackTrace"]
    assert isinstance(stack, list)
    for element in stack:
        lines.extend(_nbsp_indent(line) for line in str(element).splitlines())
    # Carriage returns keep a multi-line error in one CloudWatch record, as awslambdaric does.
    sys.stdout.write("\r".join(lines) + "\n")


def _write(level: str, fields: dict[str, object]) -> None:
    if not _sink.json:
        message = fields["message"]
        sys.stdout.write(f"[{level}]\t{request_id.get()}\t{message}\n")
        return
    import json
    import time

    record = {"timestamp": time.strftime(_JSON_TIME, time.gmtime()), "level": level, **fields}
    record.setdefault("requestId", request_id.get())
    tenant = tenant_id.get()
    if tenant is not None:
        record.setdefault("tenantId", tenant)
    # One line per record: json.dumps escapes every line break inside the values.
    sys.stdout.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")


def _nbsp_indent(line: str) -> str:
    stripped = line.lstrip(" ")
    return "\u00a0" * (len(line) - len(stripped)) + stripped

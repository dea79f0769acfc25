"""Concurrent mode's stdout: one JSON record per line, each with its own request id.

Lambda Managed Instances "only support JSON log format"
(https://docs.aws.amazon.com/lambda/latest/dg/lambda-managed-instances-execution-environment.html),
and concurrent invocations share one stdout. ``JsonLines`` replaces ``sys.stdout`` in this
mode: a line that is already a JSON object (the runtime's records, ``logging`` with the JSON
formatter) passes as it is; any other line (``print``) becomes
``{"timestamp", "level": "INFO", "message", "requestId"}`` with the request id of the task or
thread that printed it. Each record leaves in one ``write``, and lines are assembled per thread,
so records of concurrent invocations never interleave inside one record (a pipe keeps writes
up to 4 KiB whole; a longer record can still be split by the kernel between two writers).

Where Lambda provides its telemetry log socket (``_LAMBDA_TELEMETRY_LOG_FD_PROVIDER_SOCKET``),
each worker process connects to it and sends its stdout and stderr there, as AWS's Python
runtime client does in this mode
(https://github.com/aws/aws-lambda-python-runtime-interface-client, file
awslambdaric/lambda_multi_concurrent_utils.py).
"""

from __future__ import annotations

import json
import os
import socket
import sys
import threading
import time

from . import logs

_JSON_TIME = "%Y-%m-%dT%H:%M:%SZ"


class JsonLines:
    """A text stream that writes whole JSON records to ``raw``."""

    encoding = "utf-8"
    errors = "replace"

    def __init__(self, raw: object) -> None:
        self._raw = raw
        self._pending = threading.local()

    def write(self, text: str) -> int:
        pending: str = getattr(self._pending, "text", "") + text
        *lines, rest = pending.split("\n")
        self._pending.text = rest
        if lines:
            self._raw.write("".join(_record(line) for line in lines))  # type: ignore[attr-defined]
        return len(text)

    def flush(self) -> None:
        self._raw.flush()  # type: ignore[attr-defined]

    def fileno(self) -> int:
        return int(self._raw.fileno())  # type: ignore[attr-defined]

    def isatty(self) -> bool:
        return False

    def writable(self) -> bool:
        return True


def _record(line: str) -> str:
    if line.startswith("{") and line.endswith("}"):
        return line + "\n"
    record = {
        "timestamp": time.strftime(_JSON_TIME, time.gmtime()),
        "level": "INFO",
        "message": line,
        "requestId": logs.request_id.get(),
    }
    return json.dumps(record, ensure_ascii=False) + "\n"


def install() -> None:
    """Make ``sys.stdout`` and ``sys.stderr`` write JSON records."""
    if not isinstance(sys.stdout, JsonLines):
        sys.stdout = JsonLines(sys.stdout)
    if not isinstance(sys.stderr, JsonLines):
        sys.stderr = JsonLines(sys.stderr)


def connect_log_socket(path: str | None) -> None:
    """Send this process's stdout and stderr to Lambda's log socket, if Lambda gave one."""
    if not path:
        return
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.connect(path)
            for fd in (1, 2):
                os.dup2(sock.fileno(), fd)
    except OSError as error:
        logs.runtime_log("WARNING", f"cannot use the log socket {path}: {error}; using stdout")

"""Errors: what handler authors may catch, and how any failure is described on the wire.

Every failure becomes one payload, ``{errorMessage, errorType, requestId, stackTrace}``, the
shape awslambdaric sends. Before the first response byte it goes to ``/error``; after it, into
the error trailers. ``error_type`` names every failure the same way on every channel.
"""

from __future__ import annotations

import json
import os
import sys
import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable
    from traceback import FrameSummary
    from types import TracebackType

# The package root (this file is in api/): frames from anywhere in it are the runtime's.
_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


class StreamingRuntimeError(Exception):
    """Base class of the errors this package raises for handler authors to catch."""

    error_type = "Runtime.StreamingError"


class InvalidStreamingOperation(StreamingRuntimeError):
    """A response-stream call made in the wrong state, e.g. ``write()`` after ``end()``."""

    error_type = "Runtime.InvalidStreamingOperation"


class FaultError(Exception):
    """A failure the runtime detects itself, with awslambdaric's ``Runtime.*`` identity.

    Unlike a handler's exception it carries no user stack (awslambdaric's ``FaultException``).
    """

    error_type = "Runtime.Unknown"

    def __init__(
        self, message: str, *, error_type: str | None = None, stack_trace: list[str] | None = None
    ) -> None:
        super().__init__(message)
        if error_type is not None:
            self.error_type = error_type
        self.message = message
        self.stack_trace = stack_trace or []


def error_payload(error: BaseException, request_id: str | None) -> dict[str, object]:
    """The JSON-ready description of ``error``, as awslambdaric's ``make_error`` builds it."""
    if isinstance(error, FaultError):
        message, error_type, stack = error.message, error.error_type, error.stack_trace
    else:
        message, error_type = str(error), type(error).__name__
        stack = format_user_stack(error.__traceback__)
    return {
        "errorMessage": message,
        "errorType": error_type,
        "requestId": request_id or "",
        "stackTrace": stack,
    }


def error_type(error: BaseException) -> str:
    """The Lambda error type of ``error``: the one name it has everywhere.

    The ``/error`` header, the stream's error trailer, the SSE ``event: error`` and the logs all
    use this. An exception chooses its type with an ``error_type`` string attribute (e.g.
    ``Function.ThrottlingException``); otherwise it is ``Function.<ClassName>``. Lambda accepts
    any string and recommends ``Category.Reason``
    (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html#runtimes-api-invokeerror);
    only what an HTTP header cannot carry (line breaks, non-ASCII) is escaped.

    >>> error_type(KeyError("x"))
    'Function.KeyError'
    """
    chosen = getattr(error, "error_type", None)
    name = chosen if isinstance(chosen, str) and chosen else f"Function.{type(error).__name__}"
    if name.isascii() and name.isprintable():
        return name
    return name.encode("unicode_escape").decode("ascii")


def format_user_stack(tb: TracebackType | None) -> list[str]:
    """The traceback from the first frame outside this package on, as awslambdaric formats it."""
    import traceback  # ~6 ms to import: paid on the first error, not at every cold start

    return traceback.format_list(_user_frames(traceback.extract_tb(tb)))  # type: ignore[arg-type]


def _user_frames(summary: Iterable[FrameSummary]) -> list[tuple[str, int | None, str, str | None]]:
    # awslambdaric drops the leading frames of its own bootstrap.py; these are ours.
    frames = [(f.filename, f.lineno, f.name, f.line) for f in summary]
    for index, frame in enumerate(frames):
        if not frame[0].startswith(_PACKAGE_DIR):
            return frames[index:]
    return frames


def xray_cause(error: BaseException) -> dict[str, object]:
    """The X-Ray error cause awslambdaric sends with ``/error`` (working dir, stack, paths)."""
    if isinstance(error, FaultError):
        kind, message, frames = "LambdaValidationError", error.message, []
    else:
        import traceback

        kind, message = type(error).__name__, str(error)
        frames = _user_frames(traceback.extract_tb(error.__traceback__))
    return {
        "working_directory": os.getcwd(),
        "exceptions": [
            {
                "message": message,
                "type": kind,
                "stack": [
                    {"label": name, "path": path, "line": line} for path, line, name, _ in frames
                ],
            }
        ],
        "paths": sorted({path for path, *_ in frames}),
    }


def log_error(payload: dict[str, object], log_format: str) -> None:
    """Write the error to the function's log the way awslambdaric does (text or JSON)."""
    if log_format == "JSON":
        record = {
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "level": "ERROR",
            **payload,
        }
        sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
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


def _nbsp_indent(line: str) -> str:
    stripped = line.lstrip(" ")
    return "\u00a0" * (len(line) - len(stripped)) + stripped

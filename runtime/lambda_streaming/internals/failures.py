"""How a failure is described to Lambda and in the log: awslambdaric's payload and X-Ray cause.

Every failure becomes one payload, ``{errorMessage, errorType, requestId, stackTrace}``, the
shape awslambdaric sends: through ``/error`` before the first response byte, in the error
trailers after it, and in the log either way.
"""

from __future__ import annotations

import os

from lambda_streaming.api.errors import FaultError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable
    from traceback import FrameSummary
    from types import TracebackType

# The package root (this file is in internals/): frames from anywhere in it are the runtime's.
_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


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

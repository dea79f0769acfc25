"""Errors handler authors may catch, and ``error_type``: the one name of any failure.

``error_type`` names a failure the same way on every channel: the ``/error`` header, the
stream's error trailer, the SSE ``event: error`` and the log. How the runtime reports a failure
(payload, X-Ray cause) is in ``internals/failures.py``.
"""

from __future__ import annotations


class StreamingRuntimeError(Exception):
    """Base class of the errors this package raises for handler authors to catch."""

    error_type = "Runtime.StreamingError"


class InvalidStreamingOperation(StreamingRuntimeError):
    """A response-stream call made in the wrong state, e.g. ``write()`` after ``end()``."""

    error_type = "Runtime.InvalidStreamingOperation"


class StreamInterrupted(StreamingRuntimeError):
    """Lambda stopped taking the response: nothing more can be written to it.

    Lambda refuses a stream past its size limit (413) or after the invocation's deadline (410),
    or the connection broke. ``status`` is Lambda's HTTP answer when it sent one.
    """

    error_type = "Runtime.StreamInterrupted"

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


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

"""A runtime's ``POST /invocation/{id}/response`` body, relayed to its ``Invocation``.

``runtime_api.py`` decides whether a response may start; this module moves its bytes: chunk by
chunk into the invocation's channel, then the error trailers, and answers the runtime. It owns
the three ways a response ends early: over the size cap (``413``, the connection cut as Lambda
stops reading), past the invocation's deadline (``410``), and a body cut short (a crash or a
truncation).
"""

import json
import logging
from collections.abc import Callable
from enum import Enum

from emulator.bandwidth import TokenBucket
from emulator.http11 import BodyError, Exchange
from emulator.invocation import (
    FunctionError,
    Invocation,
    ResponseChunk,
    ResponseEnd,
    ResponseStart,
)

log = logging.getLogger("emulator.runtime_api")

ERROR_TYPE = "lambda-runtime-function-error-type"
ERROR_BODY = "lambda-runtime-function-error-body"
DEFAULT_CONTENT_TYPE = "application/octet-stream"
# The error type of Lambda's 410 to an answer after the invocation timed out, as AWS's .NET
# runtime client names it: https://github.com/aws/aws-lambda-dotnet/pull/2508
INVOKE_TIMEOUT = "ErrorRuntimeInvokeTimeout"


class Outcome(Enum):
    """How a relayed response ended, for the Runtime API's bookkeeping."""

    ANSWERED = "answered"
    TOO_LARGE = "too large"
    TIMED_OUT = "timed out"


def relay(
    exchange: Exchange,
    invocation: Invocation,
    *,
    shape_bandwidth: bool,
    exit_status: Callable[[float], int | None],
    answered: Callable[[], None],
) -> Outcome:
    """Forward the body to ``invocation``, then its trailers; answer the runtime.

    ``answered`` runs just before the runtime gets its answer, since the runtime may poll
    ``/next`` the moment it reads it.

    Raises ``BodyError`` (after failing the invocation) when the body is cut short or malformed,
    so the HTTP layer answers or closes as it does for any bad body.
    """
    limit = invocation.max_response_bytes
    declared = exchange.header("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        answered()
        too_large(exchange, invocation, drain=True)
        return Outcome.TOO_LARGE
    invocation.emit(ResponseStart(exchange.header("content-type") or DEFAULT_CONTENT_TYPE))
    bucket = TokenBucket() if shape_bandwidth and invocation.request.streaming else None
    size = 0
    try:
        for chunk in exchange.body_chunks():
            size += len(chunk)
            if size > limit:
                answered()
                too_large(exchange, invocation, drain=False)
                return Outcome.TOO_LARGE
            if bucket is not None:
                bucket.consume(len(chunk))
            if not invocation.emit(ResponseChunk(chunk)) and invocation.past_deadline():
                # The caller already got the timeout; Lambda rejects the rest of a late answer.
                answered()
                gone(exchange, invocation)
                exchange.abort()
                return Outcome.TIMED_OUT
    except BodyError as body_error:
        _cut_short(invocation, body_error, exit_status)
        answered()
        raise
    trailers = dict(exchange.trailers)
    error_type = trailers.get(ERROR_TYPE)
    trailer_error = (
        FunctionError.from_trailers(error_type, trailers.get(ERROR_BODY, ""))
        if error_type
        else None
    )
    late = not invocation.emit(ResponseEnd(trailer_error)) and invocation.past_deadline()
    answered()
    if late:
        gone(exchange, invocation)
        return Outcome.TIMED_OUT
    accepted(exchange)
    return Outcome.ANSWERED


def too_large(exchange: Exchange, invocation: Invocation, *, drain: bool) -> None:
    """413, and the invocation fails with ``Function.ResponseSizeTooLarge``."""
    limit = invocation.max_response_bytes
    invocation.fail(
        FunctionError.service(
            "Function.ResponseSizeTooLarge",
            f"Response payload size exceeded maximum allowed payload size ({limit} bytes).",
        )
    )
    if drain:  # a declared length: read it so the runtime can read our answer
        for _ in exchange.body_chunks():
            pass
    reject(
        exchange,
        413,
        "RequestEntityTooLarge",
        f"Exceeded maximum allowed payload size ({limit} bytes).",
    )
    if not drain:
        exchange.abort()  # a stream over the cap is cut, as Lambda cuts it


def gone(exchange: Exchange, invocation: Invocation) -> None:
    """410: the answer came after the invocation's deadline (the caller got the timeout)."""
    reject(
        exchange,
        410,
        INVOKE_TIMEOUT,
        f"Invoke timeout: invocation {invocation.request_id} is past its deadline",
    )


def _cut_short(
    invocation: Invocation, error: BodyError, exit_status: Callable[[float], int | None]
) -> None:
    status = exit_status(1.0) if error.truncated else None
    if status is not None:
        invocation.fail(FunctionError.exit_error(invocation.request_id, status))
        return
    kind = "truncated" if error.truncated else "malformed"
    log.warning("[%s] runtime response body %s: %s", invocation.request_id, kind, error)
    invocation.fail(
        FunctionError.service(
            "Runtime.TruncatedResponse",
            f"RequestId: {invocation.request_id} Error: runtime response body {kind}: {error}",
        )
    )


def reject(exchange: Exchange, status: int, error_type: str, message: str) -> None:
    """Answer the runtime with Lambda's JSON error shape."""
    log.info(
        "Runtime API %s %s -> %s %s: %s",
        exchange.method,
        exchange.target,
        status,
        error_type,
        message,
    )
    body = json.dumps({"errorMessage": message, "errorType": error_type}).encode()
    exchange.respond(status, [("content-type", "application/json")], body)


def accepted(exchange: Exchange) -> None:
    exchange.respond(202, [("content-type", "application/json")], b'{"status":"OK"}')

"""The Lambda Runtime API, server side, for one sandbox (what RAPID does inside Lambda).

It serves ``/2018-06-01/runtime/...`` to exactly one runtime process, enforces the runtime's
state machine (protocol doc §1.5) and turns what the runtime sends into response events on the
current ``Invocation``: it decodes chunked bodies, trailers and limits itself (through h11),
and never imports the runtime's code. Process management lives in ``sandbox.py``.

State machine (``403 InvalidStateTransition`` for anything else)::

    STARTING --/next--> WAITING --event delivered--> INVOKED --/response--> RESPONDING
       |                  ^                             |                       |
       +--/init/error--> INIT_FAILED                    +--/error--+            |
                          |                                        v            v
                          +---------------------/next------------ RESPONDED <---+
"""

import enum
import json
import logging
import threading
from collections.abc import Callable
from typing import Final

from emulator.bandwidth import TokenBucket
from emulator.http11 import BodyError, Exchange, HttpServer
from emulator.invocation import (
    FunctionError,
    Invocation,
    ResponseChunk,
    ResponseEnd,
    ResponseStart,
)

log = logging.getLogger(__name__)

# Paths and headers: https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html
PREFIX: Final = "/2018-06-01/runtime"
NEXT_PATH: Final = f"{PREFIX}/invocation/next"
INIT_ERROR_PATH: Final = f"{PREFIX}/init/error"
INVOCATION_PREFIX: Final = f"{PREFIX}/invocation/"
RESPONSE_MODE: Final = "lambda-runtime-function-response-mode"
ERROR_TYPE: Final = "lambda-runtime-function-error-type"
ERROR_BODY: Final = "lambda-runtime-function-error-body"
# RAPID accepts exactly this value, or no header at all (protocol doc §5.3).
STREAMING_MODE: Final = "streaming"
DEFAULT_CONTENT_TYPE: Final = "application/octet-stream"
_ERROR_BODY_LIMIT = 6 * 1024 * 1024 + 100


class State(enum.Enum):
    STARTING = "STARTING"
    WAITING = "WAITING"
    INVOKED = "INVOKED"
    RESPONDING = "RESPONDING"
    RESPONDED = "RESPONDED"
    INIT_FAILED = "INIT_FAILED"
    STOPPED = "STOPPED"


class RuntimeApi:
    """The Runtime API of one sandbox, on its own loopback port (``address`` = host:port).

    ``exit_status(wait)`` gives the runtime process's exit status, or None while it runs (a
    body cut by a crash is ``Runtime.ExitError``, one cut by a live process
    ``Runtime.TruncatedResponse``);
    ``on_init_error`` receives what ``/init/error`` reported; ``on_waiting`` is called each
    time the runtime polls ``/next`` (it is ready for an event).
    """

    def __init__(
        self,
        *,
        name: str,
        exit_status: Callable[[float], int | None],
        on_init_error: Callable[[FunctionError], None],
        on_waiting: Callable[[], None] = lambda: None,
        shape_bandwidth: bool = False,
    ) -> None:
        self._exit_status = exit_status
        self._on_init_error = on_init_error
        self._on_waiting = on_waiting
        self._shape_bandwidth = shape_bandwidth
        self._cond = threading.Condition()
        self.state = State.STARTING
        self._pending: Invocation | None = None
        self.current: Invocation | None = None
        self._server = HttpServer(self._handle, name=name)
        self.address = f"{self._server.host}:{self._server.port}"

    def start(self) -> None:
        self._server.start()

    def stop(self) -> None:
        with self._cond:
            self.state = State.STOPPED
            self._cond.notify_all()
        self._server.close()

    def idle(self) -> bool:
        """True while the runtime waits in ``/next`` with no invocation for it."""
        with self._cond:
            return self.state is State.WAITING and self._pending is None

    def deliver(self, invocation: Invocation) -> None:
        """Hand ``invocation`` to the runtime's current or next ``/next``."""
        with self._cond:
            self._pending = invocation
            self._cond.notify_all()

    # --- routing -------------------------------------------------------------------------
    def _handle(self, exchange: Exchange) -> None:
        path = exchange.target.split("?", 1)[0]
        if path == NEXT_PATH:
            if self._require_method(exchange, "GET"):
                self._next(exchange)
        elif path == INIT_ERROR_PATH:
            if self._require_method(exchange, "POST"):
                self._init_error(exchange)
        elif path.startswith(INVOCATION_PREFIX) and path.count("/") == 5:
            request_id, _, action = path[len(INVOCATION_PREFIX) :].partition("/")
            if action not in ("response", "error"):
                _reject(exchange, 404, "NotFound", f"unknown Runtime API path {path}")
            elif self._require_method(exchange, "POST"):
                self._invocation_post(exchange, request_id, action)
        else:
            _reject(exchange, 404, "NotFound", f"unknown Runtime API path {path}")

    @staticmethod
    def _require_method(exchange: Exchange, method: str) -> bool:
        if exchange.method == method:
            return True
        _reject(exchange, 405, "MethodNotAllowed", f"use {method} for {exchange.target}")
        return False

    def _transition(self, exchange: Exchange, allowed: tuple[State, ...], to: State) -> bool:
        """Move to ``to`` if the current state allows it; else answer 403. Caller holds no lock."""
        with self._cond:
            if self.state in allowed:
                self.state = to
                return True
            current = self.state
        _reject(
            exchange,
            403,
            "InvalidStateTransition",
            f"State transition from {current.value} to {to.value} is not allowed",
        )
        return False

    # --- GET /next -----------------------------------------------------------------------
    def _next(self, exchange: Exchange) -> None:
        ready_from = (State.STARTING, State.RESPONDED)
        if not self._transition(exchange, ready_from, State.WAITING):
            return
        self._on_waiting()
        with self._cond:
            # An invocation that already ended (e.g. failed while queued) is never delivered.
            while (
                self._pending is None or self._pending.finished.is_set()
            ) and self.state is State.WAITING:
                self._pending = None
                self._cond.wait(timeout=1.0)
            invocation, self._pending = self._pending, None
            if invocation is None:
                return  # stopped while waiting: the connection closes with the server
            self.state = State.INVOKED
            self.current = invocation
        invocation.dispatch()
        assert invocation.deadline is not None
        headers = [
            ("content-type", "application/json"),
            ("lambda-runtime-aws-request-id", invocation.request_id),
            ("lambda-runtime-deadline-ms", str(int(invocation.deadline * 1000))),
            ("lambda-runtime-invoked-function-arn", invocation.function_arn),
            ("lambda-runtime-trace-id", invocation.trace_id),
        ]
        if invocation.request.client_context:
            headers.append(("lambda-runtime-client-context", invocation.request.client_context))
        if invocation.request.tenant_id:
            headers.append(("lambda-runtime-aws-tenant-id", invocation.request.tenant_id))
        exchange.respond(200, headers, invocation.request.payload)

    # --- POST /init/error ----------------------------------------------------------------
    def _init_error(self, exchange: Exchange) -> None:
        body = exchange.read_body(_ERROR_BODY_LIMIT)
        if not self._transition(exchange, (State.STARTING,), State.INIT_FAILED):
            return
        error_type = exchange.header(ERROR_TYPE) or "Runtime.Unknown"
        self._on_init_error(FunctionError(error_type, body))
        _accepted(exchange)

    # --- POST /invocation/{id}/response|error --------------------------------------------
    def _invocation_post(self, exchange: Exchange, request_id: str, action: str) -> None:
        with self._cond:
            invocation = self.current
        if invocation is None or invocation.request_id != request_id:
            _reject(exchange, 400, "InvalidRequestID", f"Invalid request ID: {request_id!r}")
            return
        if action == "error":
            body = exchange.read_body(_ERROR_BODY_LIMIT)
            if self._transition(exchange, (State.INVOKED,), State.RESPONDED):
                error_type = exchange.header(ERROR_TYPE) or "Runtime.Unknown"
                invocation.fail(FunctionError(error_type, body))
                _accepted(exchange)
            return
        mode = exchange.header(RESPONSE_MODE)
        if mode not in (None, "", STREAMING_MODE):
            if self._transition(exchange, (State.INVOKED,), State.RESPONDED):
                message = f"invalid {RESPONSE_MODE} header {mode!r}; send 'streaming' or nothing"
                invocation.fail(FunctionError.service("Runtime.InvalidResponseModeHeader", message))
                _reject(
                    exchange, 400, "InvalidFunctionResponseMode", "Invalid function response mode"
                )
            return
        if self._transition(exchange, (State.INVOKED,), State.RESPONDING):
            self._relay_response(exchange, invocation)

    def _relay_response(self, exchange: Exchange, invocation: Invocation) -> None:
        """Forward the body to the invocation chunk by chunk, then the trailers."""
        limit = invocation.max_response_bytes
        declared = exchange.header("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            self._too_large(exchange, invocation, drain=True)
            return
        invocation.emit(ResponseStart(exchange.header("content-type") or DEFAULT_CONTENT_TYPE))
        bucket = TokenBucket() if self._shape_bandwidth and invocation.request.streaming else None
        size = 0
        try:
            for chunk in exchange.body_chunks():
                size += len(chunk)
                if size > limit:
                    self._too_large(exchange, invocation, drain=False)
                    return
                if bucket is not None:
                    bucket.consume(len(chunk))
                invocation.emit(ResponseChunk(chunk))
        except BodyError as body_error:
            self._cut_short(invocation, body_error)
            with self._cond:
                self.state = State.RESPONDED
            raise
        trailers = dict(exchange.trailers)
        error_type = trailers.get(ERROR_TYPE)
        trailer_error = (
            FunctionError.from_trailers(error_type, trailers.get(ERROR_BODY, ""))
            if error_type
            else None
        )
        invocation.emit(ResponseEnd(trailer_error))
        with self._cond:
            self.state = State.RESPONDED
        _accepted(exchange)

    def _too_large(self, exchange: Exchange, invocation: Invocation, *, drain: bool) -> None:
        limit = invocation.max_response_bytes
        invocation.fail(
            FunctionError.service(
                "Function.ResponseSizeTooLarge",
                f"Response payload size exceeded maximum allowed payload size ({limit} bytes).",
            )
        )
        with self._cond:
            self.state = State.RESPONDED
        if drain:  # a declared length: read it so the runtime can read our answer
            for _ in exchange.body_chunks():
                pass
        _reject(
            exchange,
            413,
            "RequestEntityTooLarge",
            f"Exceeded maximum allowed payload size ({limit} bytes).",
        )
        if not drain:
            exchange.abort()  # a stream over the cap is cut, as Lambda cuts it

    def _cut_short(self, invocation: Invocation, error: BodyError) -> None:
        status = self._exit_status(1.0) if error.truncated else None
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


def _reject(exchange: Exchange, status: int, error_type: str, message: str) -> None:
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


def _accepted(exchange: Exchange) -> None:
    exchange.respond(202, [("content-type", "application/json")], b'{"status":"OK"}')

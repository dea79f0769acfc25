"""The Lambda Runtime API, server side, for one sandbox (what RAPID does inside Lambda).

It serves ``/2018-06-01/runtime/...`` to one runtime process, enforces the runtime's state
machine (protocol doc §1.5) and turns what the runtime sends into response events on each
``Invocation``: it decodes chunked bodies, trailers and limits itself (through h11, see
``response_relay.py``), and never imports the runtime's code. Process management lives in
``sandbox.py``.

Each invocation goes through its own states (``403 InvalidStateTransition`` for anything else)::

    (/next) --event delivered--> INVOKED --/response--> RESPONDING --body ends--> RESPONDED
                                    |                                                ^
                                    +--------------------/error----------------------+

On classic Lambda one invocation runs at a time, so ``/next`` before the answer is a 403. Lambda
Managed Instances "can accept concurrent /next and /response requests up to the configured
AWS_LAMBDA_MAX_CONCURRENCY limit"
(https://docs.aws.amazon.com/lambda/latest/dg/runtimes-custom.html#runtimes-custom-managed-instances):
there at most N invocations are handed out at once, and a ``/next`` beyond that waits (as a
long-poll does) until an answer frees a slot. AWS's Node.js client keeps polling ``/next``
while its invocations run, which only works if the extra polls wait; how RAPID itself treats
them is not documented.
``/init/error`` is accepted only before the first ``/next``.

Every ``/next`` carries a fresh ``Lambda-Runtime-Invocation-Id`` nonce; an answer that echoes
a different one is refused with 400, one without it is accepted (older runtimes send none), as
AWS's runtime clients describe RAPID's check
(https://github.com/aws/aws-lambda-python-runtime-interface-client/pull/214). An answer after
the invocation's deadline gets 410 (https://github.com/aws/aws-lambda-dotnet/pull/2508).
"""

import collections
import dataclasses
import enum
import logging
import threading
from collections.abc import Callable
from typing import Final

from emulator import response_relay
from emulator.http11 import Exchange, HttpServer
from emulator.invocation import FunctionError, Invocation
from emulator.listener import RUNTIME_API_LIMITS
from emulator.response_relay import ERROR_TYPE, Outcome, accepted, reject

log = logging.getLogger(__name__)

# Paths and headers: https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html
PREFIX: Final = "/2018-06-01/runtime"
NEXT_PATH: Final = f"{PREFIX}/invocation/next"
INIT_ERROR_PATH: Final = f"{PREFIX}/init/error"
INVOCATION_PREFIX: Final = f"{PREFIX}/invocation/"
RESPONSE_MODE: Final = "lambda-runtime-function-response-mode"
INVOCATION_ID: Final = "lambda-runtime-invocation-id"
# RAPID accepts exactly this value, or no header at all (protocol doc §5.3).
STREAMING_MODE: Final = "streaming"
_ERROR_BODY_LIMIT = 6 * 1024 * 1024 + 100
_REMEMBERED = 64  # answered invocations kept, so a second answer is a 403, not a 400


class State(enum.Enum):
    STARTING = "STARTING"
    WAITING = "WAITING"
    INVOKED = "INVOKED"
    RESPONDING = "RESPONDING"
    RESPONDED = "RESPONDED"
    INIT_FAILED = "INIT_FAILED"
    STOPPED = "STOPPED"


@dataclasses.dataclass(slots=True)
class _Slot:
    invocation: Invocation
    state: State = State.INVOKED


class RuntimeApi:
    """The Runtime API of one sandbox, on its own loopback port (``address`` = host:port).

    ``exit_status(wait)`` gives the runtime process's exit status, or None while it runs (a
    body cut by a crash is ``Runtime.ExitError``, one cut by a live process
    ``Runtime.TruncatedResponse``);
    ``on_init_error`` receives what ``/init/error`` reported; ``on_waiting`` is called each
    time the runtime polls ``/next`` (a worker is ready for an event) and ``on_answered`` each
    time an invocation's answer is complete; ``runtime_exited()`` is True once the process
    has ended (no event is delivered to it then).
    """

    def __init__(
        self,
        *,
        name: str,
        exit_status: Callable[[float], int | None],
        on_init_error: Callable[[FunctionError], None],
        on_waiting: Callable[[], None] = lambda: None,
        on_answered: Callable[[Invocation], None] = lambda _invocation: None,
        shape_bandwidth: bool = False,
        max_concurrency: int = 1,
        runtime_exited: Callable[[], bool] = lambda: False,
    ) -> None:
        if max_concurrency < 1:
            raise ValueError("max_concurrency must be at least 1")
        self._exit_status = exit_status
        self._runtime_exited = runtime_exited
        self._on_init_error = on_init_error
        self._on_waiting = on_waiting
        self._on_answered = on_answered
        self._shape_bandwidth = shape_bandwidth
        self.max_concurrency = max_concurrency
        self._cond = threading.Condition()
        self.state = State.STARTING  # of the environment: STARTING, WAITING, INIT_FAILED, STOPPED
        self._polls = 0  # /next requests waiting for an event
        self._pending: collections.deque[Invocation] = collections.deque()
        self._active: dict[str, _Slot] = {}  # delivered, not yet answered
        self._answered: collections.OrderedDict[str, _Slot] = collections.OrderedDict()
        # Each worker holds a /next connection and may open one more per streamed answer.
        limits = dataclasses.replace(
            RUNTIME_API_LIMITS,
            max_connections=max(RUNTIME_API_LIMITS.max_connections, 4 * max_concurrency + 8),
        )
        self._server = HttpServer(self._handle, name=name, limits=limits)
        self.address = f"{self._server.host}:{self._server.port}"

    def start(self) -> None:
        self._server.start()

    def stop(self) -> None:
        with self._cond:
            self.state = State.STOPPED
            self._cond.notify_all()
        self._server.close()

    def free_workers(self) -> int:
        """Invocations a waiting ``/next`` would take now, beyond those already queued."""
        with self._cond:
            room = min(self._polls, self.max_concurrency - len(self._active))
            return max(0, room - len(self._pending))

    def idle(self) -> bool:
        """True while a worker waits in ``/next`` with no invocation for it."""
        return self.free_workers() > 0

    def deliver(self, invocation: Invocation) -> None:
        """Hand ``invocation`` to a current or next ``/next``."""
        with self._cond:
            self._pending.append(invocation)
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
                reject(exchange, 404, "NotFound", f"unknown Runtime API path {path}")
            elif self._require_method(exchange, "POST"):
                self._invocation_post(exchange, request_id, action)
        else:
            reject(exchange, 404, "NotFound", f"unknown Runtime API path {path}")

    @staticmethod
    def _require_method(exchange: Exchange, method: str) -> bool:
        if exchange.method == method:
            return True
        reject(exchange, 405, "MethodNotAllowed", f"use {method} for {exchange.target}")
        return False

    @staticmethod
    def _invalid_transition(exchange: Exchange, current: State, to: State) -> None:
        reject(
            exchange,
            403,
            "InvalidStateTransition",
            f"State transition from {current.value} to {to.value} is not allowed",
        )

    # --- GET /next -----------------------------------------------------------------------
    def _next(self, exchange: Exchange) -> None:
        with self._cond:
            refused = self._refuse_next()
            if refused is None:
                self.state = State.WAITING
                self._polls += 1
        if refused is not None:
            self._invalid_transition(exchange, refused, State.WAITING)
            return
        self._on_waiting()
        with self._cond:
            invocation = None
            while self.state is State.WAITING:
                while self._pending and self._pending[0].finished.is_set():
                    self._pending.popleft()  # ended while queued (e.g. timed out): never delivered
                if (
                    self._pending
                    and len(self._active) < self.max_concurrency
                    and not self._runtime_exited()
                ):
                    # (a /next of a runtime that has since died gets no event: its sandbox
                    # hands what is pending to another one)
                    invocation = self._pending.popleft()
                    break
                self._cond.wait(timeout=1.0)
            self._polls -= 1
            if invocation is None:
                return  # stopped while waiting: the connection closes with the server
            invocation.dispatch()
            self._active[invocation.request_id] = _Slot(invocation)
        assert invocation.deadline is not None
        headers = [
            ("content-type", "application/json"),
            ("lambda-runtime-aws-request-id", invocation.request_id),
            ("lambda-runtime-deadline-ms", str(int(invocation.deadline * 1000))),
            ("lambda-runtime-invoked-function-arn", invocation.function_arn),
            ("lambda-runtime-trace-id", invocation.trace_id),
            (INVOCATION_ID, invocation.nonce),
        ]
        if invocation.request.client_context:
            headers.append(("lambda-runtime-client-context", invocation.request.client_context))
        if invocation.request.tenant_id:
            headers.append(("lambda-runtime-aws-tenant-id", invocation.request.tenant_id))
        exchange.respond(200, headers, invocation.request.payload)

    def _refuse_next(self) -> State | None:
        """The state that forbids one more ``/next`` now, or None. Caller holds the lock."""
        if self.state in (State.INIT_FAILED, State.STOPPED):
            return self.state
        if self.max_concurrency > 1 or self._polls + len(self._active) < 1:
            return None
        if self._active:  # classic: the one invocation not answered yet
            return next(iter(self._active.values())).state
        return State.WAITING

    # --- POST /init/error ----------------------------------------------------------------
    def _init_error(self, exchange: Exchange) -> None:
        body = exchange.read_body(_ERROR_BODY_LIMIT)
        with self._cond:
            current = self.state
            if current is State.STARTING:
                self.state = State.INIT_FAILED
        if current is not State.STARTING:
            self._invalid_transition(exchange, current, State.INIT_FAILED)
            return
        error_type = exchange.header(ERROR_TYPE) or "Runtime.Unknown"
        self._on_init_error(FunctionError(error_type, body))
        accepted(exchange)

    # --- POST /invocation/{id}/response|error --------------------------------------------
    def _invocation_post(self, exchange: Exchange, request_id: str, action: str) -> None:
        with self._cond:
            slot = self._active.get(request_id) or self._answered.get(request_id)
        if slot is None:
            reject(exchange, 400, "InvalidRequestID", f"Invalid request ID: {request_id!r}")
            return
        invocation = slot.invocation
        echoed = exchange.header(INVOCATION_ID)
        if echoed is not None and echoed != invocation.nonce:
            reject(
                exchange,
                400,
                "InvalidInvocationID",
                f"{INVOCATION_ID} {echoed!r} is not the one /next sent for {request_id}",
            )
            return
        to = State.RESPONDED if action == "error" else State.RESPONDING
        with self._cond:
            current = slot.state
            allowed = current is State.INVOKED and request_id in self._active
            late = allowed and invocation.past_deadline()
            if allowed:
                slot.state = to
        if not allowed:
            self._invalid_transition(exchange, current, to)
        elif late:
            self._answer_done(slot)
            response_relay.gone(exchange, invocation)
        elif action == "error":
            body = exchange.read_body(_ERROR_BODY_LIMIT)
            invocation.fail(FunctionError(exchange.header(ERROR_TYPE) or "Runtime.Unknown", body))
            self._answer_done(slot)
            accepted(exchange)
        else:
            self._respond(exchange, slot)

    def _respond(self, exchange: Exchange, slot: _Slot) -> None:
        invocation = slot.invocation
        mode = exchange.header(RESPONSE_MODE)
        if mode not in (None, "", STREAMING_MODE):
            message = f"invalid {RESPONSE_MODE} header {mode!r}; send 'streaming' or nothing"
            invocation.fail(FunctionError.service("Runtime.InvalidResponseModeHeader", message))
            self._answer_done(slot)
            reject(exchange, 400, "InvalidFunctionResponseMode", "Invalid function response mode")
            return
        outcome = Outcome.ANSWERED
        try:
            outcome = response_relay.relay(
                exchange,
                invocation,
                shape_bandwidth=self._shape_bandwidth,
                exit_status=self._exit_status,
                answered=lambda: self._answer_done(slot),
            )
        finally:
            self._answer_done(slot)
        if outcome is not Outcome.ANSWERED:
            log.info("[%s] response %s", invocation.request_id, outcome.value)

    def _answer_done(self, slot: _Slot) -> None:
        """The invocation is answered: its worker is free to poll ``/next`` again."""
        request_id = slot.invocation.request_id
        with self._cond:
            if slot.state is State.RESPONDED and request_id in self._answered:
                return  # already done
            slot.state = State.RESPONDED
            if self._active.get(request_id) is slot:
                del self._active[request_id]
            self._answered[request_id] = slot
            while len(self._answered) > _REMEMBERED:
                self._answered.popitem(last=False)
            self._cond.notify_all()
        self._on_answered(slot.invocation)

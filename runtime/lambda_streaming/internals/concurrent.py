"""Concurrent mode for async handlers: N invocations at once as tasks on one event loop.

On Lambda Managed Instances one execution environment "can accept concurrent /next and
/response requests up to the configured AWS_LAMBDA_MAX_CONCURRENCY limit"
(https://docs.aws.amazon.com/lambda/latest/dg/runtimes-custom.html#runtimes-custom-managed-instances).
Here that is N worker tasks on the process's one loop (``aio``), each looping ``/next`` ->
handler -> answer on its own connection (``aio_api``). An LLM stream mostly waits, so one
process holds many: no copy of the function's memory per invocation.

Per invocation: the request id and tenant id are context variables set in the worker's own
task (so log records carry them), the trace id is only on ``context`` (``_X_AMZN_TRACE_ID``
is process-wide and is not set in this mode), and the deadline is enforced here, because
"Lambda Managed Instances does not forcibly terminate your code"
(https://docs.aws.amazon.com/lambda/latest/dg/lambda-managed-instances-execution-environment.html):
at the deadline the handler's task is cancelled and left behind, a stream already under way
ends with ``Sandbox.Timedout`` error trailers, and the worker polls ``/next`` again.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterable, Awaitable

from lambda_streaming.api.context import LambdaContext
from lambda_streaming.api.errors import FaultError, StreamInterrupted, error_type
from lambda_streaming.api.stream import ResponseStream
from lambda_streaming.api.streamify import StreamingHandler

from . import aio, logs
from .aio_api import AsyncConnection, ConnectionWire, Endpoint
from .calls import open_for, put_chunk, write_all
from .dispatch import log_refusal
from .failures import error_payload, xray_cause
from .marshal import marshal_result, unmarshal_event
from .response import Response, StreamState
from .runtime_api import (
    NEXT_PATH,
    AnswerLost,
    Invocation,
    RuntimeApiError,
    error_headers,
    invocation_path,
    reply_timeout,
)
from .wire import STREAMING_HEADERS

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from .config import RuntimeConfig
    from .http_connection import HttpResponse

# /next failures are retried this many times, waiting 0.1 s, 0.2 s, ... (as awslambdaric 4.x).
NEXT_ATTEMPTS = 5
NEXT_BACKOFF_SECONDS = 0.1


class InvocationTimedOut(FaultError):
    """The invocation passed its deadline; the runtime stopped waiting for its handler."""

    error_type = "Sandbox.Timedout"


def serve(
    config: RuntimeConfig, handler: Callable[..., object], before: Callable[[], None]
) -> None:
    """Run ``config.max_concurrency`` workers until the Runtime API is gone (raises then)."""
    aio.run(_serve(config, handler, before))


async def _serve(
    config: RuntimeConfig, handler: Callable[..., object], before: Callable[[], None]
) -> None:
    endpoint = Endpoint(config.runtime_api)
    worker = Worker(endpoint, config, handler, before)
    async with asyncio.TaskGroup() as group:  # the first RuntimeApiError ends them all
        for _ in range(config.max_concurrency):
            group.create_task(worker.run())


class Worker:
    """What each worker task does; holds no per-invocation state (that lives in tasks)."""

    def __init__(
        self,
        endpoint: Endpoint,
        config: RuntimeConfig,
        handler: Callable[..., object],
        before: Callable[[], None],
    ) -> None:
        self._endpoint = endpoint
        self._config = config
        self._handler = handler
        self._before = before
        self._abandoned: set[asyncio.Task[object]] = set()

    async def run(self) -> None:
        connection = AsyncConnection(self._endpoint)
        while True:
            invocation = await self._next(connection)
            logs.request_id.set(invocation.request_id)
            logs.tenant_id.set(invocation.tenant_id)
            self._before()
            try:
                await self._serve(connection, invocation)
            except RuntimeApiError:
                raise
            except Exception as error:  # a bug of ours: log it, keep the worker
                logs.runtime_log("ERROR", f"the runtime failed serving the invocation: {error!r}")
                connection.close()

    async def _next(self, connection: AsyncConnection) -> Invocation:
        delay = NEXT_BACKOFF_SECONDS
        for attempt in range(1, NEXT_ATTEMPTS + 1):
            try:
                response = await connection.exchange("GET", NEXT_PATH, (), b"", timeout=None)
            except OSError as error:  # HttpConnectionError is one
                problem = f"failed: {error}"
            else:
                if response.status == 200:
                    return Invocation(response.headers, response.body)
                problem = f"answered {response.status}: {response.body[:300]!r}"
            connection.close()
            if attempt == NEXT_ATTEMPTS:
                raise RuntimeApiError(f"GET {NEXT_PATH} {problem} ({attempt} attempts)")
            logs.runtime_log("WARNING", f"GET {NEXT_PATH} {problem}; retrying in {delay:.1f} s")
            await asyncio.sleep(delay)
            delay *= 2
        raise AssertionError("unreachable")

    async def _serve(self, connection: AsyncConnection, invocation: Invocation) -> None:
        context = LambdaContext(invocation, self._config)
        handler = self._handler
        if isinstance(handler, StreamingHandler):
            await self._stream(connection, invocation, handler, context)
        else:
            await self._buffered(connection, invocation, context)

    # -- buffered ------------------------------------------------------------------------------

    async def _buffered(
        self, connection: AsyncConnection, invocation: Invocation, context: LambdaContext
    ) -> None:
        async def call() -> object:
            event = unmarshal_event(invocation.body, invocation.content_type)
            result = self._handler(event, context)
            return await result if isinstance(result, Awaitable) else result

        outcome = await self._within_deadline(invocation, call())
        if isinstance(outcome, InvocationTimedOut):
            # Lambda has answered the caller already; an answer now would only get a 410.
            logs.log_error(error_payload(outcome, invocation.request_id))
            return
        if isinstance(outcome, BaseException):
            await self._report(connection, invocation, outcome)
            return
        try:
            body, content_type = marshal_result(outcome)
        except Exception as error:  # not JSON-serialisable: the invocation's error
            await self._report(connection, invocation, error)
            return
        headers = (
            ("Content-Type", content_type),
            ("Content-Length", str(len(body))),
            *invocation.answer_headers(),
        )
        path = invocation_path(invocation.request_id, "response")
        await self._settle(
            "response",
            connection=connection,
            path=path,
            headers=headers,
            body=body,
            invocation=invocation,
        )

    # -- streamed ------------------------------------------------------------------------------

    async def _stream(
        self,
        connection: AsyncConnection,
        invocation: Invocation,
        handler: StreamingHandler,
        context: LambdaContext,
    ) -> None:
        path = invocation_path(invocation.request_id, "response")
        wires: list[ConnectionWire] = []

        def open_wire(content_type: str) -> ConnectionWire:
            headers = (*STREAMING_HEADERS, ("Content-Type", content_type))
            wire = connection.start_stream(path, (*headers, *invocation.answer_headers()))
            wires.append(wire)
            return wire

        response = Response(open_wire, invocation.request_id)

        async def call() -> None:
            event = unmarshal_event(invocation.body, invocation.content_type)
            stream = open_for(handler, event, response)
            if handler.takes_stream:
                await _call_node_style(handler.function, event, stream, context, response)
            else:
                await _write_all(handler.function(event, context), stream, response, connection)
            response.complete()

        outcome = await self._within_deadline(invocation, call())
        if isinstance(outcome, BaseException):
            if response.state is StreamState.ENDED:  # whole already: only log it
                logs.log_error(error_payload(outcome, invocation.request_id))
            else:
                response.record(outcome)
        failure = response.failure
        if wires:
            answer = await wires[0].reply(reply_timeout(invocation.deadline_ms))
            if isinstance(answer, AnswerLost) or answer.status != 202:
                log_refusal("streamed response", answer)
        if failure is None:
            return
        if not response.started:
            if isinstance(failure, InvocationTimedOut):
                logs.log_error(error_payload(failure, invocation.request_id))
            else:
                await self._report(connection, invocation, failure)
        elif not isinstance(failure, StreamInterrupted):
            logs.log_error(error_payload(failure, invocation.request_id))  # also in trailers

    # -- shared --------------------------------------------------------------------------------

    async def _within_deadline(self, invocation: Invocation, work: Awaitable[object]) -> object:
        """The handler's result or exception; ``InvocationTimedOut`` once its time is up.

        The handler runs in its own task, so a handler that ignores cancellation holds no
        worker: it is cancelled, left to end on its own, and the worker moves on.
        """
        task: asyncio.Task[object] = asyncio.ensure_future(work)
        remaining = invocation.deadline_ms / 1000 - time.time()
        done, _ = await asyncio.wait((task,), timeout=max(remaining, 0.0))
        if task in done:
            error = task.exception()
            return error if error is not None else task.result()
        task.cancel()
        self._abandoned.add(task)
        task.add_done_callback(self._forget)
        return InvocationTimedOut(
            f"Task timed out: invocation {invocation.request_id} passed its deadline; "
            "the runtime stopped waiting for its handler"
        )

    def _forget(self, task: asyncio.Task[object]) -> None:
        self._abandoned.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logs.runtime_log(
                "WARNING", f"a timed-out handler ended later with {task.exception()!r}"
            )

    async def _report(
        self, connection: AsyncConnection, invocation: Invocation, error: BaseException
    ) -> None:
        payload = error_payload(error, invocation.request_id)
        logs.log_error(payload)
        body, _ = marshal_result(payload)
        cause, _ = marshal_result(xray_cause(error))
        headers = (*error_headers(error_type(error), body, cause), *invocation.answer_headers())
        path = invocation_path(invocation.request_id, "error")
        await self._settle(
            "error report",
            connection=connection,
            path=path,
            headers=headers,
            body=body,
            invocation=invocation,
        )

    @staticmethod
    async def _settle(
        what: str,
        *,
        connection: AsyncConnection,
        path: str,
        headers: tuple[tuple[str, str], ...],
        body: bytes,
        invocation: Invocation,
    ) -> None:
        timeout = reply_timeout(invocation.deadline_ms)
        answer: HttpResponse | AnswerLost
        try:
            answer = await connection.exchange("POST", path, headers, body, timeout=timeout)
        except TimeoutError as error:
            raise RuntimeApiError(f"POST {path}: no answer before the deadline") from error
        except OSError as error:
            connection.close()
            answer = AnswerLost(f"POST {path} failed: {error}", None)
        if isinstance(answer, AnswerLost) or not 200 <= answer.status < 300:
            log_refusal(what, answer)


async def _call_node_style(
    function: Callable[..., object],
    event: object,
    stream: ResponseStream,
    context: object,
    response: Response,
) -> None:
    result = function(event, stream, context)
    if isinstance(result, Awaitable):
        result = await result
    pending, response.pending = response.pending, None
    if pending is not None:  # pipeline(async source, stream) returned without being awaited
        await pending
    elif result is not None:
        logs.runtime_log("WARNING", "streaming handlers ignore return values; write to the stream")


async def _write_all(
    chunks: object, stream: ResponseStream, response: Response, connection: AsyncConnection
) -> None:
    if not isinstance(chunks, AsyncIterable):
        write_all(chunks, stream, response)  # bytes, str or a plain iterable: nothing to await
        return
    try:
        async for chunk in chunks:
            put_chunk(chunk, stream, response)
            await connection.drain()  # a slow reader slows this stream, not the others
    finally:
        aclose = getattr(chunks, "aclose", None)
        if aclose is not None:
            await aclose()

"""Serve one invocation: call the handler, then answer Lambda on the right channel.

Buffered handlers get awslambdaric's behaviour: the return value as JSON through ``/response``,
any exception through ``/error``. Streaming handlers write through a ``ResponseStream``; a
failure before the first byte goes to ``/error`` (the caller gets a real error status), a
failure after it ends the stream with error trailers. Every failure is also logged, once, with
its request id; so is any answer Lambda refuses (413, 410, ...), after which the loop goes on.
"""

from __future__ import annotations

from lambda_streaming.api.context import LambdaContext
from lambda_streaming.api.errors import StreamInterrupted, error_type
from lambda_streaming.api.streamify import StreamingHandler

from .failures import error_payload, xray_cause
from .logs import log_error, runtime_log
from .marshal import marshal_result, unmarshal_event
from .runtime_api import AnswerLost, RuntimeApiError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from .config import RuntimeConfig
    from .http_connection import HttpResponse
    from .response import Response
    from .runtime_api import Invocation, RuntimeApiClient

# What a refused answer means, for the one log line it gets (Runtime API docs, "Errors").
_REFUSALS = {
    410: "it came after the invocation's deadline (Lambda had already timed it out)",
    413: "it is over Lambda's size limit (buffered: 6 MiB, use @streamify_response to send up to "
    "200 MiB; streamed: 200 MiB)",
}


class Dispatcher:
    """Calls one handler for each invocation and reports the outcome to the Runtime API."""

    def __init__(
        self, client: RuntimeApiClient, config: RuntimeConfig, handler: Callable[..., object]
    ) -> None:
        self._client = client
        self._config = config
        self._handler = handler

    def __call__(self, invocation: Invocation) -> None:
        if isinstance(self._handler, StreamingHandler):
            self._stream(self._handler, invocation)
        else:
            self._buffered(invocation)

    def _buffered(self, invocation: Invocation) -> None:
        try:
            context = LambdaContext(invocation, self._config)
            event = unmarshal_event(invocation.body, invocation.content_type)
            body, content_type = marshal_result(self._handler(event, context))
        except Exception as error:  # the handler's failure is the invocation's result
            self._report(invocation, error)
            return
        self._settle("response", lambda: self._client.post_response(invocation, body, content_type))

    def _stream(self, handler: StreamingHandler, invocation: Invocation) -> None:
        # Imported here, not at the top: a buffered function never loads the stream machinery
        # (cold start). After the first invocation these are dictionary lookups.
        from .calls import call_node_style, open_for, write_all
        from .response import Response, StreamState

        response = Response(
            lambda content_type: self._client.open_stream(invocation, content_type),
            invocation.request_id,
        )
        try:
            context = LambdaContext(invocation, self._config)
            event = unmarshal_event(invocation.body, invocation.content_type)
            stream = open_for(handler, event, response)
            if handler.takes_stream:
                call_node_style(handler.function, event, stream, context, response)
            else:
                write_all(handler.function(event, context), stream, response)
            response.complete()
        except RuntimeApiError:
            response.abort()
            raise
        except Exception as error:  # the handler's failure is the invocation's result
            if response.state is StreamState.ENDED:  # the response was whole: only log it
                log_error(error_payload(error, invocation.request_id))
                return
            response.record(error)
        self._conclude(invocation, response)

    def _conclude(self, invocation: Invocation, response: Response) -> None:
        """Report the stream's outcome: ``/error`` if nothing was sent, else log it."""
        failure = response.failure
        if failure is not None and not response.started:
            self._report(invocation, failure)
            return
        if failure is not None and not isinstance(failure, StreamInterrupted):
            log_error(error_payload(failure, invocation.request_id))  # also in the trailers
        if response.answer is not None:
            log_refusal("streamed response", response.answer)

    def _report(self, invocation: Invocation, error: BaseException) -> None:
        payload = error_payload(error, invocation.request_id)
        log_error(payload)
        body, _ = marshal_result(payload)
        cause, _ = marshal_result(xray_cause(error))
        self._settle(
            "error report",
            lambda: self._client.post_error(invocation, error_type(error), body, cause),
        )

    @staticmethod
    def _settle(what: str, post: Callable[[], HttpResponse]) -> None:
        try:
            answer = post()
        except AnswerLost as lost:
            log_refusal(what, lost)
            return
        if not 200 <= answer.status < 300:
            log_refusal(what, answer)


def log_refusal(what: str, answer: HttpResponse | AnswerLost) -> None:
    if isinstance(answer, AnswerLost):
        if answer.answer is None:
            runtime_log("ERROR", f"the {what} did not reach Lambda: {answer}")
            return
        answer = answer.answer
    body = answer.body[:500].decode("utf-8", "replace")
    why = _REFUSALS.get(answer.status, "see Lambda's answer")
    runtime_log("ERROR", f"Lambda refused the {what} with {answer.status}: {why}. {body}")

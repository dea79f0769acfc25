"""The Lambda Runtime API, client side: ``/next``, ``/response``, ``/error``, ``/init/error``.

Knows paths, header names and the order of calls; knows nothing of handlers, JSON events or
logging. Paths and headers: "Using the Lambda runtime API for custom runtimes",
https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html

What ends the process and what does not: only a Runtime API that cannot be reached for
``/next``, or that takes an answer and never replies, raises ``RuntimeApiError``. Any HTTP
status Lambda gives to an answer (413 too large, 410 too late, 400 ...) is returned to the
caller to log, and the loop carries on, as AWS's own clients do.
"""

from __future__ import annotations

import time

from .http_connection import ClosedBeforeAnswer, HttpConnection, HttpConnectionError, resolve
from .wire import (
    CRLF,
    LAST_CHUNK,
    SIZE_LINES,
    STREAMING_HEADERS,
    chunk_frame,
    chunk_size_line,
    last_chunk,
    request_head,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    import _socket
    from collections.abc import Iterable

    from .http_connection import HttpResponse

API_VERSION = "/2018-06-01"
NEXT_PATH = f"{API_VERSION}/runtime/invocation/next"
INIT_ERROR_PATH = f"{API_VERSION}/runtime/init/error"

ERROR_TYPE_HEADER = "Lambda-Runtime-Function-Error-Type"
XRAY_ERROR_CAUSE_HEADER = "Lambda-Runtime-Function-XRay-Error-Cause"
# A per-invoke nonce Lambda sends on /next since July 2026; every answer for that invocation
# echoes it unchanged (as awslambdaric 4.2 and the other AWS runtime clients do).
INVOCATION_ID_HEADER = "Lambda-Runtime-Invocation-Id"
# Go's runtime client drops the X-Ray cause above 1 MiB; Lambda would reject the request.
MAX_XRAY_CAUSE_BYTES = 1024 * 1024
# How long to wait for Lambda's answer to a post beyond the invocation's deadline: past it the
# sandbox is being torn down anyway, so waiting longer could only hang a broken local setup.
REPLY_GRACE_SECONDS = 5.0
# After a failed send on a stream, how long to look for the status Lambda may have sent first.
EARLY_ANSWER_SECONDS = 1.0
# A send failing so means the server had closed the connection: it read nothing of the request.
_CLOSED_BY_PEER = (BrokenPipeError, ConnectionResetError)


def reply_timeout(deadline_ms: int) -> float:
    """Seconds to wait for the answer to a post made for an invocation with this deadline."""
    return max(deadline_ms / 1000 - time.time(), 0.0) + REPLY_GRACE_SECONDS


class RuntimeApiError(Exception):
    """The Runtime API cannot be reached, or took an answer and never replied.

    The process cannot serve invocations without it: ``__main__`` logs this and exits non-zero,
    which is what Lambda expects of a runtime that lost its API.
    """


class AnswerLost(Exception):
    """An answer (buffered or streamed) broke off before Lambda took it whole.

    ``answer`` is Lambda's reply when one arrived (e.g. 413 once a stream passed the size cap),
    else ``None`` (the connection broke with no reply).
    """

    def __init__(self, message: str, answer: HttpResponse | None) -> None:
        super().__init__(message)
        self.answer = answer


class Invocation:
    """One event from ``GET /next``: the headers of the docs' "Next invocation" and the body."""

    __slots__ = (
        "body",
        "client_context",
        "cognito_identity",
        "content_type",
        "deadline_ms",
        "function_arn",
        "invocation_id",
        "request_id",
        "tenant_id",
        "trace_id",
    )

    def __init__(self, headers: dict[str, str], body: bytes) -> None:
        request_id = headers.get("lambda-runtime-aws-request-id")
        if not request_id:
            raise RuntimeApiError("GET /next answered without Lambda-Runtime-Aws-Request-Id")
        deadline = headers.get("lambda-runtime-deadline-ms", "")
        if not deadline.isdigit():
            raise RuntimeApiError(
                f"GET /next answered Lambda-Runtime-Deadline-Ms {deadline!r}; "
                "expected epoch milliseconds"
            )
        self.request_id = request_id
        self.deadline_ms = int(deadline)
        self.invocation_id = headers.get("lambda-runtime-invocation-id")
        self.function_arn = headers.get("lambda-runtime-invoked-function-arn")
        self.trace_id = headers.get("lambda-runtime-trace-id")
        self.client_context = headers.get("lambda-runtime-client-context")
        self.cognito_identity = headers.get("lambda-runtime-cognito-identity")
        self.tenant_id = headers.get("lambda-runtime-aws-tenant-id")
        self.content_type = headers.get("content-type", "application/json")
        self.body = body

    def answer_headers(self) -> tuple[tuple[str, str], ...]:
        """Headers every answer for this invocation carries: the nonce, when Lambda sent one."""
        return () if self.invocation_id is None else ((INVOCATION_ID_HEADER, self.invocation_id),)


class RuntimeApiClient:
    """Talks to ``AWS_LAMBDA_RUNTIME_API`` (``host:port``).

    Every request, ``/next``, buffered posts and streamed responses alike, goes on one kept-alive
    connection, as the Node.js runtime client's agent does (``keepAlive: true, maxSockets: 1``):
    a fresh TCP connection per streamed response costs four system calls and a handshake. Why
    that is safe although the docs ask to "close the underlying connection after it has
    successfully written the response": docs/runtime.md, "One connection".
    """

    def __init__(self, address: str) -> None:
        host, sep, port = address.rpartition(":")
        if not sep or not port.isdigit():
            raise RuntimeApiError(f"AWS_LAMBDA_RUNTIME_API={address!r} is not host:port")
        self.address = address
        try:
            self._family, self._sockaddr = resolve(host.strip("[]"), int(port))
        except OSError as error:
            raise RuntimeApiError(
                f"cannot resolve AWS_LAMBDA_RUNTIME_API={address}: {error}"
            ) from None
        self._connection = HttpConnection(self._family, self._sockaddr)

    def next_invocation(self) -> Invocation:
        """Long-poll for the next event. No timeout, as the docs require."""
        response = self._exchange("GET", NEXT_PATH, (), b"", timeout=None)
        if response.status != 200:
            detail = response.body[:500].decode("utf-8", "replace")
            raise RuntimeApiError(
                f"GET {NEXT_PATH}: the Runtime API answered {response.status}: {detail}"
            )
        return Invocation(response.headers, response.body)

    def post_response(self, invocation: Invocation, body: bytes, content_type: str) -> HttpResponse:
        """Send a whole (buffered) response; returns Lambda's answer (202, or 413 when too big)."""
        headers = (
            ("Content-Type", content_type),
            ("Content-Length", str(len(body))),
            *invocation.answer_headers(),
        )
        path = invocation_path(invocation.request_id, "response")
        return self._exchange(
            "POST", path, headers, body, timeout=reply_timeout(invocation.deadline_ms)
        )

    def post_error(
        self, invocation: Invocation, error_type: str, payload: bytes, xray_cause: bytes | None
    ) -> HttpResponse:
        """Report an invocation error; only legal before any response byte was sent."""
        headers = (*error_headers(error_type, payload, xray_cause), *invocation.answer_headers())
        path = invocation_path(invocation.request_id, "error")
        return self._exchange(
            "POST", path, headers, payload, timeout=reply_timeout(invocation.deadline_ms)
        )

    def post_init_error(self, error_type: str, payload: bytes) -> HttpResponse:
        """Report a failed initialisation; the process should exit afterwards."""
        headers = error_headers(error_type, payload, None)
        return self._exchange("POST", INIT_ERROR_PATH, headers, payload, timeout=5.0)

    def open_stream(self, invocation: Invocation, content_type: str) -> StreamingResponse:
        """Prepare ``POST /response`` in streaming mode on the kept-alive connection.

        Nothing is sent yet: the request head leaves with the first chunk, in the same syscall.
        """
        path = invocation_path(invocation.request_id, "response")
        connection = self._connection
        headers = (
            *STREAMING_HEADERS,
            ("Content-Type", content_type),
            *invocation.answer_headers(),
        )
        head = request_head("POST", path, self.address, headers)
        return StreamingResponse(connection, path, head, reply_timeout(invocation.deadline_ms))

    def close(self) -> None:
        self._connection.close()

    def _exchange(
        self,
        method: str,
        path: str,
        headers: Iterable[tuple[str, str]],
        body: bytes,
        *,
        timeout: float | None,
    ) -> HttpResponse:
        head = request_head(method, path, self.address, headers)
        connection = self._connection
        # A server may close an idle keep-alive connection (RFC 9112, section 9.5): if it did,
        # this request goes on a fresh one before any byte of it is sent.
        reused = connection.is_open and not connection.drop_if_closed_by_peer()
        try:
            try:
                connection.send(head, body)
                return connection.read_response(timeout)
            except (ClosedBeforeAnswer, BrokenPipeError):
                # Closed in the instant between the check and the send. Only a GET is sent
                # again: a POST's body may have been read, and answering twice is not allowed.
                if not reused or method != "GET":
                    raise
                connection.close()
                connection.send(head, body)
                return connection.read_response(timeout)
        except (OSError, HttpConnectionError) as error:
            connection.close()
            if isinstance(error, TimeoutError) or method == "GET" or path == INIT_ERROR_PATH:
                raise RuntimeApiError(
                    f"{method} {path} to the Runtime API at {self.address} failed: "
                    f"{_describe(error)}"
                ) from error
            # An answer that could not be delivered: the caller logs it and the loop goes on;
            # the next GET /next tells whether the Runtime API is still there.
            raise AnswerLost(f"{method} {path} failed: {_describe(error)}", None) from error


class StreamingResponse:
    """The wire half of a streamed response: chunks out, then the last chunk, then the 202.

    The connection stays open after a 202 for the next ``/next``; any other outcome (another
    status, a failed send, ``abort``) closes it, and the next request opens a fresh one.
    """

    __slots__ = ("_connection", "_head", "_path", "_sock", "_timeout")

    def __init__(self, connection: HttpConnection, path: str, head: bytes, timeout: float) -> None:
        self._connection = connection
        self._path = path
        self._head: bytes | None = head
        self._timeout = timeout
        self._sock: _socket.socket | None = None  # once the head is out: the stream's socket

    def send(self, data: bytes | bytearray | memoryview) -> None:
        """One HTTP chunk per call, sent at once. Empty data sends only a pending head."""
        sock = self._sock
        size = len(data)
        if sock is None or not size:  # the head is still to go, or there is nothing to send
            frame = chunk_frame(data)
            if frame or self._head is not None:
                self._send(frame)
            return
        # Every later chunk: the hot path of a stream, kept to one sendmsg and a comparison.
        frame = (SIZE_LINES.get(size) or chunk_size_line(size), data, CRLF)
        try:
            sent = sock.sendmsg(frame)
            if sent != len(frame[0]) + size + 2:
                HttpConnection.send_rest(sock, frame, sent)
        except OSError as error:
            self._lost(error, reused=False, buffers=frame)

    def finish(self, trailers: tuple[tuple[str, str], ...]) -> HttpResponse:
        """Send the last chunk (with trailers if any), read and return Lambda's answer."""
        connection = self._connection
        try:
            self._send((last_chunk(trailers) if trailers else LAST_CHUNK,))
            answer = connection.read_response(self._timeout)
        except TimeoutError as error:
            connection.close()
            raise RuntimeApiError(
                f"POST {self._path} (streaming): no answer before the invocation's deadline"
            ) from error
        except (OSError, HttpConnectionError) as error:
            connection.close()
            raise AnswerLost(
                f"POST {self._path} (streaming) failed: {_describe(error)}", None
            ) from error
        if answer.status != 202:  # Lambda may not have read the whole body: start afresh
            connection.close()
        return answer

    def abort(self) -> None:
        """Drop the connection without a last chunk (Lambda sees a truncated response)."""
        self._sock = None
        self._connection.close()

    def _send(self, buffers: tuple[bytes | bytearray | memoryview, ...]) -> None:
        connection = self._connection
        reused = False
        if self._head is not None:
            buffers = (self._head, *buffers)
            self._head = None
            # A server may close an idle keep-alive connection (RFC 9112, section 9.5): if it
            # did, the stream opens a fresh one before any byte of it is sent.
            reused = connection.is_open and not connection.drop_if_closed_by_peer()
        try:
            connection.send(*buffers)
        except OSError as error:
            self._lost(error, reused=reused, buffers=buffers)
        self._sock = connection.socket

    def _lost(
        self, error: OSError, *, reused: bool, buffers: tuple[bytes | bytearray | memoryview, ...]
    ) -> None:
        """A send failed: retry a first send the API cannot have seen, else raise AnswerLost."""
        self._sock = None
        # Lambda stops reading a response it refuses (over the size cap, past the deadline)
        # and may answer before it resets: read that answer if it is there.
        answer = self._early_answer()
        self._connection.close()
        if reused and answer is None and isinstance(error, _CLOSED_BY_PEER):
            # Closed in the instant between the check and the first send: the API never saw
            # this request, so it goes again, once, on a fresh connection.
            self._send_fresh(buffers)
            return
        reason = f"the Runtime API answered {answer.status}" if answer else _describe(error)
        raise AnswerLost(f"POST {self._path} (streaming) failed: {reason}", answer) from error

    def _send_fresh(self, buffers: tuple[bytes | bytearray | memoryview, ...]) -> None:
        try:
            self._connection.send(*buffers)
            self._sock = self._connection.socket
        except OSError as error:
            self._connection.close()
            raise AnswerLost(
                f"POST {self._path} (streaming) failed: {_describe(error)}", None
            ) from error

    def _early_answer(self) -> HttpResponse | None:
        try:
            return self._connection.read_response(EARLY_ANSWER_SECONDS)
        except (OSError, HttpConnectionError):
            return None


def invocation_path(request_id: str, endpoint: str) -> str:
    return f"{API_VERSION}/runtime/invocation/{request_id}/{endpoint}"


def error_headers(
    error_type: str, payload: bytes, xray_cause: bytes | None
) -> tuple[tuple[str, str], ...]:
    headers = [
        ("Content-Type", "application/json"),
        ("Content-Length", str(len(payload))),
        (ERROR_TYPE_HEADER, error_type),
    ]
    if xray_cause is not None and len(xray_cause) < MAX_XRAY_CAUSE_BYTES:
        headers.append((XRAY_ERROR_CAUSE_HEADER, xray_cause.decode("latin-1")))
    return tuple(headers)


def _describe(error: BaseException) -> str:
    if isinstance(error, ConnectionRefusedError):
        return "connection refused (is AWS_LAMBDA_RUNTIME_API right, and the API up?)"
    if isinstance(error, ConnectionResetError | BrokenPipeError):
        return "the connection was reset by the Runtime API"
    if isinstance(error, TimeoutError):
        return "no answer before the invocation's deadline"
    return str(error) or type(error).__name__

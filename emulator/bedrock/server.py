"""The fake Bedrock's HTTP side: bedrock-runtime's REST-JSON routes on a loopback server.

Owns: the four routes of botocore's bedrock-runtime model (``POST /model/{modelId}/invoke``,
``/invoke-with-response-stream``, ``/converse``, ``/converse-stream``), REST-JSON error
responses (status, ``x-amzn-ErrorType``, ``{"message"}``) and the streamed responses: one
event-stream message per HTTP chunk, written as the fake model produces tokens. Request signing
is not checked. What to answer comes from ``answers.py`` and ``shapes.py``.
"""

import base64
import collections
import json
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

from emulator.eventstream import encode_event, encode_exception

from . import shapes, streams
from .answers import PRE_STREAM_FAULTS, FaultSyntaxError, Plan, answer_for, plan_request

OPERATIONS = {
    "invoke": "InvokeModel",
    "invoke-with-response-stream": "InvokeModelWithResponseStream",
    "converse": "Converse",
    "converse-stream": "ConverseStream",
}
EVENTSTREAM = "application/vnd.amazon.eventstream"
MAX_BODY_BYTES = 25 * 1024 * 1024
HOLD_TIMEOUT_S = 30.0  # a held stream gives up after this, so a broken test cannot hang
REQUESTS_KEPT = 1000  # the newest requests stay in ``requests``; older ones are dropped
# Bedrock pads stream payloads with a "p" field of varying length so sizes do not reveal the
# text; clients must ignore it. Its alphabet as seen in captured streams.
_PADDING = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


class BedrockServer(ThreadingHTTPServer):
    """A ThreadingHTTPServer carrying the fake's settings and what it has been asked."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], *, token_delay: float, verbose: bool) -> None:
        super().__init__(address, _Handler)
        self.token_delay = token_delay
        self.verbose = verbose
        self.release_event = threading.Event()
        # Bounded: a long-running fake (the demo, a load test) must not grow with every request.
        self.requests: collections.deque[dict[str, Any]] = collections.deque(maxlen=REQUESTS_KEPT)
        # Every request ever received, kept or not: "was Bedrock called?" stays answerable.
        self.requests_seen = 0
        self._lock = threading.Lock()

    def record(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self.requests.append(entry)
            self.requests_seen += 1


class _Reply(Exception):
    """An error answer: HTTP status, Bedrock error code, message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class _Handler(BaseHTTPRequestHandler):
    server: BedrockServer
    protocol_version = "HTTP/1.1"
    # Headers and body leave in separate writes; with Nagle on, a kept-alive connection's next
    # answer waited ~40 ms for the client's delayed ACK (seen by bench/ as time to first token).
    disable_nagle_algorithm = True
    server_version = "FakeBedrock"

    def do_POST(self) -> None:
        started = time.monotonic()
        try:
            operation, model_id = self._route()
            body = self._read_json()
            self._answer(operation, model_id, body, started)
        except _Reply as reply:
            self._send_error(reply)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client went away mid-stream

    def do_GET(self) -> None:
        self._send_error(_Reply(404, "UnknownOperationException", "not a bedrock-runtime route"))

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.verbose:
            sys.stderr.write(f"fake-bedrock: {format % args}\n")

    def _route(self) -> tuple[str, str]:
        path = self.path.split("?", 1)[0]
        prefix, _, rest = path.partition("/model/")
        model_id, _, action = rest.rpartition("/")
        if prefix or not model_id or action not in OPERATIONS:
            raise _Reply(404, "UnknownOperationException", f"no route for POST {path}")
        return OPERATIONS[action], unquote(model_id)

    def _read_json(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            raise _Reply(400, "ValidationException", "Input is too long for requested model.")
        raw = self.rfile.read(length)
        try:
            return json.loads(raw) if raw else {}
        except ValueError:
            raise _Reply(
                400, "ValidationException", "Malformed input request: invalid JSON"
            ) from None

    def _answer(self, operation: str, model_id: str, body: Any, started: float) -> None:
        family = shapes.family_of(model_id)
        try:
            if operation.startswith("Converse"):
                prompt, max_tokens = shapes.read_converse_request(body)
            elif family is None:
                raise shapes.RequestError(
                    f"The fake Bedrock knows the InvokeModel body of {shapes.FAMILIES} models "
                    f"only, not {model_id!r}; use Converse for other models."
                )
            else:
                prompt, max_tokens = shapes.read_invoke_request(family, body)
            plan = plan_request(prompt, {k.lower(): v for k, v in self.headers.items()})
        except (shapes.RequestError, FaultSyntaxError) as error:
            raise _Reply(400, "ValidationException", str(error)) from None
        self.server.record(
            {"operation": operation, "modelId": model_id, "body": body, "plan": plan}
        )
        if plan.fault is not None:
            raise _Reply(*PRE_STREAM_FAULTS[plan.fault])
        done = shapes.complete(
            model_id, plan.prompt, answer_for(plan.prompt), max_tokens, plan, body
        )

        def elapsed_ms() -> int:
            return max(1, int((time.monotonic() - started) * 1000))

        if operation == "ConverseStream":
            self._stream(streams.converse_stream(done, elapsed_ms), plan, chunked_payload=False)
        elif operation == "InvokeModelWithResponseStream":
            assert family is not None
            self._stream(
                streams.invoke_stream(family, done, elapsed_ms), plan, chunked_payload=True
            )
        elif plan.fail_after is not None:
            raise _Reply(424, "ModelErrorException", "The model failed (injected by the fake).")
        else:
            self._pace(plan, len(done.tokens))
            if operation == "Converse":
                self._send_json(200, shapes.converse_response(done, elapsed_ms()))
            else:
                assert family is not None
                headers = {
                    "X-Amzn-Bedrock-Input-Token-Count": str(done.input_tokens),
                    "X-Amzn-Bedrock-Output-Token-Count": str(done.output_tokens),
                    "X-Amzn-Bedrock-Invocation-Latency": str(elapsed_ms()),
                }
                self._send_json(200, shapes.invoke_response(family, done), headers)

    def _pace(self, plan: Plan, tokens: int) -> None:
        delay = self._delay(plan)
        if delay:
            time.sleep(delay * tokens)

    def _delay(self, plan: Plan) -> float:
        return plan.token_delay if plan.token_delay is not None else self.server.token_delay

    def _stream(self, events: Iterator[shapes.Event], plan: Plan, *, chunked_payload: bool) -> None:
        self.send_response(200)
        self.send_header("Content-Type", EVENTSTREAM)
        if chunked_payload:
            self.send_header("X-Amzn-Bedrock-Content-Type", "application/json")
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        delay, sent = self._delay(plan), 0
        for index, event in enumerate(events):
            if event.token:
                if plan.fail_after is not None and sent >= plan.fail_after:
                    exception = plan.stream_exception
                    payload = shapes.stream_exception_payload(exception)
                    self._write_chunk(encode_exception(exception, _json_bytes(payload)))
                    break
                if plan.hold_after is not None and sent == plan.hold_after:
                    self.server.release_event.wait(HOLD_TIMEOUT_S)
                if plan.silence is not None and sent == 1:
                    time.sleep(plan.silence)  # a model quiet for a while (keep-alive tests)
                if delay:
                    time.sleep(delay)
                sent += 1
            self._write_chunk(_frame(event, index, chunked_payload))
        self._write_chunk(b"")
        self.close_connection = False

    def _write_chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def _send_json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        raw = _json_bytes(body)
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(raw)

    def _send_error(self, reply: _Reply) -> None:
        # botocore's rest-json parser takes the code from x-amzn-ErrorType (up to the colon).
        raw = _json_bytes({"message": reply.message})
        self.send_response(reply.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        self.send_header(
            "x-amzn-ErrorType", f"{reply.code}:http://internal.amazon.com/coral/com.amazon.bedrock/"
        )
        self.end_headers()
        self.wfile.write(raw)


def _frame(event: shapes.Event, index: int, chunked_payload: bool) -> bytes:
    padding = _PADDING[: (index * 7) % len(_PADDING) + 1]
    if chunked_payload:
        native = _json_bytes(event.payload)
        payload: dict[str, Any] = {"bytes": base64.b64encode(native).decode(), "p": padding}
    else:
        payload = {**event.payload, "p": padding}
    return encode_event(event.event_type, _json_bytes(payload), content_type="application/json")


def _json_bytes(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()

"""What the five demo handlers share: settings, the Bedrock client, requests and their errors.

- Settings come from the environment, read once per sandbox: ``MODEL_ID``, ``BEDROCK_REGION``
  (else ``AWS_REGION``), ``MAX_TOKENS``, ``BEDROCK_ENDPOINT_URL`` (unset = real Bedrock; the
  local demo points it at the fake), ``MAX_PROMPT_CHARS``, ``BEDROCK_MAX_ATTEMPTS`` (attempts
  in all, boto3's standard retry mode: throttling before the first byte is retried with
  back-off, as long as the retries fit into the invocation's remaining time). Unset ones
  take the demo's defaults from ``demo_settings.json`` next to this file, the one place the
  stack, app.py and scripts/demo.sh read them too.
- The boto3 client is created once per sandbox, on first use, and reused by every invocation.
- A request is ``{"prompt": "..."}``: the body of a Function URL (payload 2.0, possibly
  base64) or API Gateway event, or the event itself when invoked directly; ``GET ?prompt=``
  works too, for browsers' ``EventSource``.
- Failures before the first byte (a bad request, Bedrock refusing) become ``RequestFailed``:
  an HTTP caller gets its status and a JSON body that says what is wrong; a direct invoke
  gets a function error whose type names it (``Function.BadRequest``,
  ``Function.ThrottlingException``), since a direct invoke has no HTTP status to carry it.
"""

import base64
import binascii
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

# At module level on purpose: Lambda runs imports in the init phase, before the first request.
import boto3
from botocore.config import Config
from conversation import Conversation, ConversationError
from conversation import read_conversation as read_conversation_of

#: The demo's defaults (model, Region, limits), shared with the stack and scripts/demo.sh.
DEMO_SETTINGS_FILE = Path(__file__).resolve().parent / "demo_settings.json"
DEFAULTS: dict[str, Any] = json.loads(DEMO_SETTINGS_FILE.read_text(encoding="utf-8"))
DEFAULT_MODEL_ID: str = DEFAULTS["model_id"]
DEFAULT_REGION: str = DEFAULTS["region"]
ANTHROPIC_VERSION = "bedrock-2023-05-31"
EXAMPLE = '{"prompt": "こんにちは"}'

# Bedrock's error codes before the stream starts -> the HTTP status our caller gets. Caller's
# fault or a busy model -> 4xx/503 they may retry; our own misconfiguration -> 502.
_BEDROCK_STATUS = {
    "ThrottlingException": 429,
    "ServiceQuotaExceededException": 429,
    "ValidationException": 400,
    "ModelTimeoutException": 504,
    "ServiceUnavailableException": 503,
    "ModelNotReadyException": 503,
}


@dataclass(frozen=True, slots=True)
class Settings:
    model_id: str
    region: str
    max_tokens: int
    endpoint_url: str | None
    max_prompt_chars: int
    max_attempts: int

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> "Settings":
        return cls(
            model_id=environ.get("MODEL_ID") or DEFAULT_MODEL_ID,
            region=environ.get("BEDROCK_REGION") or environ.get("AWS_REGION") or DEFAULT_REGION,
            max_tokens=_positive_int(environ, "MAX_TOKENS", DEFAULTS["max_tokens"]),
            endpoint_url=environ.get("BEDROCK_ENDPOINT_URL") or None,
            max_prompt_chars=_positive_int(
                environ, "MAX_PROMPT_CHARS", DEFAULTS["max_prompt_chars"]
            ),
            max_attempts=_positive_int(
                environ, "BEDROCK_MAX_ATTEMPTS", DEFAULTS["bedrock_max_attempts"]
            ),
        )


def _positive_int(environ: Mapping[str, str], name: str, default: int) -> int:
    raw = environ.get(name)
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"environment variable {name}={raw!r} must be a whole number") from None
    if value < 1:
        raise ValueError(f"environment variable {name}={raw!r} must be at least 1")
    return value


@cache
def settings() -> Settings:
    """The function's settings, read from the environment once per sandbox."""
    return Settings.from_environ(os.environ)


@cache
def bedrock_client(attempts: int | None = None) -> Any:
    """The bedrock-runtime client, created once per sandbox (creating one costs ~100 ms), that
    makes at most ``attempts`` attempts per call (default: ``BEDROCK_MAX_ATTEMPTS``)."""
    config = settings()
    return boto3.client(
        "bedrock-runtime",
        region_name=config.region,
        endpoint_url=config.endpoint_url,
        config=Config(
            # total_max_attempts counts the first attempt too (botocore's max_attempts does not).
            retries={"mode": "standard", "total_max_attempts": attempts or config.max_attempts},
            connect_timeout=5,
            read_timeout=60,
        ),
    )


# A retry must fit into the invocation's remaining time: botocore's back-off outliving the
# function turns a throttle the caller could act on (429, retry-after) into a timeout.
_ATTEMPT_ALLOWANCE_S = 1.0  # one refused attempt (a throttle is answered at once)
_DEADLINE_MARGIN_S = 0.5  # left to answer the caller


def attempts_within(remaining_s: float, configured: int) -> int:
    """How many attempts fit into ``remaining_s`` seconds, at most ``configured``.

    botocore's standard mode sleeps up to 1 s before the first retry, 2 s before the second,
    doubling to 20 s (exponential back-off with jitter), plus each attempt's own time.

    >>> attempts_within(2.5, 3), attempts_within(30, 3)
    (1, 3)
    """
    attempts, needed = 1, _ATTEMPT_ALLOWANCE_S
    while attempts < configured:
        needed += min(20.0, 2.0 ** (attempts - 1)) + _ATTEMPT_ALLOWANCE_S
        if needed > remaining_s - _DEADLINE_MARGIN_S:
            break
        attempts += 1
    return attempts


def client_within(context: Any) -> Any:
    """The Bedrock client whose retries fit into the invocation's remaining time (``context``
    is the Lambda context; None: the configured retries)."""
    configured = settings().max_attempts
    if context is None:
        return bedrock_client()
    attempts = attempts_within(context.get_remaining_time_in_millis() / 1000, configured)
    return bedrock_client() if attempts == configured else bedrock_client(attempts)


class RequestFailed(Exception):
    """A failure before the first response byte, with the HTTP status it deserves."""

    def __init__(self, status: int, error_type: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.error_type = f"Function.{error_type}"  # the runtime's /error type
        self.name = error_type
        self.message = message

    def body(self) -> str:
        return json.dumps({"error": self.name, "message": self.message}, ensure_ascii=False)

    def headers(self) -> dict[str, str]:
        headers = {"content-type": "application/json"}
        if self.status in (429, 503):
            headers["retry-after"] = "1"
        return headers

    def http_response(self) -> dict[str, Any]:
        """The buffered Function URL / API Gateway response for this failure."""
        return {"statusCode": self.status, "headers": self.headers(), "body": self.body()}


class BadRequest(RequestFailed):
    def __init__(self, message: str) -> None:
        super().__init__(400, "BadRequest", message)


def bedrock_failed(error: Exception) -> RequestFailed:
    """A Bedrock error (botocore ``ClientError``, or a ``BedrockStreamError`` from inside a
    stream that was not forwarded yet) as our caller should see it."""
    details = getattr(error, "response", None) or {}
    code = str(details.get("Error", {}).get("Code") or getattr(error, "code", "") or "Error")
    message = str(details.get("Error", {}).get("Message") or getattr(error, "message", error))
    code = code[:1].upper() + code[1:]  # in-stream exceptions are spelled throttlingException
    return _failure_class(code)(_BEDROCK_STATUS.get(code, 502), code, f"Bedrock {code}: {message}")


@cache
def _failure_class(code: str) -> type[RequestFailed]:
    # A direct invoke's caller sees the exception's class name as errorType: name it after
    # Bedrock's error (ThrottlingException), not after our plumbing.
    name = "".join(char for char in code if char.isalnum()) or "BedrockError"
    return type(name, (RequestFailed,), {"__module__": __name__})


def json_answer(event: object, document: object) -> Any:
    """A buffered handler's answer: for an HTTP caller an explicit 200 JSON response, which an
    API Gateway REST proxy integration requires (a bare document is its "Malformed Lambda proxy
    response", 502) and a Function URL also accepts; for a direct invoke the document."""
    if not is_http(event):
        return document
    return {
        "statusCode": 200,
        "headers": {"content-type": "application/json"},
        "body": json.dumps(document, ensure_ascii=False),
    }


def is_http(event: object) -> bool:
    """Whether the event came through a Function URL or API Gateway (else: a direct invoke)."""
    return isinstance(event, Mapping) and ("requestContext" in event or "rawPath" in event)


def read_prompt(event: object) -> str:
    """The prompt of a request, or ``BadRequest`` saying what is wrong with it.

    HTTP GET takes it from the query (``?prompt=...``), which is what a browser's
    ``EventSource`` can send; other methods from the JSON body.
    """
    if isinstance(event, Mapping) and is_http(event):
        request = _query(event) if _method(event) == "GET" else _json_body(event)
    else:
        request = event
    if not isinstance(request, Mapping):
        raise BadRequest(f"the request must be a JSON object like {EXAMPLE}, not {_kind(request)}")
    if "prompt" not in request:
        raise BadRequest(f'"prompt" is missing: send {EXAMPLE}')
    prompt = request["prompt"]
    if not isinstance(prompt, str):
        raise BadRequest(f'"prompt" must be a string, not {_kind(prompt)}')
    if not prompt.strip():
        raise BadRequest('"prompt" is empty')
    limit = settings().max_prompt_chars
    if len(prompt) > limit:
        raise BadRequest(
            f'"prompt" has {len(prompt)} characters; at most {limit} are accepted '
            "(MAX_PROMPT_CHARS)"
        )
    return prompt


def read_conversation(event: object) -> Conversation:
    """The conversation of a request: ``{"prompt": ...}`` or ``{"messages": [...]}``, with an
    optional ``"system"`` (see ``conversation.py``), or ``BadRequest`` saying what is wrong.
    HTTP GET takes ``?prompt=`` from the query, as ``read_prompt`` does."""
    if isinstance(event, Mapping) and is_http(event):
        request = _query(event) if _method(event) == "GET" else _json_body(event)
    else:
        request = event
    if not isinstance(request, Mapping):
        raise BadRequest(f"the request must be a JSON object like {EXAMPLE}, not {_kind(request)}")
    try:
        conversation = read_conversation_of(request)
    except ConversationError as error:
        raise BadRequest(str(error)) from None
    limit = settings().max_prompt_chars
    if conversation.chars() > limit:
        raise BadRequest(
            f"the conversation has {conversation.chars()} characters; at most {limit} are "
            "accepted (MAX_PROMPT_CHARS)"
        )
    return conversation


def _method(event: Mapping[str, Any]) -> str:
    http = (event.get("requestContext") or {}).get("http") or {}
    return str(http.get("method") or event.get("httpMethod") or "").upper()


def _query(event: Mapping[str, Any]) -> object:
    query = event.get("queryStringParameters") or {}
    if "prompt" not in query:
        raise BadRequest("a GET request needs the prompt in the query: ?prompt=...")
    return {"prompt": query["prompt"]}


def _json_body(event: Mapping[str, Any]) -> object:
    body = event.get("body")
    if not body:
        raise BadRequest(f"the request body is empty: send JSON like {EXAMPLE}")
    raw: bytes | str = body
    if event.get("isBase64Encoded"):
        try:
            raw = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise BadRequest("the request body is marked base64 but is not valid base64") from None
    try:
        return json.loads(raw)
    except UnicodeDecodeError:
        raise BadRequest("the request body is not UTF-8 text") from None
    except json.JSONDecodeError as error:
        raise BadRequest(f"the request body is not valid JSON ({error}): send {EXAMPLE}") from None


def _kind(value: object) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}.get(
        type(value), "null" if value is None else "a number"
    )


def native_request(prompt: "str | Conversation") -> str:
    """The InvokeModel body for the configured model, in its family's native format.

    The article's Anthropic Messages body for Claude; Amazon Nova's and Meta Llama's for those,
    with every turn and the system prompt. Converse needs none of this: prefer it for other
    models.
    """
    config = settings()
    chat = Conversation.of(prompt) if isinstance(prompt, str) else prompt
    model = config.model_id.rsplit("/", 1)[-1]
    body: dict[str, Any]
    if "meta.llama" in model:
        return json.dumps({"prompt": chat.llama_prompt(), "max_gen_len": config.max_tokens})
    if "amazon.nova" in model:
        body = {"messages": chat.converse_messages()}
        if chat.system:
            body["system"] = chat.converse_system()
        body["inferenceConfig"] = {"maxTokens": config.max_tokens}
        return json.dumps(body)
    body = {
        "anthropic_version": ANTHROPIC_VERSION,
        "max_tokens": config.max_tokens,
        "messages": [
            {"role": t.role, "content": [{"type": "text", "text": t.text}]} for t in chat.turns
        ],
    }
    if chat.system:
        body["system"] = chat.system
    return json.dumps(body)


def invoke_model(prompt: "str | Conversation", *, stream: bool, context: Any = None) -> Any:
    """Call InvokeModel (or InvokeModelWithResponseStream) like the article does; with the
    Lambda ``context``, retries stop before the function's timeout."""
    call = "invoke_model_with_response_stream" if stream else "invoke_model"
    try:
        return getattr(client_within(context), call)(
            modelId=settings().model_id, contentType="application/json", body=native_request(prompt)
        )
    except Exception as error:
        if getattr(error, "response", None) is None:
            raise
        raise bedrock_failed(error) from error


def converse_stream(prompt: "str | Conversation", *, context: Any = None) -> Any:
    """Call ConverseStream: one request shape for every model Converse supports; a
    conversation is sent as Converse ``messages`` and ``system``. With the Lambda ``context``,
    retries stop before the function's timeout."""
    config = settings()
    chat = Conversation.of(prompt) if isinstance(prompt, str) else prompt
    extra: dict[str, Any] = {}
    if chat.system:
        extra["system"] = chat.converse_system()
    try:
        return client_within(context).converse_stream(
            modelId=config.model_id,
            messages=chat.converse_messages(),
            inferenceConfig={"maxTokens": config.max_tokens},
            **extra,
        )
    except Exception as error:
        if getattr(error, "response", None) is None:
            raise
        raise bedrock_failed(error) from error

"""(7) OpenAI's Chat Completions API and the AI SDK's UI message stream, over Bedrock.

Clients people already have work unchanged against this function's URL:

- ``POST /v1/chat/completions``: the ``openai`` SDKs, LangChain's ``ChatOpenAI``, IDE
  assistants (``base_url="<Function URL>/v1"``). ``stream: true`` streams ConverseStream's
  answer as ``chat.completion.chunk`` events token by token; ``stream: false`` is one
  ``chat.completion`` from Converse. Every request field is mapped or refused with a 400 naming
  it (docs/openai.md).
- ``GET /v1/models`` (and ``/v1/models/{id}``): the names ``model`` may take: the configured
  ``MODEL_ID`` and the aliases of ``OPENAI_MODEL_ALIASES`` (default: ``openai_model_aliases`` in
  demo_settings.json) that point at it; the function's role may invoke that model only.
- ``POST /api/chat``: the Vercel AI SDK's UI message stream (``useChat`` with
  ``DefaultChatTransport({api: "<Function URL>/api/chat"})``).

Errors before the first byte are OpenAI error objects with their HTTP status (Bedrock's
throttling -> 429, so ``openai.RateLimitError``); the answer's first event is read before the
status is sent, so a failure Bedrock reports at once still gets its status. A failure later is
an in-band event (OpenAI: ``data: {"error": ...}``, raised by the SDK's iterator; AI SDK:
an ``error`` part); so is the function's timeout coming near: the stream ends with that error
a second before it, even while Bedrock is silent. While Bedrock is silent a ``: keep-alive``
comment goes out every ``SSE_KEEP_ALIVE_SECONDS`` (15; 0 turns it off), which both SDKs skip.
With ``API_KEY_SECRET_ID`` or ``API_KEY_PARAMETER`` set, a bearer key is required
(``api_key.py``), except for IAM-signed requests.

    scripts/demo.sh --handler openai_compat
    curl -N http://127.0.0.1:8080/v1/chat/completions -H "Content-Type: application/json" \\
      -d '{"model": "claude-haiku-4.5", "stream": true,
           "messages": [{"role": "user", "content": "Hello"}]}'
"""

import base64
import binascii
import json
import os
from collections.abc import Iterable, Iterator, Mapping
from functools import cache
from typing import Any

from api_key import check_api_key
from common import DEFAULTS, client_within, is_http, settings
from keep_alive import with_keep_alive

from lambda_streaming import HttpMetadata, converse_events, streamify_response
from lambda_streaming.aisdk import (
    UI_MESSAGE_STREAM_HEADERS,
    UIMessageError,
    converse_ui_messages,
    part_event,
    ui_message_stream,
)
from lambda_streaming.bedrock import BedrockEvents, DeadlineReached, MessageStart
from lambda_streaming.openai import (
    SSE_HEADERS,
    OpenAIError,
    bad_request,
    chat_completion,
    chat_completion_chunks,
    converse_tools,
    error_event,
    model_list,
    openai_error,
    read_chat_request,
)

JSON_HEADERS = {"content-type": "application/json"}
# Seconds of Bedrock silence before a ": keep-alive" comment (as stream_sse.py); 0 turns it off.
KEEP_ALIVE_S = float(os.environ.get("SSE_KEEP_ALIVE_SECONDS") or 15.0) or None
CHAT_KEYS = {"id", "messages", "trigger", "messageId", "model", "tools"}  # POST /api/chat


@streamify_response(content_type="application/json")
def handler(event: Any, context: Any) -> Iterator[Any]:
    http = is_http(event)
    try:
        if http:
            check_api_key(event)
        method, path = _route(event) if http else ("POST", "/v1/chat/completions")
        if path == "/v1/models" and method == "GET":
            yield from _json(model_list(served_models()))
        elif path.startswith("/v1/models/") and method == "GET":
            yield from _json(_model(path.removeprefix("/v1/models/")))
        elif path == "/v1/chat/completions" and method == "POST":
            yield from _chat_completions(_body(event) if http else event, http, context)
        elif path == "/api/chat" and method == "POST":
            yield from _ui_chat(_body(event), http, context)
        else:
            raise OpenAIError(
                404,
                f"Unknown request URL: {method} {path}. This function serves POST "
                "/v1/chat/completions, GET /v1/models and POST /api/chat.",
                code="unknown_url",
            )
    except Exception as failure:
        error = openai_error(failure)
        if not http:
            raise error from failure  # no HTTP status: the function error's type names it
        if error.status >= 500 and not isinstance(failure, OpenAIError):
            print(f"openai_compat: {failure!r}")  # the log keeps what failed
        yield HttpMetadata(error.status, error.headers())
        yield error.body()


def _chat_completions(body: object, http: bool, context: Any) -> Iterator[Any]:
    config = settings()
    request = read_chat_request(body, models=served_models(), default_max_tokens=config.max_tokens)
    _check_size(request.converse)
    if not request.stream:
        answer = client_within(context).converse(**request.converse)
        yield from _json(chat_completion(answer, request.model))
        return
    events = _first_event_read(
        converse_events(client_within(context).converse_stream(**request.converse))
    )
    if http:
        yield HttpMetadata(200, SSE_HEADERS)
    chunks = chat_completion_chunks(
        events,
        request.model,
        include_usage=request.include_usage,
        reraise=not http,
        context=context,
    )
    stopped = error_event(DeadlineReached())
    yield from with_keep_alive(chunks, KEEP_ALIVE_S, context=context, expired=stopped)


def _ui_chat(body: object, http: bool, context: Any) -> Iterator[Any]:
    if not isinstance(body, dict):
        raise bad_request("the request body must be a JSON object with 'messages'")
    unknown = sorted(set(body) - CHAT_KEYS)
    if unknown:
        raise bad_request(f"'{unknown[0]}' is not a field of POST /api/chat", unknown[0])
    try:
        messages, system = converse_ui_messages(body.get("messages"))
    except UIMessageError as error:
        raise bad_request(str(error), error.param) from None
    models = served_models()
    model = body.get("model") or settings().model_id
    if model not in models:
        raise OpenAIError(404, f"the model {model!r} is not served here", code="model_not_found")
    converse: dict[str, Any] = {
        "modelId": models[model],
        "messages": messages,
        "inferenceConfig": {"maxTokens": settings().max_tokens},
    }
    if system:
        converse["system"] = system
    if body.get("tools") is not None:
        converse["toolConfig"] = {"tools": converse_tools(body["tools"])}
    _check_size(converse)
    events = _first_event_read(converse_events(client_within(context).converse_stream(**converse)))
    if http:
        yield HttpMetadata(200, UI_MESSAGE_STREAM_HEADERS)
    parts = ui_message_stream(
        events,
        reraise=not http,
        error_text=lambda error: openai_error(error).message,
        context=context,
    )
    stopped = part_event({"type": "error", "errorText": str(DeadlineReached())})
    yield from with_keep_alive(parts, KEEP_ALIVE_S, context=context, expired=stopped)


class _Replayed:
    """Events already read, then the rest of the stream; ``close()`` closes the stream."""

    def __init__(self, first: list[object], rest: BedrockEvents) -> None:
        self._first, self._rest = first, rest

    def __iter__(self) -> Iterator[object]:
        yield from self._first
        yield from self._rest

    def close(self) -> None:
        self._rest.close()


def _first_event_read(events: BedrockEvents) -> Iterable[object]:
    """Read up to the answer's first content event before any byte is sent: a failure Bedrock
    reports at once (an in-stream throttle) then gets its HTTP status, not a 200 stream. The
    first token leaves no later than it would have."""
    first: list[object] = []
    for event in events:
        first.append(event)
        if not isinstance(event, MessageStart):
            break
    return _Replayed(first, events)


def _check_size(converse: Mapping[str, Any]) -> None:
    limit = settings().max_prompt_chars
    chars = sum(
        len(block.get("text") or "")
        for part in (converse["messages"], converse.get("system") or [])
        for item in part
        for block in (item.get("content") or [item])
    )
    if chars > limit:
        raise bad_request(
            f"the messages have {chars} characters of text; at most {limit} are accepted "
            "(MAX_PROMPT_CHARS)",
            "messages",
        )


@cache
def served_models() -> dict[str, str]:
    """Each name ``model`` may take -> the Bedrock model id it calls (the configured one)."""
    model_id = settings().model_id
    raw = os.environ.get("OPENAI_MODEL_ALIASES")
    aliases = json.loads(raw) if raw else DEFAULTS.get("openai_model_aliases", {})
    if not isinstance(aliases, dict):
        raise ValueError("OPENAI_MODEL_ALIASES must be a JSON object {alias: model id}")
    served = {model_id: model_id}
    served.update({alias: target for alias, target in aliases.items() if target == model_id})
    return served


def _model(name: str) -> dict[str, Any]:
    if name not in served_models():
        raise OpenAIError(404, f"The model '{name}' does not exist", code="model_not_found")
    entry: dict[str, Any] = model_list([name])["data"][0]
    return entry


def _json(document: object) -> Iterator[Any]:
    yield HttpMetadata(200, JSON_HEADERS)
    yield json.dumps(document, ensure_ascii=False)


def _route(event: Mapping[str, Any]) -> tuple[str, str]:
    http = (event.get("requestContext") or {}).get("http") or {}
    method = str(http.get("method") or event.get("httpMethod") or "").upper()
    path = str(event.get("rawPath") or event.get("path") or "/")
    return method, path.rstrip("/") or "/"


def _body(event: Mapping[str, Any]) -> object:
    body = event.get("body")
    if not body:
        raise bad_request("the request body is empty: send a JSON object")
    raw: bytes | str = body
    if event.get("isBase64Encoded"):
        try:
            raw = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise bad_request("the request body is marked base64 but is not valid") from None
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise bad_request(f"the request body is not valid JSON ({error})") from None

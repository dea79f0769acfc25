"""The JSON bodies and stream events of the four bedrock-runtime operations the fake serves.

Owns: reading the request bodies (Converse's, and the native bodies of InvokeModel for
Anthropic Claude Messages, Amazon Nova and Meta Llama), and building the response bodies and
the sequence of stream events, in the shapes of botocore's bedrock-runtime service model
(2023-09-30) and the model families' documented native formats. Knows nothing of HTTP or of the
event-stream framing (``server.py`` writes these with ``emulator.eventstream``).
"""

import hashlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from .answers import count_input_tokens, tokenize

JSON = dict[str, Any]
DEFAULT_MAX_TOKENS = 1000
LLAMA_DEFAULT_MAX_GEN_LEN = 512
FAMILIES = ("anthropic", "nova", "llama")


class RequestError(ValueError):
    """A request body Bedrock would refuse with a ValidationException (400)."""


@dataclass(frozen=True, slots=True)
class Completion:
    """The fake model's answer to one request, cut at the request's token limit."""

    model_id: str
    tokens: list[str]
    input_tokens: int
    truncated: bool

    @property
    def text(self) -> str:
        return "".join(self.tokens)

    @property
    def output_tokens(self) -> int:
        return len(self.tokens)


@dataclass(frozen=True, slots=True)
class Event:
    """One stream event: its ``:event-type`` and JSON payload; ``token`` if it carries text."""

    event_type: str
    payload: JSON
    token: bool = False


def complete(model_id: str, prompt: str, answer: str, max_tokens: int) -> Completion:
    tokens = tokenize(answer)
    return Completion(
        model_id, tokens[:max_tokens], count_input_tokens(prompt), len(tokens) > max_tokens
    )


def family_of(model_id: str) -> str | None:
    """``anthropic``/``nova``/``llama`` from a model id, inference profile id or ARN."""
    name = model_id.rsplit("/", 1)[-1].lower()
    if ".anthropic." in f".{name}":
        return "anthropic"
    if ".amazon.nova" in f".{name}":
        return "nova"
    if ".meta.llama" in f".{name}":
        return "llama"
    return None


# --- Requests ------------------------------------------------------------------------------


def read_converse_request(body: object) -> tuple[str, int]:
    """(prompt, max tokens) of a Converse/ConverseStream body."""
    request = _object(body)
    config = request.get("inferenceConfig") or {}
    return _last_user_text(request), _positive(
        config.get("maxTokens", DEFAULT_MAX_TOKENS), "maxTokens"
    )


def read_invoke_request(family: str, body: object) -> tuple[str, int]:
    """(prompt, max tokens) of an InvokeModel body in the family's native format."""
    request = _object(body)
    if family == "anthropic":
        for key in ("anthropic_version", "max_tokens", "messages"):
            if key not in request:
                raise RequestError(f"Malformed input request: #: required key [{key}] not found")
        return _last_user_text(request), _positive(request["max_tokens"], "max_tokens")
    if family == "nova":
        config = request.get("inferenceConfig") or {}
        limit = config.get("maxTokens", config.get("max_new_tokens", DEFAULT_MAX_TOKENS))
        return _last_user_text(request), _positive(limit, "maxTokens")
    prompt = request.get("prompt")
    if not isinstance(prompt, str) or not prompt:
        raise RequestError("Malformed input request: #: required key [prompt] not found")
    limit = request.get("max_gen_len", LLAMA_DEFAULT_MAX_GEN_LEN)
    return _llama_user_text(prompt), _positive(limit, "max_gen_len")


def _object(body: object) -> JSON:
    if not isinstance(body, dict):
        raise RequestError("Malformed input request: the body must be a JSON object")
    return body


def _positive(value: object, name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise RequestError(f"Malformed input request: {name} must be an integer >= 1")
    return value


def _last_user_text(request: Mapping[str, Any]) -> str:
    messages = request.get("messages")
    if not isinstance(messages, list) or not messages:
        raise RequestError("Malformed input request: messages must be a non-empty list")
    last = messages[-1]
    if not isinstance(last, dict) or last.get("role") != "user":
        raise RequestError("Malformed input request: the last message must have role 'user'")
    content = last.get("content")
    if isinstance(content, str):  # Anthropic accepts a plain string
        return content
    if not isinstance(content, list):
        raise RequestError("Malformed input request: message content must be a list")
    return "".join(
        block["text"]
        for block in content
        if isinstance(block, dict) and isinstance(block.get("text"), str)
    )


def _llama_user_text(prompt: str) -> str:
    # Llama 3 chat template: the last user turn sits between these two markers.
    start = "<|start_header_id|>user<|end_header_id|>"
    if start in prompt:
        return prompt.rsplit(start, 1)[1].split("<|eot_id|>", 1)[0].strip()
    return prompt


# --- Buffered responses --------------------------------------------------------------------


def converse_response(done: Completion, latency_ms: int) -> JSON:
    return {
        "output": {"message": {"role": "assistant", "content": [{"text": done.text}]}},
        "stopReason": "max_tokens" if done.truncated else "end_turn",
        "usage": _converse_usage(done),
        "metrics": {"latencyMs": latency_ms},
    }


def invoke_response(family: str, done: Completion) -> JSON:
    if family == "anthropic":
        return {
            "id": _message_id(done),
            "type": "message",
            "role": "assistant",
            "model": _anthropic_model(done.model_id),
            "content": [{"type": "text", "text": done.text}],
            "stop_reason": "max_tokens" if done.truncated else "end_turn",
            "stop_sequence": None,
            "usage": {"input_tokens": done.input_tokens, "output_tokens": done.output_tokens},
        }
    if family == "nova":
        return {
            "output": {"message": {"content": [{"text": done.text}], "role": "assistant"}},
            "stopReason": "max_tokens" if done.truncated else "end_turn",
            "usage": _converse_usage(done),
        }
    return {
        "generation": done.text,
        "prompt_token_count": done.input_tokens,
        "generation_token_count": done.output_tokens,
        "stop_reason": "length" if done.truncated else "stop",
    }


# --- Streams -------------------------------------------------------------------------------


def converse_stream(done: Completion, elapsed_ms: Callable[[], int]) -> Iterator[Event]:
    """ConverseStreamOutput events (the same for every model family)."""
    yield Event("messageStart", {"role": "assistant"})
    for token in done.tokens:
        yield Event(
            "contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": token}}, token=True
        )
    yield Event("contentBlockStop", {"contentBlockIndex": 0})
    yield Event("messageStop", {"stopReason": "max_tokens" if done.truncated else "end_turn"})
    yield Event(
        "metadata", {"usage": _converse_usage(done), "metrics": {"latencyMs": elapsed_ms()}}
    )


def invoke_stream(family: str, done: Completion, elapsed_ms: Callable[[], int]) -> Iterator[Event]:
    """``chunk`` events of InvokeModelWithResponseStream; the payload is the native JSON."""
    chunks = {"anthropic": _anthropic_chunks, "nova": _nova_chunks, "llama": _llama_chunks}[family]
    first_byte_ms = None
    for payload, is_token in chunks(done):
        if first_byte_ms is None:
            first_byte_ms = elapsed_ms()
        if "amazon-bedrock-invocationMetrics" in payload:
            # Bedrock adds its own metrics to the last chunk of every model family.
            payload["amazon-bedrock-invocationMetrics"] = {
                "inputTokenCount": done.input_tokens,
                "outputTokenCount": done.output_tokens,
                "invocationLatency": elapsed_ms(),
                "firstByteLatency": first_byte_ms,
            }
        yield Event("chunk", payload, token=is_token)


def _anthropic_chunks(done: Completion) -> Iterator[tuple[JSON, bool]]:
    message = invoke_response("anthropic", done) | {"content": [], "stop_reason": None}
    message["usage"] = {"input_tokens": done.input_tokens, "output_tokens": 1}
    yield {"type": "message_start", "message": message}, False
    yield (
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        False,
    )
    yield {"type": "ping"}, False
    for token in done.tokens:
        delta = {"type": "text_delta", "text": token}
        yield {"type": "content_block_delta", "index": 0, "delta": delta}, True
    yield {"type": "content_block_stop", "index": 0}, False
    stop = "max_tokens" if done.truncated else "end_turn"
    yield (
        {
            "type": "message_delta",
            "delta": {"stop_reason": stop, "stop_sequence": None},
            "usage": {"output_tokens": done.output_tokens},
        },
        False,
    )
    yield {"type": "message_stop", "amazon-bedrock-invocationMetrics": {}}, False


def _nova_chunks(done: Completion) -> Iterator[tuple[JSON, bool]]:
    for event in converse_stream(done, lambda: 0):
        payload: JSON = {event.event_type: event.payload}
        if event.event_type == "metadata":
            payload["metadata"] = {"usage": _converse_usage(done), "metrics": {}, "trace": {}}
            payload["amazon-bedrock-invocationMetrics"] = {}
        yield payload, event.token


def _llama_chunks(done: Completion) -> Iterator[tuple[JSON, bool]]:
    for index, token in enumerate(done.tokens):
        yield (
            {
                "generation": token,
                "prompt_token_count": done.input_tokens if index == 0 else None,
                "generation_token_count": index + 1,
                "stop_reason": None,
            },
            True,
        )
    yield (
        {
            "generation": "",
            "prompt_token_count": None if done.tokens else done.input_tokens,
            "generation_token_count": done.output_tokens,
            "stop_reason": "length" if done.truncated else "stop",
            "amazon-bedrock-invocationMetrics": {},
        },
        False,
    )


def stream_exception_payload(exception: str) -> JSON:
    """The JSON of an in-stream exception event, e.g. ``throttlingException``."""
    if exception == "modelStreamErrorException":
        return {
            "message": "The model failed while streaming (injected by the fake).",
            "originalStatusCode": 500,
            "originalMessage": "Internal model error",
        }
    return {"message": f"{exception} in the middle of the stream (injected by the fake)."}


def _converse_usage(done: Completion) -> JSON:
    return {
        "inputTokens": done.input_tokens,
        "outputTokens": done.output_tokens,
        "totalTokens": done.input_tokens + done.output_tokens,
    }


def _anthropic_model(model_id: str) -> str:
    # "us.anthropic.claude-3-haiku-20240307-v1:0" -> "claude-3-haiku-20240307"
    name = model_id.rsplit("/", 1)[-1].split("anthropic.", 1)[-1]
    return name.split("-v", 1)[0] if "-v" in name else name


def _message_id(done: Completion) -> str:
    digest = hashlib.sha256(f"{done.model_id}\0{done.text}".encode()).hexdigest()
    return f"msg_bdrk_{digest[:24]}"

"""The JSON bodies and stream events of the four bedrock-runtime operations the fake serves.

Owns: reading the request bodies (Converse's, and the native bodies of InvokeModel for
Anthropic Claude Messages, Amazon Nova and Meta Llama), and building the response bodies and
the sequence of stream events, in the shapes of botocore's bedrock-runtime service model
(2023-09-30) and the model families' documented native formats. Knows nothing of HTTP or of the
event-stream framing (``server.py`` writes these with ``emulator.eventstream``).
"""

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .answers import GUARDRAIL_MESSAGE, REASONING, Plan, count_input_tokens, tokenize

JSON = dict[str, Any]
DEFAULT_MAX_TOKENS = 1000
LLAMA_DEFAULT_MAX_GEN_LEN = 512
SIGNATURE = "ZmFrZS1zaWduYXR1cmU="  # the fake's reasoning signature (base64 of "fake-signature")
FAMILIES = ("anthropic", "nova", "llama", "mistral", "deepseek", "openai", "cohere", "titan")


class RequestError(ValueError):
    """A request body Bedrock would refuse with a ValidationException (400)."""


@dataclass(frozen=True, slots=True)
class Completion:
    """The fake model's answer to one request, cut at the request's token limit."""

    model_id: str
    tokens: list[str]
    input_tokens: int
    truncated: bool
    reasoning: tuple[str, ...] = ()
    tool: tuple[str, str, JSON] | None = None  # (tool use id, name, input)
    citation: bool = False
    guardrail: bool = False
    cache: bool = False

    @property
    def text(self) -> str:
        return "".join(self.tokens)

    @property
    def stop(self) -> str:
        """The stop reason, in ConverseStream's words."""
        if self.guardrail:
            return "guardrail_intervened"
        if self.tool is not None:
            return "tool_use"
        return "max_tokens" if self.truncated else "end_turn"

    @property
    def output_tokens(self) -> int:
        return len(self.tokens)


@dataclass(frozen=True, slots=True)
class Event:
    """One stream event: its ``:event-type`` and JSON payload; ``token`` if it carries text."""

    event_type: str
    payload: JSON
    token: bool = False


def complete(  # noqa: PLR0917
    model_id: str,
    prompt: str,
    answer: str,
    max_tokens: int,
    plan: Plan | None = None,
    request: object = None,
) -> Completion:
    """The answer to one request: ``answer`` cut at ``max_tokens``, plus what the plan's
    markers (or the request: extended thinking, tools) ask the fake model to say."""
    flags = plan.options if plan is not None else {}
    if "guardrail" in flags:
        answer = GUARDRAIL_MESSAGE
    tokens = tokenize(answer)
    thinking = "reasoning" in flags or _asks_for_thinking(request)
    tool = None
    if "tool-use" in flags and "guardrail" not in flags:
        tokens = tokenize("Let me look that up.")
        tool = ("tooluse_fake0001", _first_tool(request) or "get_weather", {"city": "Tokyo"})
    return Completion(
        model_id,
        tokens[:max_tokens],
        count_input_tokens(prompt),
        len(tokens) > max_tokens,
        reasoning=tuple(tokenize(REASONING)) if thinking else (),
        tool=tool,
        citation="citations" in flags,
        guardrail="guardrail" in flags,
        cache="cache" in flags,
    )


def _asks_for_thinking(request: object) -> bool:
    if not isinstance(request, dict):
        return False
    extra = request.get("additionalModelRequestFields") or {}
    thinking = request.get("thinking") or (extra.get("thinking") if isinstance(extra, dict) else 0)
    return isinstance(thinking, dict) and thinking.get("type") == "enabled"


def _first_tool(request: object) -> str | None:
    """The first tool's name: Converse ``toolConfig.tools[].toolSpec``, Anthropic ``tools[]``,
    OpenAI ``tools[].function``."""
    if not isinstance(request, dict):
        return None
    tools = (request.get("toolConfig") or {}).get("tools") or request.get("tools") or []
    for tool in tools:
        if isinstance(tool, dict):
            spec = tool.get("toolSpec") or tool.get("function") or tool
            if isinstance(spec, dict) and isinstance(spec.get("name"), str):
                return str(spec["name"])
    return None


# Model id prefix (after an optional geographic profile prefix such as "us.") -> family.
_PREFIXES = {
    "anthropic.": "anthropic",
    "amazon.nova": "nova",
    "meta.llama": "llama",
    "mistral.": "mistral",
    "deepseek.": "deepseek",
    "openai.": "openai",
    "cohere.command": "cohere",
    "amazon.titan-text": "titan",
}


def family_of(model_id: str) -> str | None:
    """The model family (one of ``FAMILIES``) of a model id, inference profile id or ARN."""
    name = f".{model_id.rsplit('/', 1)[-1].lower()}"
    return next((family for prefix, family in _PREFIXES.items() if f".{prefix}" in name), None)


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
    if family == "llama":
        prompt = _required_text(request, "prompt")
        limit = request.get("max_gen_len", LLAMA_DEFAULT_MAX_GEN_LEN)
        return _llama_user_text(prompt), _positive(limit, "max_gen_len")
    return read_other_request(family, request)


def read_other_request(family: str, request: JSON) -> tuple[str, int]:
    """(prompt, max tokens) for Mistral, DeepSeek, OpenAI gpt-oss, Cohere and Titan bodies."""
    if family == "titan":
        config = request.get("textGenerationConfig") or {}
        text = _required_text(request, "inputText")
        user = text.rsplit("User:", 1)[-1].split("\nBot:", 1)[0].strip()
        return user, _positive(config.get("maxTokenCount", 512), "maxTokenCount")
    limit = _positive(
        request.get("max_completion_tokens", request.get("max_tokens", DEFAULT_MAX_TOKENS)),
        "max_tokens",
    )
    if family == "cohere" and "message" in request:
        return _required_text(request, "message"), limit
    if "messages" in request:  # Mistral chat completion, OpenAI chat completions
        return _last_user_text(request), limit
    prompt = _required_text(request, "prompt")
    # Mistral's [INST] template; DeepSeek-R1's, whose markers use U+FF5C, not "|".
    for start, end in (("[INST]", "[/INST]"), ("<\uff5cUser\uff5c>", "<\uff5cAssistant\uff5c>")):
        if start in prompt:
            prompt = prompt.rsplit(start, 1)[1].split(end, 1)[0]
    return prompt.strip(), limit


def _required_text(request: JSON, key: str) -> str:
    value = request.get(key)
    if not isinstance(value, str) or not value:
        raise RequestError(f"Malformed input request: #: required key [{key}] not found")
    return value


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
    if isinstance(content, str):  # Anthropic, Mistral and OpenAI accept a plain string
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
    """Converse's answer: the same blocks ConverseStream sends, whole: reasoning first
    (``reasoningContent.reasoningText`` with its signature), the text, then a ``toolUse``
    block with its complete ``input`` object, as the Converse API reference shows them
    (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html,
    https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ContentBlock.html)."""
    content: list[JSON] = []
    if done.reasoning:
        reasoning = {"text": "".join(done.reasoning), "signature": SIGNATURE}
        content.append({"reasoningContent": {"reasoningText": reasoning}})
    content.append({"text": done.text})
    if done.tool is not None:
        tool_id, name, arguments = done.tool
        content.append({"toolUse": {"toolUseId": tool_id, "name": name, "input": arguments}})
    return {
        "output": {"message": {"role": "assistant", "content": content}},
        "stopReason": done.stop,
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

"""An OpenAI ``chat.completions`` request read into Bedrock Converse arguments, or refused.

Owns: every top-level request field. Mapped (docs/openai.md has the table): ``model`` (through
the caller's model table), ``messages`` (``messages.py``), ``max_completion_tokens`` /
``max_tokens`` -> ``inferenceConfig.maxTokens``, ``temperature``, ``top_p`` -> ``topP``,
``stop`` -> ``stopSequences``, ``tools`` / ``tool_choice`` -> ``toolConfig``, ``stream``,
``stream_options.include_usage``, ``reasoning_effort`` -> Claude's extended thinking budget.
Accepted when they ask for what Bedrock does anyway (``n: 1``, ``parallel_tool_calls: true``,
``logprobs: false``, ``presence_penalty: 0``, ...). Every other field, or value, is a 400 naming
it: a client must not believe a setting took effect when it did not.
"""

from __future__ import annotations

from .errors import OpenAIError, bad_request
from .messages import converse_messages

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

# Claude's extended-thinking budget per reasoning_effort (budget_tokens must be >= 1024 and
# below max_tokens: https://docs.aws.amazon.com/bedrock/latest/userguide/claude-messages-extended-thinking.html).
REASONING_BUDGETS = {"low": 1024, "medium": 4096, "high": 16384}
# Fields whose value is accepted only when it is what Bedrock does anyway (OpenAI's default).
_DEFAULT_ONLY: dict[str, tuple[object, ...]] = {
    "n": (1,),
    "parallel_tool_calls": (True,),
    "logprobs": (False,),
    "presence_penalty": (0, 0.0),
    "frequency_penalty": (0, 0.0),
    "store": (False,),
    "modalities": (["text"],),
    "response_format": ({"type": "text"},),
    "service_tier": ("auto", "default"),
}
_MAPPED = {
    "model",
    "messages",
    "stream",
    "stream_options",
    "max_tokens",
    "max_completion_tokens",
    "temperature",
    "top_p",
    "stop",
    "tools",
    "tool_choice",
    "reasoning_effort",
}


class ChatRequest:
    """A valid request: ``converse`` (keyword arguments for ``converse``/``converse_stream``
    with ``modelId``), ``model`` (the name the caller used, echoed in every answer),
    ``stream`` and ``include_usage``."""

    __slots__ = ("converse", "include_usage", "model", "stream")

    def __init__(
        self, converse: dict[str, Any], model: str, stream: bool, include_usage: bool
    ) -> None:
        self.converse = converse
        self.model = model
        self.stream = stream
        self.include_usage = include_usage


def read_chat_request(
    body: object, *, models: Mapping[str, str], default_max_tokens: int | None = None
) -> ChatRequest:
    """Read a ``POST /v1/chat/completions`` body (parsed JSON).

    ``models`` maps each name a caller may send as ``model`` to its Bedrock model id (an id may
    map to itself); another name is a 404 ``model_not_found``. ``default_max_tokens`` is the
    ``maxTokens`` sent when the request sets none (Bedrock's own default otherwise).
    Raises ``OpenAIError`` (400 naming the field, or 404) for anything it cannot map.
    """
    if not isinstance(body, dict):
        raise bad_request("the request body must be a JSON object")
    _refuse_unmapped(body)
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise bad_request("'model' is required: one of GET /v1/models", "model")
    if model not in models:
        raise OpenAIError(
            404,
            f"The model '{model}' does not exist or you do not have access to it; this endpoint "
            f"serves {sorted(models)}",
            param="model",
            code="model_not_found",
        )
    messages, system = converse_messages(body.get("messages"))
    converse: dict[str, Any] = {"modelId": models[model], "messages": messages}
    if system:
        converse["system"] = system
    inference = _inference_config(body, default_max_tokens)
    if inference:
        converse["inferenceConfig"] = inference
    tool_config = _tool_config(body, messages)
    if tool_config is not None:
        converse["toolConfig"] = tool_config
    if body.get("reasoning_effort") is not None:
        converse["additionalModelRequestFields"] = _thinking(
            body["reasoning_effort"], models[model]
        )
    stream = body.get("stream", False)
    if not isinstance(stream, bool) and stream is not None:
        raise bad_request("'stream' must be true or false", "stream")
    return ChatRequest(converse, model, bool(stream), _include_usage(body, bool(stream)))


def _refuse_unmapped(body: Mapping[str, Any]) -> None:
    for name, value in body.items():
        if name in _MAPPED or value is None:
            continue
        if name in _DEFAULT_ONLY:
            if value not in _DEFAULT_ONLY[name]:
                allowed = " or ".join(repr(v) for v in _DEFAULT_ONLY[name])
                raise bad_request(
                    f"'{name}'={value!r} is not supported by this Bedrock endpoint (only "
                    f"{allowed}, what Bedrock does anyway); remove it",
                    name,
                )
            continue
        raise bad_request(
            f"Unrecognized request argument supplied: {name} (this Bedrock endpoint maps only "
            f"{sorted(_MAPPED)}; see docs/openai.md)",
            name,
        )


def _number(body: Mapping[str, Any], name: str, low: float, high: float) -> float | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise bad_request(f"'{name}' must be a number from {low} to {high}", name)
    return value


def _inference_config(body: Mapping[str, Any], default_max_tokens: int | None) -> dict[str, Any]:
    config: dict[str, Any] = {}
    limits = {
        k: body[k] for k in ("max_completion_tokens", "max_tokens") if body.get(k) is not None
    }
    for name, value in limits.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise bad_request(f"'{name}' must be a whole number of at least 1", name)
    if len(set(limits.values())) > 1:
        raise bad_request(
            "'max_tokens' and 'max_completion_tokens' differ: send one", "max_completion_tokens"
        )
    max_tokens = next(iter(limits.values()), default_max_tokens)
    if max_tokens is not None:
        config["maxTokens"] = max_tokens
    temperature = _number(body, "temperature", 0, 2)
    if temperature is not None:
        config["temperature"] = temperature
    top_p = _number(body, "top_p", 0, 1)
    if top_p is not None:
        config["topP"] = top_p
    stop = body.get("stop")
    if stop is not None:
        stops = [stop] if isinstance(stop, str) else stop
        if not isinstance(stops, list) or not all(isinstance(s, str) and s for s in stops):
            raise bad_request("'stop' must be a string or an array of non-empty strings", "stop")
        if len(stops) > 4:
            raise bad_request("'stop' takes at most 4 sequences", "stop")
        config["stopSequences"] = stops
    return config


def converse_tools(tools: object, param: str = "tools") -> list[dict[str, Any]]:
    """OpenAI function ``tools`` -> Converse ``toolConfig.tools`` (``toolSpec`` each)."""
    if not isinstance(tools, list) or not tools:
        raise bad_request(f"'{param}' must be a non-empty array of function tools", param)
    specs = []
    for number, tool in enumerate(tools):
        where = f"{param}[{number}]"
        if (
            not isinstance(tool, dict)
            or tool.get("type") != "function"
            or set(tool)
            - {
                "type",
                "function",
            }
        ):
            raise bad_request(f"'{where}' must be {{type: function, function: {{...}}}}", where)
        function = tool.get("function")
        if not isinstance(function, dict) or not isinstance(function.get("name"), str):
            raise bad_request(f"'{where}.function.name' is required", f"{where}.function.name")
        extra = set(function) - {"name", "description", "parameters", "strict"}
        if function.get("strict"):
            extra.add("strict")
        if extra:
            name = sorted(extra)[0]
            raise bad_request(
                f"'{where}.function.{name}' is not supported by Bedrock Converse; remove it",
                f"{where}.function.{name}",
            )
        parameters = function.get("parameters") or {"type": "object", "properties": {}}
        spec: dict[str, Any] = {"name": function["name"], "inputSchema": {"json": parameters}}
        if function.get("description"):
            spec["description"] = function["description"]
        specs.append({"toolSpec": spec})
    return specs


def _tool_config(body: Mapping[str, Any], messages: list[dict[str, Any]]) -> dict[str, Any] | None:
    tools, choice = body.get("tools"), body.get("tool_choice")
    if tools is None:
        if choice not in (None, "none"):
            raise bad_request("'tool_choice' needs 'tools'", "tool_choice")
        return None
    specs = converse_tools(tools)
    if choice == "none":
        # Converse has no "none": the model cannot call tools it is not given. A conversation
        # that already holds tool calls needs the tools declared, so it cannot say "none".
        if any("toolUse" in b or "toolResult" in b for m in messages for b in m["content"]):
            raise bad_request(
                "'tool_choice': 'none' cannot be honoured on Bedrock when the messages hold "
                "tool calls; leave it out (or 'auto')",
                "tool_choice",
            )
        return None
    config: dict[str, Any] = {"tools": specs}
    if choice is None or choice == "auto":
        return config
    if choice == "required":
        config["toolChoice"] = {"any": {}}
        return config
    function = choice.get("function") if isinstance(choice, dict) else None
    if not isinstance(function, dict) or not isinstance(function.get("name"), str):
        raise bad_request(
            "'tool_choice' must be 'none', 'auto', 'required' or "
            "{type: function, function: {name}}",
            "tool_choice",
        )
    config["toolChoice"] = {"tool": {"name": function["name"]}}
    return config


def _thinking(effort: object, model_id: str) -> dict[str, Any]:
    if "anthropic.claude" not in model_id:
        raise bad_request(
            f"'reasoning_effort' is mapped to Claude's extended thinking only, not {model_id}",
            "reasoning_effort",
        )
    if effort not in REASONING_BUDGETS:
        raise bad_request(
            f"'reasoning_effort' must be one of {sorted(REASONING_BUDGETS)}", "reasoning_effort"
        )
    return {"thinking": {"type": "enabled", "budget_tokens": REASONING_BUDGETS[str(effort)]}}


def _include_usage(body: Mapping[str, Any], stream: bool) -> bool:
    options = body.get("stream_options")
    if options is None:
        return False
    if not stream:
        raise bad_request("'stream_options' is only allowed with 'stream': true", "stream_options")
    if not isinstance(options, dict):
        raise bad_request("'stream_options' must be an object", "stream_options")
    for name, value in options.items():
        if name == "include_usage" and isinstance(value, bool):
            continue
        if name == "include_obfuscation" and value is False:
            continue  # we send no obfuscation padding: false asks for exactly that
        raise bad_request(
            f"'stream_options.{name}'={value!r} is not supported (only include_usage)",
            f"stream_options.{name}",
        )
    return bool(options.get("include_usage"))

"""A Bedrock ``Converse`` response -> an OpenAI ``chat.completion``; and the models list.

Owns: the non-streaming answer (https://platform.openai.com/docs/api-reference/chat/object):
text blocks joined as ``message.content``, ``toolUse`` blocks as ``message.tool_calls``
(arguments as a JSON string), reasoning text as ``message.reasoning_content``, the stop reason
as ``finish_reason`` and Bedrock's token counts as ``usage``; and ``GET /v1/models``'s list.
"""

from __future__ import annotations

import json
import time

from lambda_streaming.bedrock import Usage

from .chunks import completion_id, finish_reason, openai_usage

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from typing import Any


def chat_completion(response: Mapping[str, Any], model: str) -> dict[str, Any]:
    """The ``chat.completion`` object for a boto3 ``converse()`` response."""
    message = (response.get("output") or {}).get("message") or {}
    texts: list[str] = []
    reasoning: list[str] = []
    calls: list[dict[str, Any]] = []
    for block in message.get("content") or []:
        if "text" in block:
            texts.append(block["text"])
        elif "toolUse" in block:
            use = block["toolUse"]
            arguments = json.dumps(use.get("input") or {}, ensure_ascii=False)
            calls.append(
                {
                    "id": use["toolUseId"],
                    "type": "function",
                    "function": {"name": use["name"], "arguments": arguments},
                }
            )
        elif "reasoningContent" in block:
            text = (block["reasoningContent"].get("reasoningText") or {}).get("text")
            if text:
                reasoning.append(text)
    answer: dict[str, Any] = {
        "role": "assistant",
        "content": "".join(texts) if texts or not calls else None,
        "refusal": None,
    }
    if calls:
        answer["tool_calls"] = calls
    if reasoning:
        answer["reasoning_content"] = "".join(reasoning)
    usage = response.get("usage") or {}
    return {
        "id": completion_id(),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "system_fingerprint": None,
        "choices": [
            {
                "index": 0,
                "message": answer,
                "logprobs": None,
                "finish_reason": finish_reason(response.get("stopReason")),
            }
        ],
        "usage": openai_usage(
            Usage(
                usage.get("inputTokens"),
                usage.get("outputTokens"),
                usage.get("cacheReadInputTokens"),
                usage.get("cacheWriteInputTokens"),
            )
        ),
    }


def model_list(names: Iterable[str], owned_by: str = "amazon-bedrock") -> dict[str, Any]:
    """``GET /v1/models``: ``{"object": "list", "data": [{"id", "object", "created",
    "owned_by"}, ...]}`` for the names a caller may send as ``model``."""
    return {
        "object": "list",
        "data": [
            {"id": name, "object": "model", "created": 0, "owned_by": owned_by}
            for name in sorted(names)
        ],
    }

"""The AI SDK's ``UIMessage`` list (what ``useChat`` posts) -> Bedrock Converse messages.

Owns: reading ``{"messages": [{"id", "role", "parts": [...]}]}``: ``system`` messages ->
Converse ``system``; ``text`` parts -> text blocks; ``file`` parts with an image ``data:`` URL
-> image blocks; a tool part (``tool-<name>`` or ``dynamic-tool``) whose output the client has
(``output-available`` / ``output-error``) -> a ``toolUse`` block in the assistant turn and its
``toolResult`` in the next user turn, as Converse requires. Parts that only the UI shows
(``step-start``, ``source-*``, ``data-*``) and earlier reasoning (which Bedrock would need
signed) are not sent to the model. Anything else is a ``UIMessageError`` naming it.
"""

from __future__ import annotations

import json

from lambda_streaming.openai.messages import converse_image

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_UI_ONLY = ("step-start", "source-url", "source-document", "reasoning")
_TOOL_DONE = ("output-available", "output-error")


class UIMessageError(ValueError):
    """A UI message this endpoint cannot send to Bedrock; ``param`` names the part."""

    def __init__(self, message: str, param: str) -> None:
        super().__init__(message)
        self.param = param


def converse_ui_messages(messages: object) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(Converse ``messages``, Converse ``system``) for a list of ``UIMessage`` objects."""
    if not isinstance(messages, list) or not messages:
        raise UIMessageError("'messages' must be a non-empty array of UI messages", "messages")
    system: list[dict[str, Any]] = []
    turns: list[dict[str, Any]] = []

    def add(role: str, blocks: list[dict[str, Any]]) -> None:
        if not blocks:
            return
        if turns and turns[-1]["role"] == role:
            turns[-1]["content"].extend(blocks)  # Converse turns alternate: join them
        else:
            turns.append({"role": role, "content": blocks})

    for position, message in enumerate(messages):
        where = f"messages[{position}]"
        if not isinstance(message, dict) or not isinstance(message.get("parts"), list):
            raise UIMessageError(f"'{where}' must be a UI message with 'role' and 'parts'", where)
        role = message.get("role")
        if role == "system":
            system.extend({"text": t} for t in _texts(message["parts"], where))
        elif role == "user":
            add("user", _user_blocks(message["parts"], where))
        elif role == "assistant":
            uses, results = _assistant_blocks(message["parts"], where)
            add("assistant", uses)
            add("user", results)
        else:
            raise UIMessageError(f"'{where}.role' must be system, user or assistant", where)
    if not turns or turns[0]["role"] != "user":
        raise UIMessageError("the conversation must start with a user message", "messages")
    return turns, system


def _texts(parts: list[Any], where: str) -> list[str]:
    texts = []
    for number, part in enumerate(parts):
        if not isinstance(part, dict) or part.get("type") != "text":
            raise UIMessageError(f"'{where}.parts[{number}]' must be a text part", where)
        texts.append(str(part.get("text") or ""))
    return [text for text in texts if text]


def _user_blocks(parts: list[Any], where: str) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    for number, part in enumerate(parts):
        here = f"{where}.parts[{number}]"
        kind = part.get("type") if isinstance(part, dict) else None
        if kind == "text":
            if part.get("text"):
                blocks.append({"text": part["text"]})
        elif kind == "file":
            try:
                blocks.append(converse_image(part.get("url")))
            except ValueError as error:
                raise UIMessageError(f"'{here}': {error}", here) from None
        elif not _ui_only(kind):
            raise UIMessageError(f"'{here}' has type {kind!r}, not sent to Bedrock", here)
    return blocks


def _assistant_blocks(
    parts: list[Any], where: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    blocks: list[dict[str, Any]] = []
    results: list[dict[str, Any]] = []
    for number, part in enumerate(parts):
        here = f"{where}.parts[{number}]"
        kind = part.get("type") if isinstance(part, dict) else None
        if kind == "text":
            if part.get("text"):
                blocks.append({"text": part["text"]})
        elif isinstance(kind, str) and (kind.startswith("tool-") or kind == "dynamic-tool"):
            use, result = _tool(part, kind, here)
            blocks.append(use)
            results.append(result)
        elif not _ui_only(kind):
            raise UIMessageError(f"'{here}' has type {kind!r}, not sent to Bedrock", here)
    return blocks, results


def _tool(part: dict[str, Any], kind: str, where: str) -> tuple[dict[str, Any], dict[str, Any]]:
    name = part.get("toolName") if kind == "dynamic-tool" else kind.removeprefix("tool-")
    call_id = part.get("toolCallId")
    if part.get("state") not in _TOOL_DONE:
        raise UIMessageError(
            f"'{where}' is a tool call without its output (state {part.get('state')!r}); "
            "Bedrock needs every tool call's result: add the output first",
            where,
        )
    if not isinstance(name, str) or not isinstance(call_id, str):
        raise UIMessageError(f"'{where}' needs toolCallId and a tool name", where)
    use = {"toolUse": {"toolUseId": call_id, "name": name, "input": part.get("input") or {}}}
    output = part.get("output")
    content: list[dict[str, Any]]
    if part["state"] == "output-error":
        content = [{"text": str(part.get("errorText") or "error")}]
    elif isinstance(output, str):
        content = [{"text": output}]
    elif isinstance(output, dict):
        content = [{"json": output}]
    else:
        content = [{"text": json.dumps(output, ensure_ascii=False)}]
    result: dict[str, Any] = {"toolUseId": call_id, "content": content}
    if part["state"] == "output-error":
        result["status"] = "error"
    return use, {"toolResult": result}


def _ui_only(kind: object) -> bool:
    return kind in _UI_ONLY or (isinstance(kind, str) and kind.startswith("data-"))

"""OpenAI chat ``messages`` -> Bedrock Converse ``messages`` and ``system``, field by field.

Owns: each role (``system``/``developer`` -> Converse ``system``; ``user``; ``assistant`` with
``tool_calls`` -> ``toolUse`` blocks; ``tool`` -> a ``toolResult`` block in a user turn), each
content part (``text``; ``image_url`` with a ``data:`` URL -> an ``image`` block), and Converse's
rule that turns alternate (consecutive turns of one role are joined into one, as Converse asks:
https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Message.html). Anything
without a faithful Converse equivalent is refused with a 400 naming it, never dropped.
"""

from __future__ import annotations

import base64
import binascii
import json

from .errors import bad_request

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

# Converse ImageBlock formats (API_runtime_ImageBlock.html) by data-URL media type.
IMAGE_FORMATS = {
    "image/png": "png",
    "image/jpeg": "jpeg",
    "image/jpg": "jpeg",
    "image/gif": "gif",
    "image/webp": "webp",
}
_MESSAGE_KEYS = {
    "system": {"role", "content"},
    "developer": {"role", "content"},
    "user": {"role", "content"},
    "assistant": {"role", "content", "tool_calls", "refusal"},
    "tool": {"role", "content", "tool_call_id"},
}


def converse_messages(messages: object) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(Converse ``messages``, Converse ``system``) for OpenAI's ``messages``."""
    if not isinstance(messages, list) or not messages:
        raise bad_request("'messages' must be a non-empty array of message objects", "messages")
    system: list[dict[str, Any]] = []
    turns: list[dict[str, Any]] = []
    for position, message in enumerate(messages):
        where = f"messages[{position}]"
        if not isinstance(message, dict):
            raise bad_request(f"'{where}' must be an object with 'role' and 'content'", where)
        role = message.get("role")
        if role not in _MESSAGE_KEYS:
            raise bad_request(
                f"'{where}.role' must be one of {sorted(_MESSAGE_KEYS)}, not {role!r}"
                + (
                    " ('function' messages are deprecated: use 'tool')"
                    if role == "function"
                    else ""
                ),
                f"{where}.role",
            )
        extra = set(message) - _MESSAGE_KEYS[role]
        if extra:
            name = sorted(extra)[0]
            raise bad_request(
                f"'{where}.{name}' is not supported for {role} messages: Bedrock Converse has no "
                "equivalent; remove it",
                f"{where}.{name}",
            )
        if role in ("system", "developer"):
            system.extend({"text": text} for text in _texts(message.get("content"), where))
            continue
        if role == "user":
            blocks = _user_content(message.get("content"), where)
        elif role == "assistant":
            blocks = _assistant_content(message, where)
        else:
            blocks = [_tool_result(message, where)]
        converse_role = "assistant" if role == "assistant" else "user"
        if turns and turns[-1]["role"] == converse_role:
            turns[-1]["content"].extend(blocks)  # Converse turns alternate: join them
        else:
            turns.append({"role": converse_role, "content": blocks})
    if not turns:
        raise bad_request("'messages' has no user message, only system ones", "messages")
    return turns, system


def _texts(content: object, where: str) -> list[str]:
    """The text of a system/developer/tool message: a string or an array of text parts."""
    if isinstance(content, str):
        if not content:
            raise bad_request(f"'{where}.content' is empty", f"{where}.content")
        return [content]
    if isinstance(content, list) and content:
        texts = []
        for number, part in enumerate(content):
            here = f"{where}.content[{number}]"
            if not isinstance(part, dict) or part.get("type") != "text":
                raise bad_request(f"'{here}' must be a text part here", here)
            texts.append(_part_text(part, here))
        return texts
    raise bad_request(
        f"'{where}.content' must be a string or an array of parts", f"{where}.content"
    )


def _part_text(part: Mapping[str, Any], where: str) -> str:
    if set(part) - {"type", "text"}:
        name = sorted(set(part) - {"type", "text"})[0]
        raise bad_request(f"'{where}.{name}' is not supported; remove it", f"{where}.{name}")
    text = part.get("text")
    if not isinstance(text, str) or not text:
        raise bad_request(f"'{where}.text' must be a non-empty string", f"{where}.text")
    return text


def _user_content(content: object, where: str) -> list[dict[str, Any]]:
    if isinstance(content, str):
        if not content:
            raise bad_request(f"'{where}.content' is empty", f"{where}.content")
        return [{"text": content}]
    if not isinstance(content, list) or not content:
        raise bad_request(
            f"'{where}.content' must be a string or a non-empty array of parts", f"{where}.content"
        )
    blocks = []
    for number, part in enumerate(content):
        here = f"{where}.content[{number}]"
        kind = part.get("type") if isinstance(part, dict) else None
        if kind == "text":
            blocks.append({"text": _part_text(part, here)})
        elif kind == "image_url":
            blocks.append(_image_part(part, here))
        else:
            raise bad_request(
                f"'{here}' has type {kind!r}; 'text' and 'image_url' parts are supported "
                "(Bedrock Converse takes no audio or file parts through this endpoint)",
                f"{here}.type",
            )
    return blocks


def _image_part(part: Mapping[str, Any], where: str) -> dict[str, Any]:
    image = part.get("image_url")
    if set(part) - {"type", "image_url"} or not isinstance(image, dict):
        raise bad_request(f"'{where}' must be {{type: image_url, image_url: {{url}}}}", where)
    if image.get("detail", "auto") != "auto" or set(image) - {"url", "detail"}:
        raise bad_request(
            f"'{where}.image_url.detail' must be 'auto' (Bedrock has no detail setting)",
            f"{where}.image_url.detail",
        )
    try:
        return converse_image(image.get("url"))
    except ValueError as error:
        raise bad_request(f"'{where}.image_url.url': {error}", f"{where}.image_url.url") from None


def converse_image(url: object) -> dict[str, Any]:
    """A Converse ``image`` block from a ``data:image/...;base64,...`` URL; ``ValueError`` says
    what is wrong (Bedrock takes image bytes, so an ``https:`` URL is refused, not fetched)."""
    if not isinstance(url, str) or not url.startswith("data:"):
        raise ValueError(
            "send the image inline as a data URL (data:image/png;base64,...); Bedrock takes "
            "image bytes and this endpoint does not fetch URLs"
        )
    head, _, data = url[5:].partition(",")
    media_type, _, encoding = head.partition(";")
    image_format = IMAGE_FORMATS.get(media_type.lower())
    if image_format is None or encoding != "base64":
        raise ValueError(
            f"a base64 data URL of one of {sorted(IMAGE_FORMATS)} is needed, not {head!r}"
        )
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("the data URL's base64 is not valid") from None
    return {"image": {"format": image_format, "source": {"bytes": raw}}}


def _assistant_content(message: Mapping[str, Any], where: str) -> list[dict[str, Any]]:
    if message.get("refusal") is not None:
        raise bad_request(f"'{where}.refusal' has no Bedrock equivalent", f"{where}.refusal")
    content = message.get("content")
    blocks: list[dict[str, Any]] = []
    if content is not None and content != "":
        blocks.extend({"text": text} for text in _texts(content, where))
    calls = message.get("tool_calls")
    if calls is not None:
        if not isinstance(calls, list):
            raise bad_request(f"'{where}.tool_calls' must be an array", f"{where}.tool_calls")
        blocks.extend(_tool_use(call, f"{where}.tool_calls[{n}]") for n, call in enumerate(calls))
    if not blocks:
        raise bad_request(f"'{where}' has neither content nor tool_calls", f"{where}.content")
    return blocks


def _tool_use(call: object, where: str) -> dict[str, Any]:
    if not isinstance(call, dict) or call.get("type", "function") != "function":
        raise bad_request(f"'{where}' must be a function tool call", where)
    function = call.get("function")
    if not isinstance(function, dict) or not isinstance(function.get("name"), str):
        raise bad_request(f"'{where}.function.name' is missing", f"{where}.function.name")
    if not isinstance(call.get("id"), str) or not call["id"]:
        raise bad_request(f"'{where}.id' is missing", f"{where}.id")
    arguments = function.get("arguments") or "{}"
    try:
        parsed = json.loads(arguments) if isinstance(arguments, str) else None
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        raise bad_request(
            f"'{where}.function.arguments' must be a JSON object in a string",
            f"{where}.function.arguments",
        )
    return {"toolUse": {"toolUseId": call["id"], "name": function["name"], "input": parsed}}


def _tool_result(message: Mapping[str, Any], where: str) -> dict[str, Any]:
    call_id = message.get("tool_call_id")
    if not isinstance(call_id, str) or not call_id:
        raise bad_request(f"'{where}.tool_call_id' is missing", f"{where}.tool_call_id")
    texts = _texts(message.get("content"), where)
    return {"toolResult": {"toolUseId": call_id, "content": [{"text": t} for t in texts]}}

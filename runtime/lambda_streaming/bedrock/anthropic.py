"""Anthropic Claude's Messages API stream events, as InvokeModelWithResponseStream relays them.

Owns: one chunk (``{"type": "content_block_delta", ...}``) to typed events: text, extended
thinking (``thinking_delta``, ``signature_delta``, ``redacted_thinking`` blocks), tool use
(``tool_use`` block + ``input_json_delta``), citations (``citations_delta``), usage with the
prompt-cache counts, and the stop reason. Shapes: "Anthropic Claude Messages API" on Bedrock,
https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-anthropic-claude-messages.html
(streaming, extended thinking, tool use and citations sections).
"""

from __future__ import annotations

from .errors import BedrockStreamError, UnknownShapeError, shape_of
from .events import Citation, MessageStart, OtherDelta, ReasoningDelta

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping
    from typing import Any

    from .blocks import Blocks
    from .events import BedrockEvent

API = "InvokeModelWithResponseStream (Anthropic Claude)"
_CITATION_FIELDS = ("cited_text", "document_title", "title", "url")


def read_anthropic(blocks: Blocks, body: Mapping[str, Any]) -> Iterator[BedrockEvent]:
    kind = body["type"]
    index = body.get("index", 0)
    if kind == "content_block_delta":
        yield from _delta(blocks, body.get("delta") or {}, index)
    elif kind == "content_block_start":
        yield from _start(blocks, body.get("content_block") or {}, index)
    elif kind == "content_block_stop":
        yield blocks.stop(index)
    elif kind == "message_start":
        message = body.get("message") or {}
        _count(blocks, message.get("usage") or {})
        yield MessageStart(str(message.get("role") or "assistant"))
    elif kind == "message_delta":
        _count(blocks, body.get("usage") or {})
        reason = (body.get("delta") or {}).get("stop_reason")
        if reason:
            blocks.pending_reason = str(reason)
    elif kind == "error":
        error = body.get("error") or {}
        raise BedrockStreamError(str(error.get("type") or "error"), str(error.get("message", "")))
    elif kind not in ("message_stop", "ping"):
        raise UnknownShapeError(API, f'{{type: "{kind}"}}', "not a Messages API stream event")


def _count(blocks: Blocks, usage: Mapping[str, Any]) -> None:
    blocks.count(
        input_tokens=usage.get("input_tokens"),
        output_tokens=usage.get("output_tokens"),
        cache_read=usage.get("cache_read_input_tokens"),
        cache_write=usage.get("cache_creation_input_tokens"),
    )


def _delta(blocks: Blocks, delta: Mapping[str, Any], index: int) -> Iterator[BedrockEvent]:
    kind = delta.get("type")
    event: BedrockEvent | None
    if kind == "text_delta":
        event = blocks.text(str(delta.get("text") or ""), index)
    elif kind == "thinking_delta":
        event = blocks.reasoning(str(delta.get("thinking") or ""), index)
    elif kind == "signature_delta":
        event = ReasoningDelta(signature=str(delta.get("signature") or ""), index=index)
    elif kind == "input_json_delta":
        event = blocks.tool_delta(str(delta.get("partial_json") or ""), index)
    elif kind == "citations_delta":
        event = _citation(delta.get("citation") or {}, index)
    else:
        raise UnknownShapeError(API, f'content_block_delta.delta {{type: "{kind}"}}')
    if event is not None:
        yield event


def _start(blocks: Blocks, block: Mapping[str, Any], index: int) -> Iterator[BedrockEvent]:
    kind = block.get("type")
    event: BedrockEvent | None
    if kind == "text":
        event = blocks.text(str(block.get("text") or ""), index)
        if event is not None:
            yield event
    elif kind == "thinking":
        event = blocks.reasoning(str(block.get("thinking") or ""), index)
        if event is not None:
            yield event
    elif kind == "redacted_thinking":
        blocks.mark(index, "reasoning")
        yield ReasoningDelta(redacted=str(block.get("data") or "").encode(), index=index)
    elif kind in ("tool_use", "server_tool_use"):
        yield blocks.tool_start(str(block.get("id", "")), str(block.get("name", "")), index)
    elif isinstance(kind, str):
        # e.g. web_search_tool_result: documented, nothing to type; passed on unchanged.
        blocks.mark(index, "other")
        yield OtherDelta(kind, dict(block), index)
    else:
        raise UnknownShapeError(API, f"content_block_start.content_block {shape_of(block)}")


def _citation(citation: Mapping[str, Any], index: int) -> Citation:
    return Citation(
        title=citation.get("document_title") or citation.get("title"),
        source=citation.get("url"),
        cited_text=citation.get("cited_text"),
        location={k: v for k, v in citation.items() if k not in _CITATION_FIELDS},
        index=index,
    )

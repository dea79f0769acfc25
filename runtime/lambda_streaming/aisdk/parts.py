"""Typed Bedrock events -> the AI SDK's UI message stream (protocol ``v1``), as SSE.

Owns: the stream the Vercel AI SDK's ``useChat`` (``DefaultChatTransport``) reads
(https://ai-sdk.dev/docs/ai-sdk-ui/stream-protocol): ``data: {part}`` events: ``start``,
``start-step``, ``text-start``/``text-delta``/``text-end`` per text block,
``reasoning-start``/``-delta``/``-end`` per reasoning block (a signature or redacted reasoning
as ``providerMetadata.bedrock``), ``tool-input-start``/``-delta``/``-available`` per tool call
(``tool-input-error`` when the model's arguments are not valid JSON), ``finish-step``,
``finish`` (``finishReason``; ``messageMetadata``: stop reason and usage), then
``data: [DONE]``. A failure is an ``error`` part (``errorText``), and the stream ends.

Does not: call Bedrock or choose headers (``UI_MESSAGE_STREAM_HEADERS``).
"""

from __future__ import annotations

import json
import os

from lambda_streaming.bedrock import (
    DEFAULT_DEADLINE_MARGIN_MS,
    BlockStop,
    LambdaContextLike,
    MessageStop,
    Metadata,
    ReasoningDelta,
    TextDelta,
    ToolUseDelta,
    ToolUseStart,
    ToolUseStop,
    until_deadline,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator
    from typing import Any

UI_MESSAGE_STREAM_HEADERS = {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache",
    "x-vercel-ai-ui-message-stream": "v1",
    "x-accel-buffering": "no",
}
"""The headers the AI SDK's own ``createUIMessageStreamResponse`` sends."""
DONE = "data: [DONE]\n\n"
# Converse stop reason -> the AI SDK's finishReason.
FINISH_REASONS = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool-calls",
    "guardrail_intervened": "content-filter",
    "content_filtered": "content-filter",
}


def part_event(part: dict[str, Any]) -> str:
    """One UI message stream part as an SSE event."""
    return f"data: {json.dumps(part, ensure_ascii=False, separators=(',', ':'))}\n\n"


class PartTranslator:
    """Turns one answer's Bedrock events into UI message stream parts (dicts).

    ``start()`` opens the message, ``feed(event)`` returns the parts of one event, ``finish()``
    closes what is still open and ends the message; ``stop_reason`` and ``usage`` are kept.
    """

    __slots__ = ("_open", "message_id", "stop_reason", "usage")

    def __init__(self, message_id: str | None = None) -> None:
        self.message_id = message_id or "msg-" + os.urandom(12).hex()
        self._open: dict[int, tuple[str, str]] = {}  # block index -> (kind, part id)
        self.stop_reason: str | None = None
        self.usage: Any = None

    def start(self) -> list[dict[str, Any]]:
        return [{"type": "start", "messageId": self.message_id}, {"type": "start-step"}]

    def feed(self, event: object) -> list[dict[str, Any]]:  # noqa: PLR0911  # one per event type
        if isinstance(event, TextDelta):
            return self._delta("text", event.index, {"delta": event.text})
        if isinstance(event, ReasoningDelta):
            extra: dict[str, Any] = {"delta": event.text}
            if event.signature is not None:
                extra["providerMetadata"] = {"bedrock": {"signature": event.signature}}
            elif event.redacted is not None:
                extra["providerMetadata"] = {"bedrock": {"redactedData": event.redacted}}
            return self._delta("reasoning", event.index, extra)
        if isinstance(event, ToolUseDelta):
            return [
                {
                    "type": "tool-input-delta",
                    "toolCallId": event.tool_use_id,
                    "inputTextDelta": event.input_json,
                }
            ]
        if isinstance(event, ToolUseStart):
            return [
                {
                    "type": "tool-input-start",
                    "toolCallId": event.tool_use_id,
                    "toolName": event.name,
                }
            ]
        if isinstance(event, ToolUseStop):
            return [_tool_input(event)]
        if isinstance(event, BlockStop):
            return self._end(event.index)
        if isinstance(event, MessageStop):
            self.stop_reason = event.reason
            return [*self._end_all(), {"type": "finish-step"}]
        if isinstance(event, Metadata):
            self.usage = event.usage
        return []  # citations, guardrail traces, other deltas: not parts of this protocol

    def finish(self) -> list[dict[str, Any]]:
        metadata: dict[str, Any] = {"stopReason": self.stop_reason}
        if self.usage is not None:
            metadata["usage"] = {
                "inputTokens": self.usage.input_tokens,
                "outputTokens": self.usage.output_tokens,
                "totalTokens": self.usage.total_tokens,
            }
        return [
            *self._end_all(),
            {
                "type": "finish",
                "finishReason": FINISH_REASONS.get(self.stop_reason or "", "other"),
                "messageMetadata": metadata,
            },
        ]

    def _delta(self, kind: str, index: int, fields: dict[str, Any]) -> list[dict[str, Any]]:
        parts = []
        opened = self._open.get(index)
        if opened is None or opened[0] != kind:
            parts.extend(self._end(index))
            part_id = f"{kind}-{index}"
            self._open[index] = (kind, part_id)
            parts.append({"type": f"{kind}-start", "id": part_id})
        else:
            part_id = opened[1]
        parts.append({"type": f"{kind}-delta", "id": part_id, **fields})
        return parts

    def _end(self, index: int) -> list[dict[str, Any]]:
        opened = self._open.pop(index, None)
        return [] if opened is None else [{"type": f"{opened[0]}-end", "id": opened[1]}]

    def _end_all(self) -> list[dict[str, Any]]:
        return [part for index in sorted(self._open) for part in self._end(index)]


def _tool_input(event: ToolUseStop) -> dict[str, Any]:
    if event.input is None:
        return {
            "type": "tool-input-error",
            "toolCallId": event.tool_use_id,
            "toolName": event.name,
            "input": event.input_json,
            "errorText": "the model's tool input is not valid JSON",
        }
    return {
        "type": "tool-input-available",
        "toolCallId": event.tool_use_id,
        "toolName": event.name,
        "input": event.input,
    }


def ui_message_stream(
    events: Iterable[object],
    *,
    message_id: str | None = None,
    reraise: bool = False,
    error_text: Callable[[Exception], str] | None = None,
    context: LambdaContextLike | None = None,
    margin_ms: int = DEFAULT_DEADLINE_MARGIN_MS,
) -> Iterator[str]:
    """The SSE stream of an answer: every part as ``data: {...}``, then ``data: [DONE]``.

    If ``events`` raises, an ``error`` part (``errorText``: ``error_text(exc)`` if given, else
    ``str(exc)``) is sent and the stream ends; ``reraise=True`` re-raises it afterwards. A stream
    that ends without Bedrock's stop reason is such a failure. With the Lambda ``context``, the
    stream stops ``margin_ms`` before the function's timeout with such an ``error`` part
    (``DeadlineReached``) instead of being cut by it (checked before each Bedrock event).
    """
    translate = PartTranslator(message_id)
    for part in translate.start():
        yield part_event(part)
    reading = events if context is None else until_deadline(events, context, margin_ms=margin_ms)
    try:
        for event in reading:
            for part in translate.feed(event):
                yield part_event(part)
        if translate.stop_reason is None:
            raise ConnectionError("the Bedrock stream ended before its stop reason")
    except Exception as error:
        text = error_text(error) if error_text is not None else str(error)
        yield part_event({"type": "error", "errorText": text})
        if reraise:
            raise
        return
    finally:
        close = getattr(events, "close", None)
        if callable(close):
            close()
    for part in translate.finish():
        yield part_event(part)
    yield DONE

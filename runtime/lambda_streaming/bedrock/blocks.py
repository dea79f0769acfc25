"""The per-stream bookkeeping every reader shares: open blocks, tool input, usage, stop.

Owns: turning a family's raw pieces into typed events consistently: a text or reasoning
delta remembers its block's kind so its stop says what ended; tool-input fragments are joined
and parsed when the tool-use block stops; blocks a family never closes are closed before the
message stops; stop reasons are translated to Converse's words; usage seen along the way is
reported once in ``Metadata`` if Bedrock's own metrics never came.
"""

from __future__ import annotations

import json

from .events import (
    BlockStop,
    MessageStop,
    Metadata,
    ReasoningDelta,
    TextDelta,
    ToolUseDelta,
    ToolUseStart,
    ToolUseStop,
    Usage,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping
    from typing import Any

    from .events import BedrockEvent

# Each family's stop words -> ConverseStream's StopReason. Sources: Anthropic Messages
# (model-parameters-anthropic-claude-messages.html), Meta Llama / Mistral / DeepSeek
# ("stop", "length"), OpenAI chat completions ("tool_calls", "content_filter"), Amazon Titan
# Text (FINISH[ED], LENGTH, STOP_CRITERIA_MET, CONTENT_FILTERED), Cohere (COMPLETE,
# MAX_TOKENS, ERROR_TOXIC...). Unknown words pass through unchanged.
_STOP_WORDS = {
    "stop": "end_turn",
    "eos": "end_turn",
    "complete": "end_turn",
    "finish": "end_turn",
    "finished": "end_turn",
    "end_turn": "end_turn",
    "length": "max_tokens",
    "max_tokens": "max_tokens",
    "model_length": "model_context_window_exceeded",
    "stop_sequence": "stop_sequence",
    "stop_criteria_met": "stop_sequence",
    "tool_calls": "tool_use",
    "tool_use": "tool_use",
    "content_filter": "content_filtered",
    "content_filtered": "content_filtered",
    "error_toxic": "content_filtered",
    "refusal": "content_filtered",
    "guardrail_intervened": "guardrail_intervened",
}


def stop_reason(raw: str) -> str:
    """``raw`` (any family's stop word) in ConverseStream's words."""
    return _STOP_WORDS.get(raw.lower(), raw)


class Blocks:
    """The state of one stream while it is read (one instance per stream, one thread)."""

    __slots__ = (
        "_cache_read",
        "_cache_write",
        "_input_tokens",
        "_kinds",
        "_output_tokens",
        "_tools",
        "guardrail",
        "metadata_sent",
        "next_index",
        "pending_reason",
        "reason",
        "stopped",
    )

    def __init__(self) -> None:
        self._kinds: dict[int, str] = {}
        self._tools: dict[int, tuple[str, str, list[str]]] = {}
        self._input_tokens: int | None = None
        self._output_tokens: int | None = None
        self._cache_read: int | None = None
        self._cache_write: int | None = None
        self.metadata_sent = False
        self.stopped = False
        self.reason: str | None = None  # the stop reason sent, in Converse's words
        self.pending_reason: str | None = None  # InvokeModel: the model's word, sent at the end
        self.guardrail: str | None = None  # InvokeModel: amazon-bedrock-guardrailAction
        self.next_index = 0  # for families that do not number their blocks

    # --- Content ---------------------------------------------------------------------------

    def text(self, text: str, index: int) -> TextDelta | None:
        self._kinds.setdefault(index, "text")
        return TextDelta(text, index) if text else None

    def reasoning(self, text: str, index: int) -> ReasoningDelta | None:
        self._kinds.setdefault(index, "reasoning")
        return ReasoningDelta(text, index=index) if text else None

    def mark(self, index: int, kind: str) -> None:
        self._kinds.setdefault(index, kind)

    def tool_start(self, tool_use_id: str, name: str, index: int) -> ToolUseStart:
        self._kinds[index] = "tool_use"
        self._tools[index] = (tool_use_id, name, [])
        return ToolUseStart(tool_use_id, name, index)

    def tool_delta(self, fragment: str, index: int) -> ToolUseDelta | None:
        if index not in self._tools:
            raise ValueError(f"tool input for content block {index}, which never started a tool")
        tool_use_id, _, fragments = self._tools[index]
        if not fragment:
            return None
        fragments.append(fragment)
        return ToolUseDelta(tool_use_id, fragment, index)

    def stop(self, index: int) -> BedrockEvent:
        """The event that ends block ``index``."""
        kind = self._kinds.pop(index, "other")
        if index in self._tools:
            tool_use_id, name, fragments = self._tools.pop(index)
            text = "".join(fragments)
            return ToolUseStop(tool_use_id, name, _parse(text), text, index)
        return BlockStop(kind if kind in ("text", "reasoning") else "other", index)

    def stop_all(self) -> Iterator[BedrockEvent]:
        """Stops for the blocks still open, in order (families that never close them)."""
        for index in sorted(self._kinds):
            yield self.stop(index)

    def open_blocks(self) -> bool:
        return bool(self._kinds)

    # --- Message end -----------------------------------------------------------------------

    def message_stop(
        self, raw: str | None, additional: Mapping[str, Any] | None = None
    ) -> MessageStop:
        self.stopped = True
        raw = raw or "end_turn"
        self.reason = stop_reason(raw)
        return MessageStop(self.reason, raw, additional)

    def guardrail_action(self) -> str:
        """``INTERVENED`` if the guardrail stopped the message (Converse says so only in the
        stop reason), else ``NONE``."""
        if self.guardrail is not None:
            return self.guardrail
        return "INTERVENED" if self.reason == "guardrail_intervened" else "NONE"

    def finish(self, metrics: Mapping[str, Any] | None = None) -> Iterator[BedrockEvent]:
        """InvokeModel's ending, once: open blocks stopped, the stop reason (a guardrail
        intervention wins over the model's word), then usage and ``metrics``."""
        if not self.stopped:
            yield from self.stop_all()
            if self.guardrail == "INTERVENED":
                self.stopped = True
                self.reason = "guardrail_intervened"
                yield MessageStop(self.reason, self.pending_reason or "guardrail_intervened")
            elif self.pending_reason is not None:
                yield self.message_stop(self.pending_reason)
        if not self.metadata_sent and (metrics is not None or self.usage() is not None):
            metrics = metrics or {}
            yield self.metadata(metrics.get("invocationLatency"), metrics)

    def count(
        self,
        *,
        input_tokens: object = None,
        output_tokens: object = None,
        cache_read: object = None,
        cache_write: object = None,
    ) -> None:
        """Remember token counts seen in model events (later values replace earlier ones)."""
        if isinstance(input_tokens, int):
            self._input_tokens = input_tokens
        if isinstance(output_tokens, int):
            self._output_tokens = output_tokens
        if isinstance(cache_read, int):
            self._cache_read = cache_read
        if isinstance(cache_write, int):
            self._cache_write = cache_write

    def usage(self) -> Usage | None:
        counts = (self._input_tokens, self._output_tokens, self._cache_read, self._cache_write)
        return None if counts == (None, None, None, None) else Usage(*counts)

    def metadata(
        self, latency_ms: object = None, metrics: Mapping[str, Any] | None = None
    ) -> Metadata:
        self.metadata_sent = True
        latency = latency_ms if isinstance(latency_ms, int) else None
        return Metadata(self.usage(), latency, metrics)


def _parse(text: str) -> Any:
    if not text.strip():
        return {}  # a tool without parameters streams no input at all
    try:
        return json.loads(text)
    except ValueError:
        return None

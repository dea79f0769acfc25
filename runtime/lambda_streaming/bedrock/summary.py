"""What a whole Bedrock stream ended with: stop reason, usage, guardrail, tool calls.

Owns: ``StreamSummary``, which watches typed events go by and keeps what a caller asks about
after the stream (``TextStream`` exposes it; ``sse_stream`` sends it as the ``done`` event's
JSON, ``to_json()``).
"""

from __future__ import annotations

from .events import GuardrailTrace, MessageStop, Metadata, ToolUseStop

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .events import BedrockEvent, Usage


class StreamSummary:
    """The end state of one stream, filled in as its events are observed."""

    __slots__ = (
        "guardrail",
        "latency_ms",
        "metrics",
        "raw_stop_reason",
        "stop_reason",
        "tool_uses",
        "usage",
    )

    def __init__(self) -> None:
        self.stop_reason: str | None = None
        self.raw_stop_reason: str | None = None
        self.usage: Usage | None = None
        self.latency_ms: int | None = None
        self.metrics: dict[str, Any] = {}
        self.guardrail: GuardrailTrace | None = None
        self.tool_uses: list[ToolUseStop] = []

    def observe(self, event: BedrockEvent) -> None:
        """Keep what ``event`` says about the end of the stream (other events: nothing)."""
        if isinstance(event, MessageStop):
            self.stop_reason, self.raw_stop_reason = event.reason, event.raw_reason
        elif isinstance(event, Metadata):
            self.usage = event.usage if event.usage is not None else self.usage
            self.latency_ms = event.latency_ms
            self.metrics.update(event.metrics)
        elif isinstance(event, ToolUseStop):
            self.tool_uses.append(event)
        elif isinstance(event, GuardrailTrace):
            self.guardrail = event

    def to_json(self) -> dict[str, Any]:
        """The summary as JSON-ready data (camelCase, as Bedrock spells it); unknowns left out.

        >>> StreamSummary().to_json()
        {}
        """
        data: dict[str, Any] = {}
        if self.stop_reason is not None:
            data["stopReason"] = self.stop_reason
        if self.usage is not None:
            usage = {
                "inputTokens": self.usage.input_tokens,
                "outputTokens": self.usage.output_tokens,
                "totalTokens": self.usage.total_tokens,
            }
            if self.usage.cache_read_input_tokens is not None:
                usage["cacheReadInputTokens"] = self.usage.cache_read_input_tokens
            if self.usage.cache_write_input_tokens is not None:
                usage["cacheWriteInputTokens"] = self.usage.cache_write_input_tokens
            data["usage"] = usage
        if self.guardrail is not None:
            data["guardrail"] = {"action": self.guardrail.action}
        if self.tool_uses:
            data["toolUses"] = [
                {"toolUseId": tool.tool_use_id, "name": tool.name, "input": tool.input}
                for tool in self.tool_uses
            ]
        return data

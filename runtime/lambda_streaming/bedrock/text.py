"""The simple path: a Bedrock stream as its answer text only, then how it ended.

Owns: ``TextStream`` and its two constructors, ``converse_text`` and ``invoke_text``, built on
the typed events: only ``TextDelta`` texts are yielded (reasoning, tool input, citations never
mixed in); everything else is kept in a ``StreamSummary`` (stop reason, usage, guardrail, tool
calls), read through the stream's attributes once iteration has ended.
"""

from __future__ import annotations

from .converse import converse_events
from .events import TextDelta
from .invoke import invoke_events
from .summary import StreamSummary

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Generator, Mapping
    from typing import Any

    from .events import GuardrailTrace, ToolUseStop, Usage
    from .stream import BedrockEvents


class TextStream:
    """The text deltas of one Bedrock stream; after iterating, its stop reason and usage.

    Iterate it once (it is an iterator, like a file or a generator): every item is a non-empty
    ``str``. ``stop_reason`` (in ConverseStream's words: ``end_turn``, ``tool_use``,
    ``max_tokens``, ``guardrail_intervened``, ``content_filtered``,
    ``model_context_window_exceeded``...), ``raw_stop_reason`` (the model's word), ``usage``,
    ``metrics``, ``guardrail`` and ``tool_uses`` are complete once iteration has ended. A Bedrock
    exception in the stream raises ``BedrockStreamError``; an event of unknown shape raises
    ``UnknownShapeError``. ``close()`` closes the underlying event stream when you stop early.
    """

    def __init__(self, events: BedrockEvents) -> None:
        self.events = events
        self.summary = StreamSummary()
        self._texts = self._generate()

    @property
    def stop_reason(self) -> str | None:
        return self.summary.stop_reason

    @property
    def raw_stop_reason(self) -> str | None:
        return self.summary.raw_stop_reason

    @property
    def usage(self) -> Usage | None:
        """Token usage, or ``None`` when the stream reported none (yet)."""
        return self.summary.usage

    @property
    def metrics(self) -> dict[str, Any]:
        return self.summary.metrics

    @property
    def guardrail(self) -> GuardrailTrace | None:
        return self.summary.guardrail

    @property
    def tool_uses(self) -> list[ToolUseStop]:
        return self.summary.tool_uses

    def __iter__(self) -> TextStream:
        return self

    def __next__(self) -> str:
        return next(self._texts)

    def read(self) -> str:
        """All remaining text, joined (what the article's "aggregated" handler builds)."""
        return "".join(self)

    def close(self) -> None:
        """Stop reading: close the underlying event stream and this iterator (safe from
        another thread than the one iterating, see ``BedrockEvents.close``)."""
        self.events.close()
        try:  # noqa: SIM105 (contextlib is not loaded otherwise: cold start)
            self._texts.close()
        except ValueError:  # being iterated in another thread, which now ends
            pass

    def _generate(self) -> Generator[str, None, None]:
        observe = self.summary.observe
        for event in self.events:
            if type(event) is TextDelta:
                yield event.text
            else:
                observe(event)


def converse_text(response: Mapping[str, Any]) -> TextStream:
    """The answer text of a ``converse_stream`` response (any model Converse supports).

    >>> events = [{"contentBlockDelta": {"delta": {"text": "Hel"}, "contentBlockIndex": 0}},
    ...           {"contentBlockDelta": {"delta": {"text": "lo"}, "contentBlockIndex": 0}},
    ...           {"messageStop": {"stopReason": "end_turn"}}]
    >>> text = converse_text({"stream": events})
    >>> "".join(text), text.stop_reason
    ('Hello', 'end_turn')
    """
    return TextStream(converse_events(response))


def invoke_text(response: Mapping[str, Any]) -> TextStream:
    """The answer text of an ``invoke_model_with_response_stream`` response, any family
    ``invoke_events`` reads (reasoning in ``<reasoning>``/``<think>`` tags left out)."""
    return TextStream(invoke_events(response))

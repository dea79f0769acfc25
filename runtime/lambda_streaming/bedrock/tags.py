"""Reasoning written inline in the text, between tags, split from the answer as it streams.

Owns: ``TaggedText``, which reads text where a model wraps its reasoning in tags (OpenAI
gpt-oss on InvokeModel: ``<reasoning>...</reasoning>``; DeepSeek-R1: ``...</think>``, the
``<think>`` being the end of its documented prompt template) and yields ``ReasoningDelta`` for
what is inside and ``TextDelta`` for the rest. A tag split across chunks (``<reas`` +
``oning>``) is recognised: the few characters that may start a tag are held back until the
next chunk says what they are, and no tag characters ever reach the answer.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator

    from .blocks import Blocks
    from .events import BedrockEvent


class TaggedText:
    """One stream's inline reasoning splitter (``inside``: whether it starts in reasoning)."""

    __slots__ = ("_blocks", "_close", "_held", "_index", "_inside", "_open", "_started")

    def __init__(self, blocks: Blocks, open_tag: str, close_tag: str, *, inside: bool) -> None:
        self._blocks = blocks
        self._open = open_tag
        self._close = close_tag
        self._inside = inside
        self._held = ""
        self._index: int | None = None  # the block being written, once something was
        self._started = False  # whether any non-blank text came yet (a leading tag is dropped)

    def feed(self, text: str) -> Iterator[BedrockEvent]:
        """The events of the next piece of text."""
        text = self._held + text
        self._held = ""
        while text:
            tag = self._close if self._inside else self._open
            if not self._started and self._inside:
                # DeepSeek-R1 may repeat the <think> its prompt ended with: not reasoning.
                stripped = text.lstrip()
                if self._open.startswith(stripped):
                    self._held = text
                    return
                if stripped.startswith(self._open):
                    text = stripped[len(self._open) :]
                    self._started = True
                    continue
            at = text.find(tag)
            if at >= 0:
                yield from self._emit(text[:at])
                text = text[at + len(tag) :]
                yield from self._switch()
                continue
            keep = _partial_suffix(text, tag)
            yield from self._emit(text[: len(text) - keep])
            self._held = text[len(text) - keep :]
            return

    def finish(self) -> Iterator[BedrockEvent]:
        """What was held back (an unfinished tag is plain text), at the end of the stream."""
        held, self._held = self._held, ""
        yield from self._emit(held)

    def _emit(self, text: str) -> Iterator[BedrockEvent]:
        if not text:
            return
        if text.strip():
            self._started = True
        if self._index is None:
            self._index = self._blocks.next_index
            self._blocks.next_index += 1
        event = (
            self._blocks.reasoning(text, self._index)
            if self._inside
            else self._blocks.text(text, self._index)
        )
        if event is not None:
            yield event

    def _switch(self) -> Iterator[BedrockEvent]:
        # The block written so far ends here, so reasoning and answer never share an index.
        self._started = True
        self._inside = not self._inside
        if self._index is not None:
            yield self._blocks.stop(self._index)
            self._index = None


def _partial_suffix(text: str, tag: str) -> int:
    """How many characters at the end of ``text`` could be the start of ``tag``."""
    for size in range(min(len(tag) - 1, len(text)), 0, -1):
        if tag.startswith(text[-size:]):
            return size
    return 0

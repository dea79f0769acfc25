"""Typed Bedrock events -> OpenAI ``chat.completion.chunk`` server-sent events.

Owns: the stream an OpenAI client reads (https://platform.openai.com/docs/api-reference/chat-streaming):
``data: {chunk}`` events, the first with ``delta.role``, then ``content`` deltas, ``tool_calls``
deltas (``index`` counted per call, ``id`` and ``function.name`` first, then ``arguments``
fragments), ``reasoning_content`` deltas, one chunk with ``finish_reason``, a usage chunk
(``choices: []``) when asked, then ``data: [DONE]``. A failure after the first byte is an
in-band ``data: {"error": {...}}`` event, which the ``openai`` SDK raises as ``APIError``.

Does not: call Bedrock, choose headers or frame anything but these events.
"""

from __future__ import annotations

import json
import os
import time

from lambda_streaming.bedrock import (
    DEFAULT_DEADLINE_MARGIN_MS,
    LambdaContextLike,
    MessageStart,
    MessageStop,
    Metadata,
    ReasoningDelta,
    TextDelta,
    ToolUseDelta,
    ToolUseStart,
    Usage,
    until_deadline,
)

from .errors import openai_error

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from typing import Any

DONE = "data: [DONE]\n\n"
# Converse stop reason -> OpenAI finish_reason. A malformed answer still ended ("stop").
FINISH_REASONS = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "guardrail_intervened": "content_filter",
    "content_filtered": "content_filter",
}


def finish_reason(stop_reason: str | None) -> str:
    """OpenAI's ``finish_reason`` for a Converse stop reason."""
    return FINISH_REASONS.get(stop_reason or "", "stop")


def completion_id() -> str:
    """A fresh ``chatcmpl-...`` id."""
    return "chatcmpl-" + os.urandom(12).hex()


def openai_usage(usage: Usage | None) -> dict[str, Any] | None:
    """OpenAI's ``usage`` object for Bedrock's token counts (cache reads as ``cached_tokens``)."""
    if usage is None or usage.input_tokens is None or usage.output_tokens is None:
        return None
    cached = usage.cache_read_input_tokens or 0
    return {
        "prompt_tokens": usage.input_tokens + cached + (usage.cache_write_input_tokens or 0),
        "completion_tokens": usage.output_tokens,
        "total_tokens": usage.input_tokens
        + usage.output_tokens
        + cached
        + (usage.cache_write_input_tokens or 0),
        "prompt_tokens_details": {"cached_tokens": cached},
    }


class ChunkTranslator:
    """Turns one answer's Bedrock events into ``chat.completion.chunk`` SSE events.

    ``feed(event)`` returns the events (``data: {...}\\n\\n`` strings) that event produces:
    often one, sometimes none. ``stop_reason`` and ``usage`` are known once their events passed.
    """

    __slots__ = ("_head", "_prefix", "_suffix", "_tools", "include_usage", "stop_reason", "usage")

    def __init__(self, model: str, *, include_usage: bool = False, id: str | None = None) -> None:
        self.include_usage = include_usage
        self._head = {
            "id": id or completion_id(),
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": model,
            "system_fingerprint": None,
        }
        # Every chunk repeats the same fields around its delta: serialised once here, a token
        # costs one json.dumps of its text (bench/e2e_openai.py measures what that adds).
        head = _json(self._head)[:-1]
        self._prefix = f'data: {head},"choices":[{{"index":0,"delta":'
        usage = ',"usage":null' if include_usage else ""  # as OpenAI: null but on the last
        self._suffix = f',"logprobs":null,"finish_reason":null}}]{usage}}}\n\n'
        self._tools: dict[str, int] = {}  # toolUseId -> OpenAI tool_calls index
        self.stop_reason: str | None = None
        self.usage: Usage | None = None

    def chunk(self, delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        """The chunk dict of one ``delta`` (what ``feed`` sends, serialised)."""
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        chunk = {**self._head, "choices": [choice]}
        if self.include_usage:
            chunk["usage"] = None
        return chunk

    def feed(self, event: object) -> list[str]:  # noqa: PLR0911  # one return per event type
        if isinstance(event, TextDelta):
            return [f'{self._prefix}{{"content":{_json(event.text)}}}{self._suffix}']
        if isinstance(event, ToolUseDelta):
            index = self._tools.get(event.tool_use_id, 0)
            call = {"index": index, "function": {"arguments": event.input_json}}
            return [self._delta({"tool_calls": [call]})]
        if isinstance(event, ReasoningDelta):
            return [self._delta({"reasoning_content": event.text})] if event.text else []
        if isinstance(event, ToolUseStart):
            index = self._tools.setdefault(event.tool_use_id, len(self._tools))
            call = {
                "index": index,
                "id": event.tool_use_id,
                "type": "function",
                "function": {"name": event.name, "arguments": ""},
            }
            return [self._delta({"tool_calls": [call]})]
        if isinstance(event, MessageStart):
            return [self._delta({"role": "assistant", "content": "", "refusal": None})]
        if isinstance(event, MessageStop):
            self.stop_reason = event.reason
            return [chunk_event(self.chunk({}, finish_reason(event.reason)))]
        if isinstance(event, Metadata):
            self.usage = event.usage
            if self.include_usage:
                usage = openai_usage(event.usage)
                return [chunk_event({**self._head, "choices": [], "usage": usage})]
        return []  # citations, guardrail traces, other deltas: no place in a chunk

    def _delta(self, delta: dict[str, Any]) -> str:
        return f"{self._prefix}{_json(delta)}{self._suffix}"


def _json(value: object) -> str:
    # Compact, non-ASCII kept: fewer bytes per token than json.dumps' defaults.
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def chunk_event(chunk: dict[str, Any]) -> str:
    """One chunk (or error object) as an SSE event."""
    return f"data: {_json(chunk)}\n\n"


def error_event(error: BaseException) -> str:
    """A failure as the in-band event the ``openai`` SDK raises from its iterator."""
    return chunk_event(openai_error(error).to_json())


def chat_completion_chunks(
    events: Iterable[object],
    model: str,
    *,
    include_usage: bool = False,
    reraise: bool = False,
    translator: ChunkTranslator | None = None,
    context: LambdaContextLike | None = None,
    margin_ms: int = DEFAULT_DEADLINE_MARGIN_MS,
) -> Iterator[str]:
    """The SSE stream of an answer: chunk events, then ``data: [DONE]``. Each string yielded
    is what one Bedrock event produced (the role chunk goes out with the first token's).

    If ``events`` raises, an error event is sent and the stream ends (no ``[DONE]``); with
    ``reraise=True`` the exception is re-raised after it (a direct invoke's caller then sees it
    in the error trailers). A stream that ends without Bedrock's stop reason is such a failure.
    With the Lambda ``context``, the stream stops ``margin_ms`` before the function's timeout
    with such an error event (504 ``timeout``) instead of being cut by it (checked before each
    Bedrock event: a silence is not interrupted).
    """
    translate = translator or ChunkTranslator(model, include_usage=include_usage)
    held = ""  # the role chunk, sent in one write with the first token's chunk
    reading = events if context is None else until_deadline(events, context, margin_ms=margin_ms)
    try:
        for event in reading:
            lines = translate.feed(event)
            if isinstance(event, MessageStart):
                held += "".join(lines)
            elif lines:
                yield held + "".join(lines) if held else "".join(lines)
                held = ""
        if held:
            yield held
        if translate.stop_reason is None:
            raise ConnectionError("the Bedrock stream ended before its stop reason")
    except Exception as error:
        yield error_event(error)
        if reraise:
            raise
        return
    finally:
        close = getattr(events, "close", None)
        if callable(close):
            close()
    yield DONE

"""The native InvokeModel stream chunks of the families without content blocks.

Owns: one chunk to typed events for Meta Llama, Mistral (text and chat completion), DeepSeek-R1,
OpenAI gpt-oss (chat-completion chunks, reasoning in ``<reasoning>`` tags), Cohere Command
(R/R+ and the older Command) and Amazon Titan Text. Each reader records the model's stop word;
``invoke.py`` sends ``MessageStop`` and ``Metadata`` once the stream ends. Shapes, from the
Bedrock user guide's inference parameter pages (docs.aws.amazon.com/bedrock/latest/userguide/):

- Llama ``{generation, prompt_token_count, generation_token_count, stop_reason}``:
  model-parameters-meta.html
- Mistral text ``{outputs: [{text, stop_reason}]}``: model-parameters-mistral-text-completion.html;
  Mistral chat ``{choices: [{index, message: {role, content, tool_calls}, stop_reason}]}``:
  model-parameters-mistral-chat-completion.html
- DeepSeek-R1 ``{choices: [{text, stop_reason}]}``: model-parameters-deepseek.html
- gpt-oss ``{choices: [{index, delta: {role, content, tool_calls}, finish_reason}], usage}``:
  model-parameters-openai.html
- Cohere Command R ``{event_type: text-generation|citation-generation|stream-end, text,
  citations, finish_reason}``: model-parameters-cohere-command-r-plus.html; Command
  ``{generations: [{text, finish_reason}]}`` / ``{text, is_finished, finish_reason}``:
  model-parameters-cohere-command.html
- Titan Text ``{outputText, index, totalOutputTextTokenCount, completionReason,
  inputTextTokenCount}``: model-parameters-titan-text.html
"""

from __future__ import annotations

import json

from .errors import UnknownShapeError, shape_of
from .events import Citation
from .tags import TaggedText

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping
    from typing import Any

    from .blocks import Blocks
    from .events import BedrockEvent

API = "InvokeModelWithResponseStream"
# Cohere Command R events that carry nothing this model types (search steps, stream start).
_COHERE_QUIET = frozenset(
    {"stream-start", "search-queries-generation", "search-results", "tool-calls-chunk"}
)


class Family:
    """What one stream's chunks need across chunks: the blocks and inline-tag splitters."""

    __slots__ = ("_indexes", "blocks", "tags", "tools")

    def __init__(self, blocks: Blocks) -> None:
        self.blocks = blocks
        self.tags: TaggedText | None = None
        self.tools: dict[int, int] = {}  # chat tool_calls[].index -> our block index
        self._indexes: dict[str, int] = {}

    def index(self, kind: str) -> int:
        """The block index of this stream's ``kind`` content, numbered on first use."""
        index = self._indexes.get(kind)
        if index is None:
            index = self._indexes[kind] = self.blocks.next_index
            self.blocks.next_index += 1
        return index

    def tagged(self, open_tag: str, close_tag: str, *, inside: bool) -> TaggedText:
        if self.tags is None:
            self.tags = TaggedText(self.blocks, open_tag, close_tag, inside=inside)
        return self.tags

    def text(self, text: object) -> Iterator[BedrockEvent]:
        """Plain answer text, all in one block."""
        if isinstance(text, str) and text:
            event = self.blocks.text(text, self.index("text"))
            if event is not None:
                yield event

    def stop_word(self, word: object) -> None:
        if isinstance(word, str) and word:
            self.blocks.pending_reason = word

    def finish(self) -> Iterator[BedrockEvent]:
        if self.tags is not None:
            yield from self.tags.finish()


def read_llama(family: Family, body: Mapping[str, Any]) -> Iterator[BedrockEvent]:
    family.blocks.count(
        input_tokens=body.get("prompt_token_count"),
        output_tokens=body.get("generation_token_count"),
    )
    family.stop_word(body.get("stop_reason"))
    yield from family.text(body.get("generation"))


def read_mistral_text(family: Family, body: Mapping[str, Any]) -> Iterator[BedrockEvent]:
    for output in _list(body, "outputs"):
        family.stop_word(output.get("stop_reason"))
        yield from family.text(output.get("text"))


def read_titan(family: Family, body: Mapping[str, Any]) -> Iterator[BedrockEvent]:
    family.blocks.count(
        input_tokens=body.get("inputTextTokenCount"),
        output_tokens=body.get("totalOutputTextTokenCount"),
    )
    family.stop_word(body.get("completionReason"))
    yield from family.text(body.get("outputText"))


def read_choices(family: Family, body: Mapping[str, Any]) -> Iterator[BedrockEvent]:
    """``choices``: DeepSeek-R1 (``text``), gpt-oss (``delta``), Mistral chat (``message``)."""
    usage = body.get("usage")
    if isinstance(usage, dict):
        family.blocks.count(
            input_tokens=usage.get("prompt_tokens"), output_tokens=usage.get("completion_tokens")
        )
    for choice in _list(body, "choices"):
        family.stop_word(choice.get("finish_reason") or choice.get("stop_reason"))
        if "text" in choice:  # DeepSeek-R1: reasoning first, up to </think>
            tags = family.tagged("<think>", "</think>", inside=True)
            yield from tags.feed(str(choice.get("text") or ""))
            continue
        message = choice.get("delta", choice.get("message"))
        if not isinstance(message, dict):
            raise UnknownShapeError(API, f"choices[] {shape_of(choice)}")
        yield from _chat_message(family, message)


def _chat_message(family: Family, message: Mapping[str, Any]) -> Iterator[BedrockEvent]:
    blocks = family.blocks
    for key in ("reasoning_content", "reasoning"):
        thought = message.get(key)
        if isinstance(thought, str) and thought:
            event = blocks.reasoning(thought, family.index("reasoning"))
            if event is not None:
                yield event
    content = message.get("content")
    if isinstance(content, str) and content:
        yield from family.tagged("<reasoning>", "</reasoning>", inside=False).feed(content)
    for call in message.get("tool_calls") or []:
        yield from _tool_call(family, call)


def _tool_call(family: Family, call: Mapping[str, Any]) -> Iterator[BedrockEvent]:
    blocks = family.blocks
    position = call.get("index", len(family.tools))
    function = call.get("function") or {}
    if position not in family.tools:
        index = family.tools[position] = blocks.next_index
        blocks.next_index += 1
        yield blocks.tool_start(str(call.get("id") or ""), str(function.get("name") or ""), index)
    arguments = function.get("arguments")
    if isinstance(arguments, dict):  # Cohere sends the parsed object
        arguments = json.dumps(arguments)
    if isinstance(arguments, str):
        event = blocks.tool_delta(arguments, family.tools[position])
        if event is not None:
            yield event


def read_cohere(family: Family, body: Mapping[str, Any]) -> Iterator[BedrockEvent]:
    """Cohere Command R/R+ (``event_type``) and the older Command (``generations``/``text``)."""
    kind = body.get("event_type")
    if kind is None:
        for generation in body.get("generations") or [body]:
            family.stop_word(generation.get("finish_reason"))
            yield from family.text(generation.get("text"))
        return
    if kind == "text-generation":
        yield from family.text(body.get("text"))
    elif kind == "citation-generation":
        for citation in body.get("citations") or []:
            yield Citation(
                cited_text=citation.get("text"),
                source=",".join(citation.get("document_ids") or []) or None,
                location={k: v for k, v in citation.items() if k in ("start", "end")},
            )
    elif kind == "tool-calls-generation":
        for position, call in enumerate(body.get("tool_calls") or []):
            fake = {"index": 1000 + position, "id": f"cohere-tool-{position}"}
            arguments = call.get("parameters") or {}
            function = {"name": call.get("name"), "arguments": arguments}
            yield from _tool_call(family, {**fake, "function": function})
    elif kind == "stream-end":
        family.stop_word(body.get("finish_reason"))
        meta = ((body.get("response") or {}).get("meta") or {}).get("billed_units") or {}
        family.blocks.count(
            input_tokens=meta.get("input_tokens"), output_tokens=meta.get("output_tokens")
        )
    elif kind not in _COHERE_QUIET:
        raise UnknownShapeError(API, f'{{event_type: "{kind}"}}', "not a Cohere stream event")


def _list(body: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    items = body.get(key)
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise UnknownShapeError(API, f"{key}: {shape_of(items)}", "expected a list of objects")
    return items

"""InvokeModelWithResponseStream's chunks as typed events, for every text family Bedrock serves.

Owns: ``invoke_events``: decoding each ``chunk.bytes``, recognising the model family by the
chunk's shape (no model id needed), handing it to the family's reader, reading what Bedrock
adds to the native JSON (``amazon-bedrock-invocationMetrics`` on the last chunk,
``amazon-bedrock-guardrailAction`` and ``amazon-bedrock-trace`` when a guardrail is applied:
https://docs.aws.amazon.com/bedrock/latest/userguide/guardrails-use-invoke.html), and ending
every stream the same way: open blocks stopped, ``MessageStop``, ``Metadata``. A chunk of no
known shape raises ``UnknownShapeError`` naming its keys.
"""

from __future__ import annotations

import json

from .anthropic import read_anthropic
from .blocks import Blocks
from .converse import MEMBERS, read_converse_event
from .errors import UnknownShapeError, events_of, shape_of
from .events import GuardrailTrace
from .families import Family, read_choices, read_cohere, read_llama, read_mistral_text, read_titan
from .stream import BedrockEvents

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping
    from typing import Any

    from .events import BedrockEvent

API = "InvokeModelWithResponseStream"
METRICS = "amazon-bedrock-invocationMetrics"
GUARDRAIL_ACTION = "amazon-bedrock-guardrailAction"
TRACE = "amazon-bedrock-trace"
_BEDROCK_KEYS = frozenset({METRICS, GUARDRAIL_ACTION, TRACE})
KNOWN_FAMILIES = (
    "Anthropic Claude, Amazon Nova, Meta Llama, Mistral, DeepSeek, OpenAI gpt-oss, "
    "Cohere Command, Amazon Titan Text"
)

# The key that tells a family's chunks apart -> its reader (Anthropic and Nova are handled
# before: "type", and Converse's member names).
_READERS: dict[str, Callable[[Family, Mapping[str, Any]], Iterator[BedrockEvent]]] = {
    "generation": read_llama,
    "outputs": read_mistral_text,
    "choices": read_choices,
    "outputText": read_titan,
    "event_type": read_cohere,
    "generations": read_cohere,
    "is_finished": read_cohere,
}


def invoke_events(response: Mapping[str, Any]) -> BedrockEvents:
    """The typed events of an ``invoke_model_with_response_stream`` response.

    The family is recognised from each chunk (Anthropic Claude, Amazon Nova, Meta Llama,
    Mistral, DeepSeek-R1, OpenAI gpt-oss, Cohere Command, Amazon Titan Text). Reasoning that a
    family writes inline (gpt-oss ``<reasoning>``, DeepSeek-R1 up to ``</think>``) comes as
    ``ReasoningDelta``, never as ``TextDelta``.

    >>> chunk = {"chunk": {"bytes": b'{"generation": "Hi", "stop_reason": "length"}'}}
    >>> [type(event).__name__ for event in invoke_events({"body": [chunk]})]
    ['TextDelta', 'BlockStop', 'MessageStop']
    """
    blocks = Blocks()
    family = Family(blocks)

    def read(event: Mapping[str, Any]) -> Iterator[BedrockEvent]:
        return _read_chunk(family, event)

    def finish() -> Iterator[BedrockEvent]:
        yield from family.finish()
        yield from blocks.finish()

    return BedrockEvents(
        events_of(response, "body", "invoke_model_with_response_stream"),
        read,
        finish,
        "invoke_model_with_response_stream",
    )


def _read_chunk(family: Family, event: Mapping[str, Any]) -> Iterator[BedrockEvent]:
    """One ResponseStream event: ``{"chunk": {"bytes": b'<model-native JSON>'}}``."""
    chunk = event.get("chunk")
    if not isinstance(chunk, dict) or "bytes" not in chunk:
        raise UnknownShapeError(API, shape_of(event), 'expected {"chunk": {"bytes": ...}}')
    raw = chunk["bytes"]
    try:
        body = json.loads(raw)
    except ValueError as error:
        raise ValueError(f"a Bedrock chunk is not JSON: {raw[:80]!r}") from error
    if not isinstance(body, dict):
        raise UnknownShapeError(API, f"chunk.bytes: {shape_of(body)}", "expected a JSON object")
    blocks = family.blocks
    if "type" in body:
        yield from read_anthropic(blocks, body)
    elif not MEMBERS.isdisjoint(body):
        for member in [key for key in body if key in MEMBERS]:  # in the chunk's order
            yield from read_converse_event(blocks, {member: body[member]}, invoke=True)
    else:
        reader = next((_READERS[key] for key in _READERS if key in body), None)
        if reader is not None:
            yield from reader(family, body)
        elif not _BEDROCK_KEYS.issuperset(body):
            raise UnknownShapeError(
                API,
                shape_of({key: None for key in body if key not in _BEDROCK_KEYS}),
                f"known families: {KNOWN_FAMILIES}; use ConverseStream for other models",
            )
    yield from _bedrock_fields(family, body)


def _bedrock_fields(family: Family, body: Mapping[str, Any]) -> Iterator[BedrockEvent]:
    blocks = family.blocks
    action = body.get(GUARDRAIL_ACTION)
    trace = body.get(TRACE)
    if isinstance(action, str):
        blocks.guardrail = action
    if isinstance(action, str) or isinstance(trace, dict):
        guardrail = trace.get("guardrail", trace) if isinstance(trace, dict) else {}
        yield GuardrailTrace(action if isinstance(action, str) else None, guardrail)
    metrics = body.get(METRICS)
    if isinstance(metrics, dict):
        # Bedrock's own count, added to the last chunk of every family: authoritative.
        blocks.count(
            input_tokens=metrics.get("inputTokenCount"),
            output_tokens=metrics.get("outputTokenCount"),
            cache_read=metrics.get("cacheReadInputTokenCount"),
            cache_write=metrics.get("cacheWriteInputTokenCount"),
        )
        yield from family.finish()
        yield from blocks.finish(metrics)

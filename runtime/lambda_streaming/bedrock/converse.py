"""ConverseStream's events as typed events (Amazon Nova's InvokeModel chunks share the shapes).

Owns: ``read_converse_event``, one ``ConverseStreamOutput`` member to typed events, in the
shapes of the API reference (ConverseStream, ContentBlockDelta, ReasoningContentBlockDelta,
CitationsDelta, MessageStopEvent, ConverseStreamMetadataEvent) and botocore's bedrock-runtime
service model: https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ConverseStream.html
"""

from __future__ import annotations

from .blocks import Blocks
from .errors import UnknownShapeError, events_of, shape_of
from .events import Citation, GuardrailTrace, MessageStart, OtherDelta, ReasoningDelta
from .stream import BedrockEvents

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping
    from typing import Any

    from .events import BedrockEvent

API = "ConverseStream"
NOVA_API = "InvokeModelWithResponseStream (Amazon Nova)"
#: The members of ConverseStreamOutput that carry content (the others are exceptions).
MEMBERS = frozenset(
    {
        "messageStart",
        "contentBlockStart",
        "contentBlockDelta",
        "contentBlockStop",
        "messageStop",
        "metadata",
    }
)


def converse_events(response: Mapping[str, Any]) -> BedrockEvents:
    """The typed events of a ``converse_stream`` response (any model Converse supports).

    >>> events = converse_events({"stream": [
    ...     {"contentBlockDelta": {"delta": {"text": "Hi"}, "contentBlockIndex": 0}},
    ...     {"contentBlockStop": {"contentBlockIndex": 0}},
    ...     {"messageStop": {"stopReason": "max_tokens"}}]})
    >>> list(events)  # doctest: +NORMALIZE_WHITESPACE
    [TextDelta(text='Hi', index=0), BlockStop(kind='text', index=0),
     MessageStop(reason='max_tokens', raw_reason='max_tokens', additional_fields={})]
    """
    blocks = Blocks()
    return BedrockEvents(
        events_of(response, "stream", "converse_stream"),
        lambda event: read_converse_event(blocks, event),
        blocks.stop_all,
        "converse_stream",
    )


def read_converse_event(
    blocks: Blocks, event: Mapping[str, Any], *, invoke: bool = False
) -> Iterator[BedrockEvent]:
    """The typed events of one ConverseStream event (``{member: payload}``).

    ``invoke``: the event is an Amazon Nova InvokeModel chunk, whose stop and usage are sent
    when the stream ends (``Blocks.finish``), with Bedrock's invocation metrics.
    """
    api = NOVA_API if invoke else API
    for member, payload in event.items():
        if not isinstance(payload, dict):
            raise UnknownShapeError(api, f"{member}: {shape_of(payload)}")
        if member == "contentBlockDelta":
            yield from _delta(blocks, payload, api)
        elif member == "contentBlockStart":
            yield from _start(blocks, payload, api)
        elif member == "contentBlockStop":
            yield blocks.stop(_index(payload))
        elif member == "messageStart":
            yield MessageStart(str(payload.get("role") or "assistant"))
        elif member == "messageStop" and invoke:
            blocks.pending_reason = payload.get("stopReason") or "end_turn"
        elif member == "messageStop":
            yield from blocks.stop_all()
            yield blocks.message_stop(
                payload.get("stopReason"), payload.get("additionalModelResponseFields")
            )
        elif member == "metadata":
            yield from _metadata(blocks, payload, invoke=invoke)
        else:
            raise UnknownShapeError(api, shape_of(event), "expected a ConverseStreamOutput member")


def _index(payload: Mapping[str, Any]) -> int:
    index = payload.get("contentBlockIndex", 0)
    return index if isinstance(index, int) else 0


def _delta(blocks: Blocks, payload: Mapping[str, Any], api: str) -> Iterator[BedrockEvent]:
    index = _index(payload)
    delta = payload.get("delta") or {}
    for kind, value in delta.items():
        if kind == "text":
            text = blocks.text(value, index)
            if text is not None:
                yield text
        elif kind == "reasoningContent":
            yield from _reasoning(blocks, value, index)
        elif kind == "toolUse":
            tool = blocks.tool_delta(str(value.get("input") or ""), index)
            if tool is not None:
                yield tool
        elif kind == "citation":
            blocks.mark(index, "text")
            yield _citation(value, index)
        elif kind in ("image", "toolResult"):
            blocks.mark(index, "other")
            yield OtherDelta(kind, value, index)
        elif kind != "p":  # "p": Bedrock's padding, meaningless
            raise UnknownShapeError(api, f"contentBlockDelta.delta {shape_of(delta)}")


def _reasoning(blocks: Blocks, value: Mapping[str, Any], index: int) -> Iterator[BedrockEvent]:
    if "text" in value:
        reasoning = blocks.reasoning(str(value["text"]), index)
        if reasoning is not None:
            yield reasoning
    if value.get("signature"):
        blocks.mark(index, "reasoning")
        yield ReasoningDelta(signature=str(value["signature"]), index=index)
    if value.get("redactedContent"):
        blocks.mark(index, "reasoning")
        redacted = value["redactedContent"]
        redacted = redacted if isinstance(redacted, bytes) else str(redacted).encode()
        yield ReasoningDelta(redacted=redacted, index=index)


def _citation(value: Mapping[str, Any], index: int) -> Citation:
    parts = value.get("sourceContent") or []
    cited = "".join(str(part.get("text", "")) for part in parts if isinstance(part, dict))
    return Citation(
        title=value.get("title"),
        source=value.get("source"),
        cited_text=cited or None,
        location=value.get("location") or {},
        index=index,
    )


def _start(blocks: Blocks, payload: Mapping[str, Any], api: str) -> Iterator[BedrockEvent]:
    index = _index(payload)
    start = payload.get("start") or {}
    tool = start.get("toolUse")
    if isinstance(tool, dict):
        yield blocks.tool_start(str(tool.get("toolUseId", "")), str(tool.get("name", "")), index)
        return
    for kind, value in start.items():
        if kind not in ("toolResult", "image"):
            raise UnknownShapeError(api, f"contentBlockStart.start {shape_of(start)}")
        blocks.mark(index, "other")
        yield OtherDelta(f"{kind}Start", value, index)


def _metadata(
    blocks: Blocks, payload: Mapping[str, Any], *, invoke: bool
) -> Iterator[BedrockEvent]:
    usage = payload.get("usage") or {}
    blocks.count(
        input_tokens=usage.get("inputTokens"),
        output_tokens=usage.get("outputTokens"),
        cache_read=usage.get("cacheReadInputTokens"),
        cache_write=usage.get("cacheWriteInputTokens"),
    )
    guardrail = (payload.get("trace") or {}).get("guardrail")
    if isinstance(guardrail, dict):
        yield GuardrailTrace(blocks.guardrail_action(), guardrail)
    if not invoke:
        metrics = payload.get("metrics") or {}
        yield blocks.metadata(metrics.get("latencyMs"), metrics)

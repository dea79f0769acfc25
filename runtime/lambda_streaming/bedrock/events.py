"""The typed events of a Bedrock stream: what a model said, whatever the API and family.

Owns: the small immutable event classes that ``converse_events`` and ``invoke_events`` yield,
and ``Usage``. Every event is a ``BedrockEvent``; compare with ``isinstance`` or ``match``::

    match event:
        case TextDelta(text=text): ...
        case ReasoningDelta(text=thought) if thought: ...
        case ToolUseStop(name=name, input=arguments): ...
        case MessageStop(reason="guardrail_intervened"): ...

``index`` is the content block an event belongs to (Converse's ``contentBlockIndex``,
Anthropic's ``index``; families without blocks number them in order of appearance). Stop
reasons are spelled as ConverseStream spells them (``end_turn``, ``tool_use``, ``max_tokens``,
``stop_sequence``, ``guardrail_intervened``, ``content_filtered``,
``model_context_window_exceeded``, ...) for every family; ``MessageStop.raw_reason`` keeps the
model's own word. Field names follow the Converse API reference:
https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ConverseStream.html

Does not: read Bedrock's wire (``converse.py`` and ``invoke.py`` do). The classes are written
by hand rather than with ``dataclasses`` on purpose: importing dataclasses and generating 12
classes cost ~12 ms of cold start on a small machine; these cost nothing.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any, NamedTuple
else:  # typing is loaded anyway by text.py; NamedTuple is the one runtime use here
    from typing import NamedTuple


class Usage(NamedTuple):
    """Token counts of one answer (``None`` when the stream did not report them).

    ``cache_read_input_tokens`` / ``cache_write_input_tokens`` are the prompt-cache counts
    (Converse ``TokenUsage.cacheReadInputTokens``/``cacheWriteInputTokens``, Anthropic
    ``cache_read_input_tokens``/``cache_creation_input_tokens``).
    """

    input_tokens: int | None
    output_tokens: int | None
    cache_read_input_tokens: int | None = None
    cache_write_input_tokens: int | None = None

    @property
    def total_tokens(self) -> int | None:
        if self.input_tokens is None or self.output_tokens is None:
            return None
        return self.input_tokens + self.output_tokens


class BedrockEvent:
    """Base class of every stream event: immutable, slotted, compared by value and type.

    ``__match_args__`` lists the fields in their meaningful order (``__slots__`` is sorted).
    """

    __slots__ = ()
    __match_args__: tuple[str, ...] = ()

    def __init__(self, **fields: object) -> None:
        for name in self.__match_args__:
            object.__setattr__(self, name, fields.pop(name, None))
        if fields:
            raise TypeError(f"{type(self).__name__} has no field(s) {sorted(fields)}")

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return all(getattr(self, f) == getattr(other, f) for f in self.__match_args__)

    def __hash__(self) -> int:
        return hash((type(self), *(_hashable(getattr(self, f)) for f in self.__match_args__)))

    def __repr__(self) -> str:
        fields = ", ".join(f"{f}={getattr(self, f)!r}" for f in self.__match_args__)
        return f"{type(self).__name__}({fields})"


def _hashable(value: object) -> object:
    return repr(value) if isinstance(value, dict | list) else value


class MessageStart(BedrockEvent):
    """The model starts its message (Converse ``messageStart``, Anthropic ``message_start``)."""

    __slots__ = ("role",)
    __match_args__ = ("role",)
    role: str

    def __init__(self, role: str = "assistant") -> None:
        super().__init__(role=role)


class TextDelta(BedrockEvent):
    """A piece of the answer text. Never empty."""

    __slots__ = ("index", "text")
    __match_args__ = ("text", "index")
    text: str
    index: int

    def __init__(self, text: str, index: int = 0) -> None:
        super().__init__(text=text, index=index)


class ReasoningDelta(BedrockEvent):
    """A piece of the model's reasoning (extended thinking), never part of the answer.

    Exactly one field is set: ``text`` (readable reasoning), ``signature`` (sent back with the
    reasoning in a later turn, so the model can verify it) or ``redacted`` (reasoning the
    provider encrypted: pass it back unchanged; Anthropic's ``redacted_thinking.data`` is
    given as its ASCII bytes).
    """

    __slots__ = ("index", "redacted", "signature", "text")
    __match_args__ = ("text", "signature", "redacted", "index")
    text: str
    signature: str | None
    redacted: bytes | None
    index: int

    def __init__(
        self,
        text: str = "",
        *,
        signature: str | None = None,
        redacted: bytes | None = None,
        index: int = 0,
    ) -> None:
        super().__init__(text=text, signature=signature, redacted=redacted, index=index)


class ToolUseStart(BedrockEvent):
    """The model starts a tool call: its id (send it back with the result) and tool name."""

    __slots__ = ("index", "name", "tool_use_id")
    __match_args__ = ("tool_use_id", "name", "index")
    tool_use_id: str
    name: str
    index: int

    def __init__(self, tool_use_id: str, name: str, index: int = 0) -> None:
        super().__init__(tool_use_id=tool_use_id, name=name, index=index)


class ToolUseDelta(BedrockEvent):
    """A fragment of a tool call's input JSON (fragments joined make the whole input)."""

    __slots__ = ("index", "input_json", "tool_use_id")
    __match_args__ = ("tool_use_id", "input_json", "index")
    tool_use_id: str
    input_json: str
    index: int

    def __init__(self, tool_use_id: str, input_json: str, index: int = 0) -> None:
        super().__init__(tool_use_id=tool_use_id, input_json=input_json, index=index)


class ToolUseStop(BedrockEvent):
    """A complete tool call: ``input`` is the parsed input (``{}`` for none), or ``None`` when
    ``input_json`` is not valid JSON (e.g. cut off by ``max_tokens``)."""

    __slots__ = ("index", "input", "input_json", "name", "tool_use_id")
    __match_args__ = ("tool_use_id", "name", "input", "input_json", "index")
    tool_use_id: str
    name: str
    input: Any
    input_json: str
    index: int

    def __init__(
        self, tool_use_id: str, name: str, input: Any, input_json: str, index: int = 0
    ) -> None:
        super().__init__(
            tool_use_id=tool_use_id, name=name, input=input, input_json=input_json, index=index
        )


class BlockStop(BedrockEvent):
    """The end of a text or reasoning block (a tool-use block ends with ``ToolUseStop``).

    ``kind`` is ``"text"``, ``"reasoning"`` or ``"other"`` (a block of another kind, or one
    that carried nothing).
    """

    __slots__ = ("index", "kind")
    __match_args__ = ("kind", "index")
    kind: str
    index: int

    def __init__(self, kind: str, index: int = 0) -> None:
        super().__init__(kind=kind, index=index)


class Citation(BedrockEvent):
    """A source the answer cites (Converse ``citation`` delta, Anthropic ``citations_delta``,
    Cohere ``citation-generation``).

    ``location`` is the source's own location object, unchanged (Converse
    ``CitationLocation``: ``web``, ``documentChar``, ``documentPage``...; Anthropic: the
    citation without its text and title).
    """

    __slots__ = ("cited_text", "index", "location", "source", "title")
    __match_args__ = ("title", "source", "cited_text", "location", "index")
    title: str | None
    source: str | None
    cited_text: str | None
    location: Mapping[str, Any]
    index: int

    def __init__(
        self,
        *,
        title: str | None = None,
        source: str | None = None,
        cited_text: str | None = None,
        location: Mapping[str, Any] | None = None,
        index: int = 0,
    ) -> None:
        super().__init__(
            title=title, source=source, cited_text=cited_text, location=location or {}, index=index
        )


class OtherDelta(BedrockEvent):
    """A documented delta the model has no typed event for (Converse ``image``,
    ``toolResult``): its member name and value, unchanged."""

    __slots__ = ("index", "kind", "value")
    __match_args__ = ("kind", "value", "index")
    kind: str
    value: Any
    index: int

    def __init__(self, kind: str, value: Any, index: int = 0) -> None:
        super().__init__(kind=kind, value=value, index=index)


class GuardrailTrace(BedrockEvent):
    """What a Bedrock guardrail did: ``action`` is ``"INTERVENED"`` or ``"NONE"`` (``None`` if
    not said); ``trace`` is Bedrock's guardrail trace object, unchanged."""

    __slots__ = ("action", "trace")
    __match_args__ = ("action", "trace")
    action: str | None
    trace: Mapping[str, Any]

    def __init__(self, action: str | None, trace: Mapping[str, Any] | None = None) -> None:
        super().__init__(action=action, trace=trace or {})

    @property
    def intervened(self) -> bool:
        return self.action == "INTERVENED"


class MessageStop(BedrockEvent):
    """The model ended its message. ``reason`` in Converse's words (see module docstring);
    ``raw_reason`` as the model said it; ``additional_fields`` from Converse's
    ``additionalModelResponseFields``."""

    __slots__ = ("additional_fields", "raw_reason", "reason")
    __match_args__ = ("reason", "raw_reason", "additional_fields")
    reason: str
    raw_reason: str | None
    additional_fields: Mapping[str, Any]

    def __init__(
        self,
        reason: str,
        raw_reason: str | None = None,
        additional_fields: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(
            reason=reason,
            raw_reason=reason if raw_reason is None else raw_reason,
            additional_fields=additional_fields or {},
        )


class Metadata(BedrockEvent):
    """Usage and timing, once per stream, after ``MessageStop``.

    ``latency_ms`` is Converse's ``metrics.latencyMs`` or InvokeModel's ``invocationLatency``;
    ``metrics`` holds everything Bedrock reported (``firstByteLatency``...).
    """

    __slots__ = ("latency_ms", "metrics", "usage")
    __match_args__ = ("usage", "latency_ms", "metrics")
    usage: Usage | None
    latency_ms: int | None
    metrics: Mapping[str, Any]

    def __init__(
        self,
        usage: Usage | None = None,
        latency_ms: int | None = None,
        metrics: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(usage=usage, latency_ms=latency_ms, metrics=metrics or {})


#: ConverseStream's stop reasons (botocore bedrock-runtime ``StopReason``); every family's own
#: reasons are translated to one of these.
STOP_REASONS = frozenset(
    {
        "end_turn",
        "tool_use",
        "max_tokens",
        "stop_sequence",
        "guardrail_intervened",
        "content_filtered",
        "malformed_model_output",
        "malformed_tool_use",
        "model_context_window_exceeded",
    }
)

"""Amazon Bedrock streams, read as typed events or as plain answer text.

You call Bedrock with your own boto3 client and pass its response (this package never imports
boto3 or botocore); anything shaped like boto3's answer works, a dict whose ``"stream"``
(ConverseStream) or ``"body"`` (InvokeModelWithResponseStream) is an iterable of event dicts.

Public interface (stable; import from ``lambda_streaming.bedrock``):

Iterators, one per API, yielding ``BedrockEvent`` (``BedrockEvents``: iterate once, ``close()``):

- ``converse_events(response)``: a ``converse_stream`` response, any model.
- ``invoke_events(response)``: an ``invoke_model_with_response_stream`` response; the family is
  recognised per chunk: Anthropic Claude, Amazon Nova, Meta Llama, Mistral, DeepSeek-R1,
  OpenAI gpt-oss, Cohere Command, Amazon Titan Text. Unknown shapes raise
  ``UnknownShapeError``.

Events (immutable, slotted, ``match``-able; ``index`` = content block):

- ``MessageStart(role)``
- ``TextDelta(text, index)``: answer text, never empty.
- ``ReasoningDelta(text, signature, redacted, index)``: one of the three is set.
- ``ToolUseStart(tool_use_id, name, index)``, ``ToolUseDelta(tool_use_id, input_json, index)``,
  ``ToolUseStop(tool_use_id, name, input, input_json, index)``: ``input`` parsed at the stop
  (``None`` if the JSON is incomplete).
- ``BlockStop(kind, index)``: end of a ``"text"``/``"reasoning"``/``"other"`` block.
- ``Citation(title, source, cited_text, location, index)``
- ``OtherDelta(kind, value, index)``: a documented delta without a typed event (image...).
- ``GuardrailTrace(action, trace)``: ``.intervened``.
- ``MessageStop(reason, raw_reason, additional_fields)``: ``reason`` in ConverseStream's words
  for every family (``end_turn``, ``tool_use``, ``max_tokens``, ``stop_sequence``,
  ``guardrail_intervened``, ``content_filtered``, ``model_context_window_exceeded``...).
- ``Metadata(usage, latency_ms, metrics)``: last; ``Usage(input_tokens, output_tokens,
  cache_read_input_tokens, cache_write_input_tokens)`` with ``.total_tokens``.

Order: ``MessageStart``, content events (a block's deltas, then its ``BlockStop`` or
``ToolUseStop``), ``GuardrailTrace`` if any, ``MessageStop``, ``Metadata``.

The simple path: ``converse_text(response)`` / ``invoke_text(response)`` -> ``TextStream``, the
answer text only (reasoning and tool input never mixed in), then ``stop_reason``,
``raw_stop_reason``, ``usage``, ``metrics``, ``guardrail``, ``tool_uses``, ``summary``
(``StreamSummary.to_json()``, what ``sse_stream`` sends as its ``done`` event).

Errors: ``BedrockStreamError`` (``code``, ``retryable``; an exception Bedrock sent in the
stream), ``UnknownShapeError`` (``api``, ``shape``), ``bedrock_error(exc)`` (botocore's errors
mapped). ``lambda_streaming.error_type(exc)`` names any of them for Lambda.
``deadline_guard(texts, context)`` ends text before the function's timeout.

>>> events = [{"contentBlockDelta": {"delta": {"reasoningContent": {"text": "Hmm"}},
...                                  "contentBlockIndex": 0}},
...           {"contentBlockDelta": {"delta": {"text": "Hello"}, "contentBlockIndex": 1}},
...           {"messageStop": {"stopReason": "end_turn"}}]
>>> for event in converse_events({"stream": events}):
...     match event:
...         case ReasoningDelta(text=thought): print("thinking:", thought)
...         case TextDelta(text=text): print("answer:", text)
...         case MessageStop(reason=reason): print("stop:", reason)
thinking: Hmm
answer: Hello
stop: end_turn
"""

from .converse import converse_events
from .deadline import (
    DEFAULT_DEADLINE_MARGIN_MS,
    DEFAULT_DEADLINE_NOTE,
    DeadlineGuard,
    DeadlineReached,
    LambdaContextLike,
    deadline_guard,
    until_deadline,
)
from .errors import STREAM_EXCEPTIONS, BedrockStreamError, UnknownShapeError, bedrock_error
from .events import (
    STOP_REASONS,
    BedrockEvent,
    BlockStop,
    Citation,
    GuardrailTrace,
    MessageStart,
    MessageStop,
    Metadata,
    OtherDelta,
    ReasoningDelta,
    TextDelta,
    ToolUseDelta,
    ToolUseStart,
    ToolUseStop,
    Usage,
)
from .invoke import invoke_events
from .stream import BedrockEvents
from .summary import StreamSummary
from .text import TextStream, converse_text, invoke_text

__all__ = [
    "DEFAULT_DEADLINE_MARGIN_MS",
    "DEFAULT_DEADLINE_NOTE",
    "STOP_REASONS",
    "STREAM_EXCEPTIONS",
    "BedrockEvent",
    "BedrockEvents",
    "BedrockStreamError",
    "BlockStop",
    "Citation",
    "DeadlineGuard",
    "DeadlineReached",
    "GuardrailTrace",
    "LambdaContextLike",
    "MessageStart",
    "MessageStop",
    "Metadata",
    "OtherDelta",
    "ReasoningDelta",
    "StreamSummary",
    "TextDelta",
    "TextStream",
    "ToolUseDelta",
    "ToolUseStart",
    "ToolUseStop",
    "UnknownShapeError",
    "Usage",
    "bedrock_error",
    "converse_events",
    "converse_text",
    "deadline_guard",
    "invoke_events",
    "invoke_text",
    "until_deadline",
]

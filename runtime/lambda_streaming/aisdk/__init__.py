"""The Vercel AI SDK's UI message stream over Amazon Bedrock, for ``useChat`` front ends.

A Next.js (or any) app using ``useChat`` from ``@ai-sdk/react`` can point its transport at a
function built from these pieces (``new DefaultChatTransport({api: "<Function URL>/api/chat"})``);
see ``lambda_src/openai_compat.py`` for the complete handler. Never imports boto3.

- ``converse_ui_messages(body["messages"])``: the posted ``UIMessage`` list as Converse
  ``messages`` and ``system`` (``UIMessageError`` names a part it cannot send).
- ``ui_message_stream(converse_events(response))``: the answer as the UI message stream
  protocol ``v1`` (SSE parts, then ``data: [DONE]``); send it with
  ``UI_MESSAGE_STREAM_HEADERS``. ``PartTranslator`` is the per-event step.

>>> from lambda_streaming.bedrock import converse_events
>>> events = [{"messageStart": {"role": "assistant"}},
...           {"contentBlockDelta": {"delta": {"text": "Hi"}, "contentBlockIndex": 0}},
...           {"contentBlockStop": {"contentBlockIndex": 0}},
...           {"messageStop": {"stopReason": "end_turn"}}]
>>> for line in ui_message_stream(converse_events({"stream": events}), message_id="m1"):
...     print(line.strip())
data: {"type":"start","messageId":"m1"}
data: {"type":"start-step"}
data: {"type":"text-start","id":"text-0"}
data: {"type":"text-delta","id":"text-0","delta":"Hi"}
data: {"type":"text-end","id":"text-0"}
data: {"type":"finish-step"}
data: {"type":"finish","finishReason":"stop","messageMetadata":{"stopReason":"end_turn"}}
data: [DONE]
"""

from .messages import UIMessageError, converse_ui_messages
from .parts import (
    DONE,
    FINISH_REASONS,
    UI_MESSAGE_STREAM_HEADERS,
    PartTranslator,
    part_event,
    ui_message_stream,
)

__all__ = [
    "DONE",
    "FINISH_REASONS",
    "UI_MESSAGE_STREAM_HEADERS",
    "PartTranslator",
    "UIMessageError",
    "converse_ui_messages",
    "part_event",
    "ui_message_stream",
]

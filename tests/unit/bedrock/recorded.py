"""Recorded shapes of Bedrock stream events, per API and model family, as botocore yields them.

The JSON of each event is written as it appears on the wire (the event-stream payload for
ConverseStream; the decoded ``chunk.bytes`` for InvokeModelWithResponseStream). The shapes
follow the AWS documentation and botocore's bedrock-runtime service model:

- ConverseStream events: service model ``ConverseStreamOutput`` (botocore 1.44.5) and
  docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ConverseStream.html.
- Anthropic Claude Messages streaming on Bedrock (message_start, content_block_start/delta/stop,
  message_delta, message_stop with ``amazon-bedrock-invocationMetrics``):
  docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-anthropic-claude-messages.html.
- Amazon Nova native streaming (messageStart, contentBlockDelta, contentBlockStop, messageStop,
  metadata): docs.aws.amazon.com/nova/latest/userguide/using-invoke-api.html and the Nova 2
  "Streaming responses" page.
- Meta Llama native streaming (``generation``, ``prompt_token_count``,
  ``generation_token_count``, ``stop_reason``):
  docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-meta.html.

Ids, latencies and texts are made up; field names and nesting are the documented ones.
"""

import json
from typing import Any

# (event type, payload JSON) for ConverseStream: botocore yields {event_type: payload}.
CONVERSE_CLAUDE: list[tuple[str, str]] = [
    ("messageStart", '{"role":"assistant"}'),
    ("contentBlockDelta", '{"contentBlockIndex":0,"delta":{"text":"こんにちは"}}'),
    ("contentBlockDelta", '{"contentBlockIndex":0,"delta":{"text":"!"}}'),
    ("contentBlockDelta", '{"contentBlockIndex":0,"delta":{"text":"\\n何か"}}'),
    ("contentBlockDelta", '{"contentBlockIndex":0,"delta":{"text":""}}'),
    ("contentBlockStop", '{"contentBlockIndex":0}'),
    ("messageStop", '{"stopReason":"end_turn"}'),
    (
        "metadata",
        '{"usage":{"inputTokens":12,"outputTokens":9,"totalTokens":21},"metrics":{"latencyMs":412}}',
    ),
]
CONVERSE_CLAUDE_TEXT = ["こんにちは", "!", "\n何か"]

# Reasoning and a tool call: only the text block's deltas are answer text.
CONVERSE_TOOL_AND_REASONING: list[tuple[str, str]] = [
    ("messageStart", '{"role":"assistant"}'),
    (
        "contentBlockDelta",
        '{"contentBlockIndex":0,"delta":{"reasoningContent":{"text":"The user wants"}}}',
    ),
    (
        "contentBlockDelta",
        '{"contentBlockIndex":0,"delta":{"reasoningContent":{"signature":"c2ln"}}}',
    ),
    ("contentBlockStop", '{"contentBlockIndex":0}'),
    ("contentBlockDelta", '{"contentBlockIndex":1,"delta":{"text":"Let me check."}}'),
    ("contentBlockStop", '{"contentBlockIndex":1}'),
    (
        "contentBlockStart",
        '{"contentBlockIndex":2,"start":{"toolUse":{"toolUseId":"tooluse_1","name":"weather"}}}',
    ),
    ("contentBlockDelta", '{"contentBlockIndex":2,"delta":{"toolUse":{"input":"{\\"city\\""}}}'),
    ("contentBlockDelta", '{"contentBlockIndex":2,"delta":{"toolUse":{"input":":\\"Tokyo\\"}"}}}'),
    ("contentBlockStop", '{"contentBlockIndex":2}'),
    ("messageStop", '{"stopReason":"tool_use"}'),
    (
        "metadata",
        '{"usage":{"inputTokens":40,"outputTokens":31,"totalTokens":71},"metrics":{"latencyMs":900}}',
    ),
]
CONVERSE_TOOL_AND_REASONING_TEXT = ["Let me check."]

# InvokeModelWithResponseStream chunks (the JSON inside chunk.bytes).
INVOKE_ANTHROPIC: list[str] = [
    '{"type":"message_start","message":{"id":"msg_bdrk_01","type":"message","role":"assistant",'
    '"model":"claude-3-haiku-20240307","content":[],"stop_reason":null,"stop_sequence":null,'
    '"usage":{"input_tokens":12,"output_tokens":1}}}',
    '{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}',
    '{"type":"ping"}',
    '{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"こんにちは"}}',
    '{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"!"}}',
    '{"type":"content_block_stop","index":0}',
    '{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},'
    '"usage":{"output_tokens":9}}',
    '{"type":"message_stop","amazon-bedrock-invocationMetrics":{"inputTokenCount":12,'
    '"outputTokenCount":9,"invocationLatency":598,"firstByteLatency":327}}',
]
INVOKE_ANTHROPIC_TEXT = ["こんにちは", "!"]

# Extended thinking and tool use: thinking_delta, signature_delta, input_json_delta carry no
# answer text.
INVOKE_ANTHROPIC_THINKING_TOOL: list[str] = [
    '{"type":"message_start","message":{"id":"msg_bdrk_02","type":"message","role":"assistant",'
    '"model":"claude-3-7-sonnet-20250219","content":[],"stop_reason":null,'
    '"stop_sequence":null,"usage":{"input_tokens":50,"output_tokens":3}}}',
    '{"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":""}}',
    '{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta",'
    '"thinking":"Weather question."}}',
    '{"type":"content_block_delta","index":0,"delta":{"type":"signature_delta",'
    '"signature":"EqQB"}}',
    '{"type":"content_block_stop","index":0}',
    '{"type":"content_block_start","index":1,"content_block":{"type":"text","text":""}}',
    '{"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"Checking."}}',
    '{"type":"content_block_stop","index":1}',
    '{"type":"content_block_start","index":2,"content_block":{"type":"tool_use",'
    '"id":"toolu_01","name":"weather","input":{}}}',
    '{"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta",'
    '"partial_json":"{\\"city\\": \\"Tokyo\\"}"}}',
    '{"type":"content_block_stop","index":2}',
    '{"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},'
    '"usage":{"output_tokens":60}}',
    '{"type":"message_stop","amazon-bedrock-invocationMetrics":{"inputTokenCount":50,'
    '"outputTokenCount":60,"invocationLatency":2100,"firstByteLatency":800}}',
]
INVOKE_ANTHROPIC_THINKING_TOOL_TEXT = ["Checking."]

INVOKE_NOVA: list[str] = [
    '{"messageStart":{"role":"assistant"}}',
    '{"contentBlockDelta":{"delta":{"text":"Hello"},"contentBlockIndex":0}}',
    '{"contentBlockDelta":{"delta":{"text":" there"},"contentBlockIndex":0}}',
    '{"contentBlockStop":{"contentBlockIndex":0}}',
    '{"messageStop":{"stopReason":"max_tokens"}}',
    '{"metadata":{"usage":{"inputTokens":8,"outputTokens":2},"metrics":{},"trace":{}},'
    '"amazon-bedrock-invocationMetrics":{"inputTokenCount":8,"outputTokenCount":2,'
    '"invocationLatency":204,"firstByteLatency":151}}',
]
INVOKE_NOVA_TEXT = ["Hello", " there"]

INVOKE_LLAMA: list[str] = [
    '{"generation":"Hello","prompt_token_count":17,"generation_token_count":1,"stop_reason":null}',
    '{"generation":",","prompt_token_count":null,"generation_token_count":2,"stop_reason":null}',
    '{"generation":" world","prompt_token_count":null,"generation_token_count":3,'
    '"stop_reason":null}',
    '{"generation":"","prompt_token_count":null,"generation_token_count":4,"stop_reason":"stop",'
    '"amazon-bedrock-invocationMetrics":{"inputTokenCount":17,"outputTokenCount":4,'
    '"invocationLatency":310,"firstByteLatency":120}}',
]
INVOKE_LLAMA_TEXT = ["Hello", ",", " world"]


def converse_events(recorded: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """The events as botocore's ``EventStream`` yields them for ConverseStream."""
    return [{event_type: json.loads(payload)} for event_type, payload in recorded]


def invoke_events(recorded: list[str]) -> list[dict[str, Any]]:
    """The events as botocore yields them for InvokeModelWithResponseStream (bytes decoded)."""
    return [{"chunk": {"bytes": chunk.encode()}} for chunk in recorded]

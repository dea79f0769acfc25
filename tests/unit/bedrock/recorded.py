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

- Mistral text completion (``outputs[].text``/``stop_reason``):
  docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-mistral-text-completion.html;
  Mistral chat completion (``choices[].message``/``stop_reason``):
  docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-mistral-chat-completion.html.
- DeepSeek-R1 (``choices[].text``/``stop_reason``; the documented prompt ends in ``<think>``,
  so the output is reasoning up to ``</think>``, then the answer):
  docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-deepseek.html.
- OpenAI gpt-oss (chat-completion chunks, ``choices[].delta``/``finish_reason``, reasoning in
  ``<reasoning>`` tags inside ``content``):
  docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-openai.html.
- Cohere Command R/R+ (``event_type`` text-generation, citation-generation, stream-end):
  docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-cohere-command-r-plus.html;
  Cohere Command (``text``, ``is_finished``, ``finish_reason``):
  docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-cohere-command.html.
- Amazon Titan Text (``outputText``, ``index``, ``totalOutputTextTokenCount``,
  ``completionReason``, ``inputTextTokenCount``):
  docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-titan-text.html.
- Guardrails on InvokeModel (``amazon-bedrock-guardrailAction``, ``amazon-bedrock-trace``):
  docs.aws.amazon.com/bedrock/latest/userguide/guardrails-use-invoke.html; on Converse
  (``stopReason: guardrail_intervened``, ``metadata.trace.guardrail``):
  docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ConverseStreamTrace.html.

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


# Citations (CitationsDelta), a guardrail intervention and prompt-cache usage on Converse.
CONVERSE_CITATION_GUARDRAIL_CACHE: list[tuple[str, str]] = [
    ("messageStart", '{"role":"assistant"}'),
    ("contentBlockDelta", '{"contentBlockIndex":0,"delta":{"text":"Tokyo is large."}}'),
    (
        "contentBlockDelta",
        '{"contentBlockIndex":0,"delta":{"citation":{"title":"cities.pdf","source":"s3://b/c",'
        '"sourceContent":[{"text":"Tokyo has 14 million people"}],'
        '"location":{"documentChar":{"documentIndex":0,"start":10,"end":37}}}}}',
    ),
    ("contentBlockStop", '{"contentBlockIndex":0}'),
    ("messageStop", '{"stopReason":"guardrail_intervened"}'),
    (
        "metadata",
        '{"usage":{"inputTokens":30,"outputTokens":5,"totalTokens":35,'
        '"cacheReadInputTokens":1024,"cacheWriteInputTokens":0},"metrics":{"latencyMs":300},'
        '"trace":{"guardrail":{"outputAssessments":{"gr1":[{"contentPolicy":{"filters":'
        '[{"type":"VIOLENCE","confidence":"HIGH","action":"BLOCKED"}]}}]},'
        '"actionReason":"Guardrail blocked."}}}',
    ),
]

# Anthropic: redacted thinking, a citation, prompt-cache usage.
INVOKE_ANTHROPIC_REDACTED_CITATION_CACHE: list[str] = [
    '{"type":"message_start","message":{"id":"msg_bdrk_03","type":"message","role":"assistant",'
    '"model":"claude-haiku-4-5-20251001","content":[],"stop_reason":null,"stop_sequence":null,'
    '"usage":{"input_tokens":20,"cache_creation_input_tokens":2048,'
    '"cache_read_input_tokens":0,"output_tokens":1}}}',
    '{"type":"content_block_start","index":0,"content_block":{"type":"redacted_thinking",'
    '"data":"EmwKAhgBEgy3va3pzix"}}',
    '{"type":"content_block_stop","index":0}',
    '{"type":"content_block_start","index":1,"content_block":{"type":"text","text":""}}',
    '{"type":"content_block_delta","index":1,"delta":{"type":"citations_delta","citation":'
    '{"type":"char_location","cited_text":"The grass is green.","document_index":0,'
    '"document_title":"Example","start_char_index":0,"end_char_index":20}}}',
    '{"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"Green."}}',
    '{"type":"content_block_stop","index":1}',
    '{"type":"message_delta","delta":{"stop_reason":"max_tokens","stop_sequence":null},'
    '"usage":{"output_tokens":12}}',
    '{"type":"message_stop","amazon-bedrock-invocationMetrics":{"inputTokenCount":20,'
    '"outputTokenCount":12,"invocationLatency":700,"firstByteLatency":300,'
    '"cacheReadInputTokenCount":0,"cacheWriteInputTokenCount":2048}}',
]

INVOKE_MISTRAL_TEXT: list[str] = [
    '{"outputs":[{"text":" Bonjour","stop_reason":null}]}',
    '{"outputs":[{"text":" !","stop_reason":"length"}],"amazon-bedrock-invocationMetrics":'
    '{"inputTokenCount":9,"outputTokenCount":2,"invocationLatency":150,"firstByteLatency":90}}',
]

INVOKE_MISTRAL_CHAT: list[str] = [
    '{"choices":[{"index":0,"message":{"role":"assistant","content":"Hello"},"stop_reason":null}]}',
    '{"choices":[{"index":0,"message":{"role":"assistant","content":" world"},'
    '"stop_reason":"stop"}],"amazon-bedrock-invocationMetrics":{"inputTokenCount":6,'
    '"outputTokenCount":2,"invocationLatency":120,"firstByteLatency":80}}',
]

INVOKE_DEEPSEEK_R1: list[str] = [
    '{"choices":[{"text":"The user greets","stop_reason":null}]}',
    '{"choices":[{"text":" me.\\n</th","stop_reason":null}]}',
    '{"choices":[{"text":"ink>\\n\\nHi!","stop_reason":null}]}',
    '{"choices":[{"text":" Welcome.","stop_reason":"stop"}],'
    '"amazon-bedrock-invocationMetrics":{"inputTokenCount":10,"outputTokenCount":9,'
    '"invocationLatency":900,"firstByteLatency":400}}',
]

INVOKE_GPT_OSS: list[str] = [
    '{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-oss-120b",'
    '"choices":[{"index":0,"delta":{"role":"assistant","content":"<reasoning>Simple"},'
    '"finish_reason":null}]}',
    '{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-oss-120b",'
    '"choices":[{"index":0,"delta":{"content":" greeting.</reasoning>Hi"},"finish_reason":null}]}',
    '{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-oss-120b",'
    '"choices":[{"index":0,"delta":{"content":" there"},"finish_reason":null}]}',
    '{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-oss-120b",'
    '"choices":[{"index":0,"delta":{},"finish_reason":"stop"}],'
    '"amazon-bedrock-invocationMetrics":{"inputTokenCount":15,"outputTokenCount":8,'
    '"invocationLatency":400,"firstByteLatency":200}}',
]

INVOKE_GPT_OSS_TOOL: list[str] = [
    '{"choices":[{"index":0,"delta":{"role":"assistant","tool_calls":[{"index":0,'
    '"id":"call_1","type":"function","function":{"name":"weather","arguments":""}}]},'
    '"finish_reason":null}]}',
    '{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":'
    '{"arguments":"{\\"city\\":"}}]},"finish_reason":null}]}',
    '{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":'
    '{"arguments":"\\"Tokyo\\"}"}}]},"finish_reason":null}]}',
    '{"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}',
]

INVOKE_COHERE_COMMAND_R: list[str] = [
    '{"is_finished":false,"event_type":"stream-start","generation_id":"g1"}',
    '{"is_finished":false,"event_type":"text-generation","text":"Paris"}',
    '{"is_finished":false,"event_type":"text-generation","text":" is the capital."}',
    '{"is_finished":false,"event_type":"citation-generation","citations":[{"start":0,"end":5,'
    '"text":"Paris","document_ids":["doc_0"]}]}',
    '{"is_finished":true,"event_type":"stream-end","finish_reason":"COMPLETE",'
    '"response":{"text":"Paris is the capital.","meta":{"billed_units":'
    '{"input_tokens":11,"output_tokens":5}}},'
    '"amazon-bedrock-invocationMetrics":{"inputTokenCount":11,"outputTokenCount":5,'
    '"invocationLatency":300,"firstByteLatency":100}}',
]

INVOKE_COHERE_COMMAND: list[str] = [
    '{"text":"Hi","is_finished":false}',
    '{"text":" you","is_finished":false}',
    '{"is_finished":true,"finish_reason":"MAX_TOKENS","amazon-bedrock-invocationMetrics":'
    '{"inputTokenCount":3,"outputTokenCount":2,"invocationLatency":80,"firstByteLatency":40}}',
]

INVOKE_TITAN: list[str] = [
    '{"outputText":"Hello","index":0,"totalOutputTextTokenCount":1,"completionReason":null,'
    '"inputTextTokenCount":5}',
    '{"outputText":" Titan","index":0,"totalOutputTextTokenCount":2,'
    '"completionReason":"CONTENT_FILTERED","inputTextTokenCount":5,'
    '"amazon-bedrock-invocationMetrics":{"inputTokenCount":5,"outputTokenCount":2,'
    '"invocationLatency":210,"firstByteLatency":120}}',
]

# A guardrail intervening on an InvokeModel stream (Anthropic body): Bedrock's blocked message
# and its action in the chunk.
INVOKE_ANTHROPIC_GUARDRAIL: list[str] = [
    '{"type":"message_start","message":{"id":"msg_bdrk_04","type":"message","role":"assistant",'
    '"content":[],"usage":{"input_tokens":9,"output_tokens":1}}}',
    '{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}',
    '{"type":"content_block_delta","index":0,"delta":{"type":"text_delta",'
    '"text":"Sorry, the model cannot answer this question."}}',
    '{"type":"content_block_stop","index":0}',
    '{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},'
    '"usage":{"output_tokens":9},"amazon-bedrock-guardrailAction":"INTERVENED",'
    '"amazon-bedrock-trace":{"guardrail":{"input":{"gr1":{"topicPolicy":{"topics":'
    '[{"name":"Finance","type":"DENY","action":"BLOCKED"}]}}}}}}',
    '{"type":"message_stop","amazon-bedrock-invocationMetrics":{"inputTokenCount":9,'
    '"outputTokenCount":9,"invocationLatency":90,"firstByteLatency":50}}',
]


def converse_events(recorded: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """The events as botocore's ``EventStream`` yields them for ConverseStream."""
    return [{event_type: json.loads(payload)} for event_type, payload in recorded]


def invoke_events(recorded: list[str]) -> list[dict[str, Any]]:
    """The events as botocore yields them for InvokeModelWithResponseStream (bytes decoded)."""
    return [{"chunk": {"bytes": chunk.encode()}} for chunk in recorded]

"""The stream events of the fake's answers: ConverseStream, and each family's InvokeModel chunks.

Owns: turning one ``Completion`` (answer tokens, and what the markers asked for: reasoning, a
tool call, a citation, a guardrail intervention, prompt-cache usage) into the sequence of
events Bedrock would send, in the documented shapes: ConverseStreamOutput (botocore's
bedrock-runtime model), and the native chunks of Anthropic Claude Messages, Amazon Nova, Meta
Llama, Mistral (text and chat), DeepSeek-R1, OpenAI gpt-oss, Cohere Command (R and older) and
Amazon Titan Text (the Bedrock user guide's model-parameters-*.html pages). ``Event.token``
marks the events that carry generated tokens, which the server paces and counts.
"""

import json
from collections.abc import Callable, Iterator

from .shapes import (
    JSON,
    SIGNATURE,
    Completion,
    Event,
    _anthropic_model,
    _converse_usage,
    _message_id,
)

DOCUMENT = {"title": "fake-handbook.pdf", "text": "The local fake Bedrock answers offline."}
GUARDRAIL_TRACE = {
    "outputAssessments": {
        "fakeguardrail01": [
            {"contentPolicy": {"filters": [{"type": "VIOLENCE", "confidence": "HIGH",
                                            "action": "BLOCKED"}]}}
        ]
    },
    "actionReason": "Guardrail blocked.",
}  # fmt: skip


def converse_stream(done: Completion, elapsed_ms: Callable[[], int]) -> Iterator[Event]:
    """ConverseStreamOutput events (the same for every model family)."""
    yield Event("messageStart", {"role": "assistant"})
    yield from _converse_blocks(done)
    yield Event("messageStop", {"stopReason": done.stop})
    metadata: JSON = {"usage": _usage(done), "metrics": {"latencyMs": elapsed_ms()}}
    if done.guardrail:
        metadata["trace"] = {"guardrail": GUARDRAIL_TRACE}
    yield Event("metadata", metadata)


def _usage(done: Completion) -> JSON:
    usage = _converse_usage(done)
    if done.cache:
        usage |= {"cacheReadInputTokens": 1024, "cacheWriteInputTokens": 0}
    return usage


def _converse_blocks(done: Completion) -> Iterator[Event]:
    index = 0
    if done.reasoning:
        for token in done.reasoning:
            delta = {"reasoningContent": {"text": token}}
            yield Event("contentBlockDelta", {"contentBlockIndex": 0, "delta": delta}, token=True)
        signature = {"reasoningContent": {"signature": SIGNATURE}}
        yield Event("contentBlockDelta", {"contentBlockIndex": 0, "delta": signature})
        yield Event("contentBlockStop", {"contentBlockIndex": 0})
        index = 1
    for token in done.tokens:
        yield Event(
            "contentBlockDelta", {"contentBlockIndex": index, "delta": {"text": token}}, token=True
        )
    if done.citation:
        citation = {
            "title": DOCUMENT["title"],
            "sourceContent": [{"text": DOCUMENT["text"]}],
            "location": {"documentChar": {"documentIndex": 0, "start": 0, "end": 39}},
        }
        yield Event(
            "contentBlockDelta", {"contentBlockIndex": index, "delta": {"citation": citation}}
        )
    yield Event("contentBlockStop", {"contentBlockIndex": index})
    if done.tool is not None:
        tool_id, name, arguments = done.tool
        start = {"toolUse": {"toolUseId": tool_id, "name": name}}
        yield Event("contentBlockStart", {"contentBlockIndex": index + 1, "start": start})
        for fragment in _fragments(arguments):
            delta = {"toolUse": {"input": fragment}}
            yield Event("contentBlockDelta", {"contentBlockIndex": index + 1, "delta": delta})
        yield Event("contentBlockStop", {"contentBlockIndex": index + 1})


def _fragments(arguments: JSON) -> list[str]:
    text = json.dumps(arguments, separators=(",", ":"))
    return [text[: len(text) // 2], text[len(text) // 2 :]]


def invoke_stream(family: str, done: Completion, elapsed_ms: Callable[[], int]) -> Iterator[Event]:
    """``chunk`` events of InvokeModelWithResponseStream; the payload is the native JSON."""
    first_byte_ms = None
    chunks = list(CHUNKS[family](done))
    for position, (payload, is_token) in enumerate(chunks):
        if first_byte_ms is None:
            first_byte_ms = elapsed_ms()
        if position == len(chunks) - 1:
            # Bedrock adds its own metrics (and a guardrail's action) to the last chunk.
            payload["amazon-bedrock-invocationMetrics"] = {
                "inputTokenCount": done.input_tokens,
                "outputTokenCount": done.output_tokens,
                "invocationLatency": elapsed_ms(),
                "firstByteLatency": first_byte_ms,
            }
            if done.cache:
                payload["amazon-bedrock-invocationMetrics"] |= {
                    "cacheReadInputTokenCount": 1024,
                    "cacheWriteInputTokenCount": 0,
                }
            if done.guardrail:
                payload["amazon-bedrock-guardrailAction"] = "INTERVENED"
                payload["amazon-bedrock-trace"] = {"guardrail": GUARDRAIL_TRACE}
        yield Event("chunk", payload, token=is_token)


Chunks = Iterator[tuple[JSON, bool]]


def _anthropic_chunks(done: Completion) -> Chunks:
    message: JSON = {
        "id": _message_id(done),
        "type": "message",
        "role": "assistant",
        "model": _anthropic_model(done.model_id),
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": {"input_tokens": done.input_tokens, "output_tokens": 1},
    }
    if done.cache:
        message["usage"] |= {"cache_read_input_tokens": 1024, "cache_creation_input_tokens": 0}
    yield {"type": "message_start", "message": message}, False
    index = 0
    if done.reasoning:
        block = {"type": "thinking", "thinking": ""}
        yield {"type": "content_block_start", "index": 0, "content_block": block}, False
        for token in done.reasoning:
            delta = {"type": "thinking_delta", "thinking": token}
            yield {"type": "content_block_delta", "index": 0, "delta": delta}, True
        delta = {"type": "signature_delta", "signature": SIGNATURE}
        yield {"type": "content_block_delta", "index": 0, "delta": delta}, False
        yield {"type": "content_block_stop", "index": 0}, False
        index = 1
    text: JSON = {"type": "text", "text": ""}
    yield {"type": "content_block_start", "index": index, "content_block": text}, False
    yield {"type": "ping"}, False
    for token in done.tokens:
        delta = {"type": "text_delta", "text": token}
        yield {"type": "content_block_delta", "index": index, "delta": delta}, True
    if done.citation:
        citation = {
            "type": "char_location",
            "cited_text": DOCUMENT["text"],
            "document_index": 0,
            "document_title": DOCUMENT["title"],
            "start_char_index": 0,
            "end_char_index": 39,
        }
        cites: JSON = {"type": "citations_delta", "citation": citation}
        yield {"type": "content_block_delta", "index": index, "delta": cites}, False
    yield {"type": "content_block_stop", "index": index}, False
    if done.tool is not None:
        tool_id, name, arguments = done.tool
        tool: JSON = {"type": "tool_use", "id": tool_id, "name": name, "input": {}}
        yield {"type": "content_block_start", "index": index + 1, "content_block": tool}, False
        for fragment in _fragments(arguments):
            delta = {"type": "input_json_delta", "partial_json": fragment}
            yield {"type": "content_block_delta", "index": index + 1, "delta": delta}, False
        yield {"type": "content_block_stop", "index": index + 1}, False
    stop = {"tool_use": "tool_use", "max_tokens": "max_tokens"}.get(done.stop, "end_turn")
    yield (
        {
            "type": "message_delta",
            "delta": {"stop_reason": stop, "stop_sequence": None},
            "usage": {"output_tokens": done.output_tokens},
        },
        False,
    )
    yield {"type": "message_stop"}, False


def _nova_chunks(done: Completion) -> Chunks:
    for event in converse_stream(done, lambda: 0):
        if event.event_type == "metadata":
            yield {"metadata": {"usage": _usage(done), "metrics": {}, "trace": {}}}, False
        else:
            yield {event.event_type: event.payload}, event.token


def _llama_chunks(done: Completion) -> Chunks:
    for index, token in enumerate(done.tokens):
        yield (
            {
                "generation": token,
                "prompt_token_count": done.input_tokens if index == 0 else None,
                "generation_token_count": index + 1,
                "stop_reason": None,
            },
            True,
        )
    yield (
        {
            "generation": "",
            "prompt_token_count": None if done.tokens else done.input_tokens,
            "generation_token_count": done.output_tokens,
            "stop_reason": "length" if done.truncated else "stop",
        },
        False,
    )


def _word(done: Completion, *, stop: str, length: str, tool: str = "tool_calls") -> str:
    return {"max_tokens": length, "tool_use": tool}.get(done.stop, stop)


def _mistral_chunks(done: Completion) -> Chunks:
    for token in done.tokens:
        yield {"outputs": [{"text": token, "stop_reason": None}]}, True
    yield (
        {"outputs": [{"text": "", "stop_reason": _word(done, stop="stop", length="length")}]},
        False,
    )


def _deepseek_chunks(done: Completion) -> Chunks:
    # DeepSeek-R1 always reasons; its prompt template opened <think>, it closes it.
    for token in done.reasoning or ("Short", " question."):
        yield {"choices": [{"text": token, "stop_reason": None}]}, True
    yield {"choices": [{"text": "\n</think>\n\n", "stop_reason": None}]}, False
    for token in done.tokens:
        yield {"choices": [{"text": token, "stop_reason": None}]}, True
    yield (
        {"choices": [{"text": "", "stop_reason": _word(done, stop="stop", length="length")}]},
        False,
    )


def _openai_chunks(done: Completion) -> Chunks:
    base: JSON = {"id": _message_id(done).replace("msg_bdrk", "chatcmpl"),
                  "object": "chat.completion.chunk", "created": 1767225600,
                  "model": done.model_id.rsplit(".", 1)[-1]}  # fmt: skip

    def chunk(delta: JSON, finish: str | None = None) -> JSON:
        return base | {"choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

    yield chunk({"role": "assistant", "content": ""}), False
    if done.reasoning:
        yield chunk({"content": "<reasoning>"}), False
        for token in done.reasoning:
            yield chunk({"content": token}), True
        yield chunk({"content": "</reasoning>"}), False
    for token in done.tokens:
        yield chunk({"content": token}), True
    if done.tool is not None:
        tool_id, name, arguments = done.tool
        call = {"index": 0, "id": tool_id, "type": "function",
                "function": {"name": name, "arguments": ""}}  # fmt: skip
        yield chunk({"tool_calls": [call]}), False
        for fragment in _fragments(arguments):
            call = {"index": 0, "function": {"arguments": fragment}}
            yield chunk({"tool_calls": [call]}), False
    yield chunk({}, _word(done, stop="stop", length="length")), False


def _cohere_chunks(done: Completion) -> Chunks:
    yield {"is_finished": False, "event_type": "stream-start", "generation_id": "fake"}, False
    for token in done.tokens:
        yield {"is_finished": False, "event_type": "text-generation", "text": token}, True
    reason = _word(done, stop="COMPLETE", length="MAX_TOKENS", tool="COMPLETE")
    response = {"text": done.text, "meta": {"billed_units": {
        "input_tokens": done.input_tokens, "output_tokens": done.output_tokens}}}  # fmt: skip
    yield (
        {"is_finished": True, "event_type": "stream-end", "finish_reason": reason,
         "response": response},
        False,
    )  # fmt: skip


def _titan_chunks(done: Completion) -> Chunks:
    for index, token in enumerate(done.tokens):
        last = index == len(done.tokens) - 1
        reason = _word(done, stop="FINISH", length="LENGTH") if last else None
        yield (
            {"outputText": token, "index": 0, "totalOutputTextTokenCount": index + 1,
             "completionReason": reason, "inputTextTokenCount": done.input_tokens},
            True,
        )  # fmt: skip


CHUNKS: dict[str, Callable[[Completion], Chunks]] = {
    "anthropic": _anthropic_chunks,
    "nova": _nova_chunks,
    "llama": _llama_chunks,
    "mistral": _mistral_chunks,
    "deepseek": _deepseek_chunks,
    "openai": _openai_chunks,
    "cohere": _cohere_chunks,
    "titan": _titan_chunks,
}

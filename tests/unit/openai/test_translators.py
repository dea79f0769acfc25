"""Bedrock events -> OpenAI chunks and AI SDK parts, on recorded Bedrock streams (no sockets)."""

import doctest
import json
from typing import Any

import pytest

import lambda_streaming.aisdk
import lambda_streaming.openai
from lambda_streaming.aisdk import PartTranslator, ui_message_stream
from lambda_streaming.bedrock import (
    BedrockStreamError,
    MessageStop,
    ToolUseStart,
    ToolUseStop,
    Usage,
    converse_events,
    invoke_events,
)
from lambda_streaming.openai import (
    DONE,
    ChunkTranslator,
    OpenAIError,
    chat_completion,
    chat_completion_chunks,
    openai_error,
    openai_usage,
)
from tests.unit.bedrock import recorded


@pytest.mark.parametrize("module", [lambda_streaming.openai, lambda_streaming.aisdk])
def test_the_package_docstring_examples_run(module: Any) -> None:
    assert doctest.testmod(module).failed == 0


def chunks(raw: list[dict[str, Any]], **options: Any) -> list[dict[str, Any]]:
    lines = events(chat_completion_chunks(converse_events({"stream": raw}), "m", **options))
    assert lines[-1] == DONE
    return [json.loads(line.removeprefix("data: ")) for line in lines[:-1]]


def events(stream: Any) -> list[str]:
    """The SSE events of a stream, whatever strings they were written in."""
    return [f"{event}\n\n" for event in "".join(stream).split("\n\n")[:-1]]


def deltas(stream: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [chunk["choices"][0]["delta"] for chunk in stream if chunk["choices"]]


def test_text_chunks_in_order_then_finish() -> None:
    stream = chunks(recorded.converse_events(recorded.CONVERSE_CLAUDE))
    assert deltas(stream) == [
        {"role": "assistant", "content": "", "refusal": None},
        *({"content": text} for text in recorded.CONVERSE_CLAUDE_TEXT),
        {},
    ]
    assert [c["choices"][0]["finish_reason"] for c in stream] == [None] * 4 + ["stop"]
    assert len({c["id"] for c in stream}) == 1
    assert all("usage" not in c for c in stream)


def test_the_fast_text_path_serialises_exactly_the_chunk_dict() -> None:
    translator = ChunkTranslator("m", include_usage=True, id="chatcmpl-1")
    for text in ["plain", 'quote " and \\ and \n and 日本語', "\u2028"]:
        (line,) = translator.feed(
            next(
                iter(
                    converse_events(
                        {
                            "stream": [
                                {
                                    "contentBlockDelta": {
                                        "delta": {"text": text},
                                        "contentBlockIndex": 0,
                                    }
                                }
                            ]
                        }
                    )
                )
            )
        )
        assert json.loads(line.removeprefix("data: ")) == translator.chunk({"content": text})
        assert line.endswith("\n\n") and "\n" not in line[:-2]


def test_reasoning_and_a_tool_call_after_text_block_one() -> None:
    stream = chunks(recorded.converse_events(recorded.CONVERSE_TOOL_AND_REASONING))
    assert deltas(stream)[1:] == [
        {"reasoning_content": "The user wants"},  # the signature is no text: no chunk
        {"content": "Let me check."},
        {
            "tool_calls": [
                {
                    "index": 0,  # the first call, although Bedrock's block 2
                    "id": "tooluse_1",
                    "type": "function",
                    "function": {"name": "weather", "arguments": ""},
                }
            ]
        },
        {"tool_calls": [{"index": 0, "function": {"arguments": '{"city"'}}]},
        {"tool_calls": [{"index": 0, "function": {"arguments": ':"Tokyo"}'}}]},
        {},
    ]
    assert stream[-1]["choices"][0]["finish_reason"] == "tool_calls"


def test_two_tool_calls_are_numbered_zero_and_one() -> None:
    raw: list[dict[str, Any]] = [{"messageStart": {"role": "assistant"}}]
    for block, tool in ((0, "a"), (1, "b")):
        start = {"toolUse": {"toolUseId": f"id-{tool}", "name": tool}}
        raw += [
            {"contentBlockStart": {"contentBlockIndex": block, "start": start}},
            {
                "contentBlockDelta": {
                    "contentBlockIndex": block,
                    "delta": {"toolUse": {"input": "{}"}},
                }
            },
            {"contentBlockStop": {"contentBlockIndex": block}},
        ]
    raw.append({"messageStop": {"stopReason": "tool_use"}})
    calls = [d["tool_calls"][0] for d in deltas(chunks(raw)) if "tool_calls" in d]
    assert [(c["index"], c.get("id")) for c in calls] == [
        (0, "id-a"),
        (0, None),
        (1, "id-b"),
        (1, None),
    ]


def test_include_usage_ends_with_a_usage_chunk() -> None:
    stream = chunks(recorded.converse_events(recorded.CONVERSE_CLAUDE), include_usage=True)
    *answer, usage = stream
    assert all(c["usage"] is None for c in answer)
    assert usage["choices"] == [] and usage["usage"] == {
        "prompt_tokens": 12,
        "completion_tokens": 9,
        "total_tokens": 21,
        "prompt_tokens_details": {"cached_tokens": 0},
    }


def test_cached_prompt_tokens_count_in_the_prompt() -> None:
    assert openai_usage(Usage(10, 5, 1024, 6)) == {
        "prompt_tokens": 1040,
        "completion_tokens": 5,
        "total_tokens": 1045,
        "prompt_tokens_details": {"cached_tokens": 1024},
    }
    assert openai_usage(Usage(None, None)) is None


@pytest.mark.parametrize(
    ("reason", "finish"),
    [
        ("end_turn", "stop"),
        ("stop_sequence", "stop"),
        ("max_tokens", "length"),
        ("model_context_window_exceeded", "length"),
        ("tool_use", "tool_calls"),
        ("guardrail_intervened", "content_filter"),
        ("content_filtered", "content_filter"),
        ("malformed_model_output", "stop"),
    ],
)
def test_finish_reasons(reason: str, finish: str) -> None:
    (line,) = ChunkTranslator("m").feed(MessageStop(reason=reason))
    assert json.loads(line[6:])["choices"][0]["finish_reason"] == finish


def test_other_families_stream_the_same_chunks() -> None:
    raw = {"body": recorded.invoke_events(recorded.INVOKE_ANTHROPIC)}
    lines = events(chat_completion_chunks(invoke_events(raw), "m"))
    texts = [json.loads(x[6:])["choices"][0]["delta"].get("content") for x in lines[:-1]]
    assert [t for t in texts if t] == recorded.INVOKE_ANTHROPIC_TEXT


def failing(after: int, error: Exception) -> Any:
    raw = recorded.converse_events(recorded.CONVERSE_CLAUDE)[: after + 1]
    yield from converse_events({"stream": raw})
    raise error


def test_a_failure_mid_stream_is_an_error_event_and_no_done() -> None:
    error = BedrockStreamError("throttlingException", "slow down")
    lines = events(chat_completion_chunks(failing(2, error), "m"))
    assert DONE not in lines
    assert json.loads(lines[-1][6:]) == {
        "error": {
            "message": "Bedrock ThrottlingException: slow down",
            "type": "rate_limit_error",
            "param": None,
            "code": "rate_limit_exceeded",
        }
    }
    with pytest.raises(BedrockStreamError):
        list(chat_completion_chunks(failing(2, error), "m", reraise=True))


def test_a_stream_cut_before_its_stop_reason_is_a_failure() -> None:
    raw = recorded.converse_events(recorded.CONVERSE_CLAUDE)[:3]
    lines = events(chat_completion_chunks(converse_events({"stream": raw}), "m"))
    assert "stop reason" in json.loads(lines[-1][6:])["error"]["message"]


class ClientError(Exception):
    """Shaped like botocore's ClientError (``response["Error"]``)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.response = {"Error": {"Code": code, "Message": "details"}}


@pytest.mark.parametrize(
    ("code", "status", "kind"),
    [
        ("ThrottlingException", 429, "rate_limit_error"),
        ("ServiceQuotaExceededException", 429, "rate_limit_error"),
        ("ValidationException", 400, "invalid_request_error"),
        ("AccessDeniedException", 403, "permission_error"),
        ("ResourceNotFoundException", 404, "invalid_request_error"),
        ("ServiceUnavailableException", 503, "server_error"),
        ("ModelNotReadyException", 503, "server_error"),
        ("ModelTimeoutException", 504, "server_error"),
        ("InternalServerException", 500, "server_error"),
        ("SomethingNew", 500, "server_error"),
    ],
)
def test_bedrock_errors_get_openais_status(code: str, status: int, kind: str) -> None:
    error = openai_error(ClientError(code))
    assert (error.status, error.type) == (status, kind)
    assert error.message == f"Bedrock {code}: details"
    assert ("retry-after" in error.headers()) == (status in (429, 503))


def test_our_own_bugs_are_500s_naming_the_exception() -> None:
    error = openai_error(KeyError("x"))
    assert (error.status, error.message) == (500, "KeyError: 'x'")
    same = OpenAIError(401, "no")
    assert openai_error(same) is same


def test_a_converse_response_with_reasoning_and_tools_is_one_completion() -> None:
    response = {
        "output": {
            "message": {
                "role": "assistant",
                "content": [
                    {"reasoningContent": {"reasoningText": {"text": "Hmm", "signature": "s"}}},
                    {"text": "Checking."},
                    {"toolUse": {"toolUseId": "t1", "name": "w", "input": {"city": "東京"}}},
                ],
            }
        },
        "stopReason": "tool_use",
        "usage": {"inputTokens": 3, "outputTokens": 4, "totalTokens": 7},
    }
    completion = chat_completion(response, "m")
    (choice,) = completion["choices"]
    assert choice["finish_reason"] == "tool_calls"
    assert choice["message"] == {
        "role": "assistant",
        "content": "Checking.",
        "refusal": None,
        "reasoning_content": "Hmm",
        "tool_calls": [
            {
                "id": "t1",
                "type": "function",
                "function": {"name": "w", "arguments": '{"city": "東京"}'},
            }
        ],
    }
    assert completion["usage"]["total_tokens"] == 7


def parts(raw: list[dict[str, Any]]) -> list[dict[str, Any]]:
    lines = list(ui_message_stream(converse_events({"stream": raw}), message_id="m1"))
    assert lines[-1] == "data: [DONE]\n\n"
    return [json.loads(line.removeprefix("data: ")) for line in lines[:-1]]


def test_ai_sdk_parts_for_reasoning_text_and_a_tool_call() -> None:
    stream = parts(recorded.converse_events(recorded.CONVERSE_TOOL_AND_REASONING))
    assert stream == [
        {"type": "start", "messageId": "m1"},
        {"type": "start-step"},
        {"type": "reasoning-start", "id": "reasoning-0"},
        {"type": "reasoning-delta", "id": "reasoning-0", "delta": "The user wants"},
        {
            "type": "reasoning-delta",
            "id": "reasoning-0",
            "delta": "",
            "providerMetadata": {"bedrock": {"signature": "c2ln"}},
        },
        {"type": "reasoning-end", "id": "reasoning-0"},
        {"type": "text-start", "id": "text-1"},
        {"type": "text-delta", "id": "text-1", "delta": "Let me check."},
        {"type": "text-end", "id": "text-1"},
        {"type": "tool-input-start", "toolCallId": "tooluse_1", "toolName": "weather"},
        {"type": "tool-input-delta", "toolCallId": "tooluse_1", "inputTextDelta": '{"city"'},
        {"type": "tool-input-delta", "toolCallId": "tooluse_1", "inputTextDelta": ':"Tokyo"}'},
        {
            "type": "tool-input-available",
            "toolCallId": "tooluse_1",
            "toolName": "weather",
            "input": {"city": "Tokyo"},
        },
        {"type": "finish-step"},
        {
            "type": "finish",
            "finishReason": "tool-calls",
            "messageMetadata": {
                "stopReason": "tool_use",
                "usage": {"inputTokens": 40, "outputTokens": 31, "totalTokens": 71},
            },
        },
    ]


def test_ai_sdk_invalid_tool_json_is_a_tool_input_error() -> None:
    translator = PartTranslator("m")
    translator.feed(ToolUseStart(tool_use_id="t", name="w", index=0))
    (part,) = translator.feed(
        ToolUseStop(tool_use_id="t", name="w", input=None, input_json='{"cit', index=0)
    )
    assert part["type"] == "tool-input-error" and part["input"] == '{"cit'


def test_ai_sdk_failure_is_an_error_part_without_finish() -> None:
    error = BedrockStreamError("modelStreamErrorException", "boom")
    lines = list(ui_message_stream(failing(2, error)))
    last = json.loads(lines[-1][6:])
    assert last == {"type": "error", "errorText": "Bedrock modelStreamErrorException: boom"}
    assert not any('"finish"' in line for line in lines)


def test_ai_sdk_blocks_left_open_are_closed_at_the_end() -> None:
    raw = recorded.converse_events(recorded.CONVERSE_CLAUDE)
    raw = [e for e in raw if "contentBlockStop" not in e]
    types = [p["type"] for p in parts(raw)]
    assert types[-3:] == ["text-end", "finish-step", "finish"]


def test_the_role_chunk_leaves_in_one_write_with_the_first_token() -> None:
    raw = recorded.converse_events(recorded.CONVERSE_CLAUDE)
    writes = list(chat_completion_chunks(converse_events({"stream": raw}), "m"))
    first = writes[0].split("\n\n")
    assert '"role":"assistant"' in first[0] and '"content":"こんにちは"' in first[1]
    assert all(w.count("\n\n") == 1 for w in writes[1:])  # one event per write after it

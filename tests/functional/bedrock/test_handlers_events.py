"""The demo handlers with what typed events carry: conversations, reasoning, tool-use and
guardrail stops, keep-alives; through the emulator's Function URL against the fake Bedrock."""

import json
from collections.abc import Callable

import pytest

from emulator.bedrock import FakeBedrock
from emulator.bedrock.answers import REASONING
from emulator.server import Emulator

from .e2e import UrlResponse, parse_sse, post, prompt

Function = Callable[..., Emulator]
ANSWER = "Hello! I am the local fake Bedrock. How can I help you today?"
CONVERSATION = {
    "system": "Answer in one sentence.",
    "messages": [
        {"role": "user", "content": "What is Lambda?"},
        {"role": "assistant", "content": "A serverless compute service."},
        {"role": "user", "content": "Hello again"},
    ],
}


def test_a_conversation_reaches_converse_as_messages_and_system(
    function: Function, shared_bedrock: FakeBedrock
) -> None:
    status, _, body, complete = post(function("stream_sse"), json.dumps(CONVERSATION))
    assert (status, complete) == (200, True)
    sent = shared_bedrock.requests[-1]
    assert sent["operation"] == "ConverseStream"
    assert sent["body"]["messages"] == [
        {"role": "user", "content": [{"text": "What is Lambda?"}]},
        {"role": "assistant", "content": [{"text": "A serverless compute service."}]},
        {"role": "user", "content": [{"text": "Hello again"}]},
    ]
    assert sent["body"]["system"] == [{"text": "Answer in one sentence."}]
    text = "".join(data for kind, data in parse_sse(body.decode()) if kind == "message")
    assert text == ANSWER  # the fake answers the last user turn


@pytest.mark.parametrize("handler", ["stream_text", "buffered"])
def test_a_conversation_reaches_invoke_model_in_the_anthropic_body(
    function: Function, shared_bedrock: FakeBedrock, handler: str
) -> None:
    status, _, _, _ = post(function(handler), json.dumps(CONVERSATION))
    assert status == 200
    sent = shared_bedrock.requests[-1]
    assert sent["operation"].startswith("InvokeModel")
    assert [m["role"] for m in sent["body"]["messages"]] == ["user", "assistant", "user"]
    assert sent["body"]["messages"][1]["content"] == [
        {"type": "text", "text": "A serverless compute service."}
    ]
    assert sent["body"]["system"] == "Answer in one sentence."


@pytest.mark.parametrize(
    ("request_body", "message"),
    [
        ({"messages": []}, '"messages" must be a non-empty array'),
        ({"messages": "hi"}, '"messages" must be a non-empty array'),
        ({"messages": [{"role": "system", "content": "x"}]}, '"messages[0]".role must be'),
        ({"messages": [{"role": "user", "content": ""}]}, '"messages[0]".content must be'),
        ({"messages": [{"role": "assistant", "content": "x"}]}, 'starting with "user"'),
        (
            {"messages": [{"role": "user", "content": "a"}, {"role": "user", "content": "b"}]},
            "alternate user and assistant",
        ),
        (
            {"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]},
            "the last message must be the user's",
        ),
        ({"prompt": "a", "messages": [{"role": "user", "content": "b"}]}, "not both"),
        ({"prompt": "a", "system": 3}, '"system" must be a non-empty string'),
        ({"messages": [{"role": "user", "content": "x" * 101}]}, "at most 100"),
    ],
)
@pytest.mark.parametrize("handler", ["stream_sse", "aggregated"])
def test_bad_conversations_get_400_saying_what_to_fix(
    function: Function,
    shared_bedrock: FakeBedrock,
    handler: str,
    request_body: object,
    message: str,
) -> None:
    before = shared_bedrock.requests_seen
    status, headers, raw, _ = post(
        function(handler, MAX_PROMPT_CHARS="100"), json.dumps(request_body)
    )
    assert status == 400
    assert headers["content-type"] == "application/json"
    error = json.loads(raw)
    assert error["error"] == "BadRequest"
    assert message in error["message"]
    assert shared_bedrock.requests_seen == before  # Bedrock was never asked


@pytest.mark.parametrize("handler", ["stream_text", "aggregated", "stream_sse"])
def test_reasoning_never_appears_in_the_text_output(function: Function, handler: str) -> None:
    status, _, body, complete = post(function(handler), prompt("hi [[bedrock:reasoning]]"))
    assert (status, complete) == (200, True)
    text = body.decode()
    if handler == "stream_sse":
        events = parse_sse(text)
        assert "".join(d for k, d in events if k == "message") == ANSWER
        assert "".join(d for k, d in events if k == "reasoning").strip() == REASONING
        kinds = [k for k, _ in events]
        assert kinds.index("reasoning") < kinds.index("message")  # reasoning first, as sent
    elif handler == "aggregated":
        assert json.loads(text) == {"content": ANSWER}
    else:
        assert text == ANSWER
    assert (
        "The user asks" not in "".join(d for k, d in parse_sse(text) if k == "message")
        if handler == "stream_sse"
        else "The user asks" not in text
    )


def test_a_tool_use_stop_reaches_the_sse_client_as_such(function: Function) -> None:
    status, _, body, complete = post(function("stream_sse"), prompt("hi [[bedrock:tool-use]]"))
    assert (status, complete) == (200, True)
    events = parse_sse(body.decode())
    tool = [json.loads(data) for kind, data in events if kind == "tool_use"]
    assert tool == [
        {"toolUseId": "tooluse_fake0001", "name": "get_weather", "input": {"city": "Tokyo"}}
    ]
    kind, data = events[-1]
    done = json.loads(data)
    assert kind == "done" and done["stopReason"] == "tool_use"
    assert done["toolUses"][0]["name"] == "get_weather"


def test_a_guardrail_stop_reaches_the_sse_client_as_such(function: Function) -> None:
    status, _, body, _ = post(function("stream_sse"), prompt("hi [[bedrock:guardrail]]"))
    assert status == 200
    events = parse_sse(body.decode())
    assert "".join(d for k, d in events if k == "message") == (
        "Sorry, the model cannot answer this question."
    )
    done = json.loads(events[-1][1])
    assert done["stopReason"] == "guardrail_intervened"
    assert done["guardrail"] == {"action": "INTERVENED"}


def test_keep_alive_comments_arrive_during_a_silence(function: Function) -> None:
    emulator = function("stream_sse", SSE_KEEP_ALIVE_SECONDS="0.1")
    body = json.dumps({"prompt": "hi [[bedrock:silence=0.6]]"})
    response = UrlResponse(emulator, body, {"content-type": "application/json"})
    try:
        first = response.read_until("data: Hello!")
        assert ": keep-alive" not in first  # nothing to fill yet
        during = response.read_until(": keep-alive\n\n: keep-alive\n\n")
        assert "data:" not in during.split(": keep-alive")[0]  # the silence, filled
        rest, complete = response.read_rest()
    finally:
        response.close()
    events = parse_sse(first + during + rest.decode())
    assert complete
    assert "".join(d for k, d in events if k == "message") == ANSWER
    assert events[-1][0] == "done"


def test_the_plain_text_handler_sends_no_keep_alives(function: Function) -> None:
    status, _, body, _ = post(function("stream_text"), prompt("hi [[bedrock:silence=0.3]]"))
    assert status == 200
    assert body.decode() == ANSWER

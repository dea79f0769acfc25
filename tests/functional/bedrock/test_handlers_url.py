"""The five demo handlers behind the emulator's Function URL, against the fake Bedrock."""

import http.client
import json
import urllib.parse
from collections.abc import Callable
from pathlib import Path

import pytest

from emulator.bedrock import FakeBedrock
from emulator.server import Emulator
from lambda_streaming.bedrock import DEFAULT_DEADLINE_NOTE

from .e2e import HANDLERS, JA_ANSWER, STREAMING, UrlResponse, parse_sse, post, prompt

Function = Callable[..., Emulator]


def test_buffered_returns_bedrocks_json_like_the_article(
    function: Function, shared_bedrock: FakeBedrock
) -> None:
    status, headers, body, complete = post(function("buffered"), prompt("こんにちは"))
    assert (status, complete) == (200, True)
    assert headers["content-type"].startswith("application/json")
    answer = json.loads(body)
    assert answer["role"] == "assistant" and answer["type"] == "message"
    assert answer["content"] == [{"type": "text", "text": JA_ANSWER}]
    assert answer["stop_reason"] == "end_turn" and answer["stop_sequence"] is None
    assert set(answer["usage"]) == {"input_tokens", "output_tokens"}
    sent = shared_bedrock.requests[-1]
    assert sent["operation"] == "InvokeModel"
    defaults = json.loads(Path("lambda_src/demo_settings.json").read_text())
    assert sent["modelId"] == defaults["model_id"]
    assert sent["body"]["max_tokens"] == defaults["max_tokens"]
    assert sent["body"]["anthropic_version"] == "bedrock-2023-05-31"


def test_aggregated_returns_only_the_text_as_content(function: Function) -> None:
    status, _, body, _ = post(function("aggregated"), prompt("こんにちは"))
    assert status == 200
    assert json.loads(body) == {"content": JA_ANSWER}


@pytest.mark.parametrize("handler", ["stream_text", "stream_langchain"])
def test_streamed_text_is_the_answer_as_plain_text(function: Function, handler: str) -> None:
    status, headers, body, complete = post(function(handler), prompt("こんにちは"))
    assert (status, complete) == (200, True)
    assert headers["content-type"] == "text/plain; charset=utf-8"
    assert body.decode() == JA_ANSWER


def test_sse_stream_is_one_event_per_token_then_done(function: Function) -> None:
    status, headers, body, complete = post(function("stream_sse"), prompt("こんにちは"))
    assert (status, complete) == (200, True)
    assert headers["content-type"].startswith("text/event-stream")
    assert headers["cache-control"] == "no-cache"
    events = parse_sse(body.decode())
    assert all(kind == "message" for kind, _ in events[:-1])
    assert "".join(data for _, data in events[:-1]) == JA_ANSWER
    assert len(events) > 10  # token by token, not one blob
    kind, data = events[-1]
    assert kind == "done"
    done = json.loads(data)
    assert done["stopReason"] == "end_turn" and done["usage"]["outputTokens"] == len(events) - 1


def test_sse_keeps_multi_line_answers_intact(function: Function) -> None:
    status, _, body, _ = post(function("stream_sse"), prompt("Explain Lambda streaming"))
    assert status == 200
    text = "".join(data for kind, data in parse_sse(body.decode()) if kind == "message")
    assert "Bedrock.\n\nThe same question" in text


@pytest.mark.parametrize("handler", STREAMING)
def test_tokens_reach_the_client_while_bedrock_is_still_generating(
    function: Function, shared_bedrock: FakeBedrock, handler: str
) -> None:
    shared_bedrock.hold()
    response = UrlResponse(
        function(handler),
        prompt("こんにちは [[bedrock:hold-after=3]]"),
        {"content-type": "application/json"},
        timeout=10,  # a handler that buffered would block here until the fake gave up
    )
    try:
        # The fake has sent three tokens and now waits: they must already be at the client.
        early = response.read_until("は!")
        assert "ロー" not in early
        assert not shared_bedrock._server.release_event.is_set()
        shared_bedrock.release()
        rest, complete = response.read_rest()
    finally:
        shared_bedrock.release()
        response.close()
    assert complete
    assert "ロー" in (early + rest.decode())


BAD_REQUESTS = [
    pytest.param(b"{not json", "not valid JSON", id="bad-json"),
    pytest.param(b"", "body is empty", id="empty-body"),
    pytest.param(b'{"question": "hi"}', '"prompt" is missing', id="missing-prompt"),
    pytest.param(b'{"prompt": 42}', '"prompt" must be a string, not a number', id="number-prompt"),
    pytest.param(b'["hi"]', "must be a JSON object", id="array"),
    pytest.param(json.dumps({"prompt": "x" * 101}).encode(), "at most 100", id="oversized"),
]


@pytest.mark.parametrize(("body", "message"), BAD_REQUESTS)
@pytest.mark.parametrize("handler", HANDLERS)
def test_bad_requests_get_400_with_a_json_error_saying_what_is_wrong(
    function: Function, shared_bedrock: FakeBedrock, handler: str, body: bytes, message: str
) -> None:
    before = shared_bedrock.requests_seen
    status, headers, raw, complete = post(function(handler, MAX_PROMPT_CHARS="100"), body)
    assert (status, complete) == (400, True)
    assert headers["content-type"] == "application/json"
    error = json.loads(raw)
    assert error["error"] == "BadRequest"
    assert message in error["message"]
    assert shared_bedrock.requests_seen == before  # Bedrock was never called


@pytest.mark.parametrize(
    ("fault", "status", "code"),
    [
        ("throttle", 429, "ThrottlingException"),
        ("invalid", 400, "ValidationException"),
        ("unavailable", 503, "ServiceUnavailableException"),
        ("denied", 502, "AccessDeniedException"),
    ],
)
@pytest.mark.parametrize("handler", HANDLERS)
def test_bedrock_refusing_before_the_first_byte_gives_a_clear_status(
    function: Function, handler: str, fault: str, status: int, code: str
) -> None:
    got, headers, raw, complete = post(function(handler), prompt(f"hi [[bedrock:{fault}]]"))
    assert (got, complete) == (status, True)
    error = json.loads(raw)
    assert error["error"] == code
    assert error["message"].startswith(f"Bedrock {code}: ")
    if status in (429, 503):
        assert headers["retry-after"] == "1"


def test_plain_text_mid_stream_failure_notes_it_and_cuts_the_stream(function: Function) -> None:
    status, _, body, complete = post(
        function("stream_text"), prompt("こんにちは [[bedrock:fail-after=3:throttlingException]]")
    )
    assert status == 200  # already sent when Bedrock failed
    assert not complete  # no terminating chunk: the client can tell the body is incomplete
    text = body.decode()
    assert text.startswith("こんにちは!")
    assert "[error: Bedrock throttlingException:" in text


def test_sse_mid_stream_failure_is_an_error_event(function: Function) -> None:
    status, _, body, complete = post(
        function("stream_sse"), prompt("こんにちは [[bedrock:fail-after=2]]")
    )
    # The error is in the stream, and the response then ends cleanly (the terminating chunk):
    # a cut connection would let a browser drop the unread error event.
    assert status == 200 and complete
    events = parse_sse(body.decode())
    assert events[:2] == [("message", "こん"), ("message", "にち")]
    kind, data = events[-1]
    assert kind == "error"
    assert json.loads(data)["errorType"] == "Function.ModelStreamErrorException"
    assert all(kind != "done" for kind, _ in events)


def test_langchain_mid_stream_failure_cuts_the_stream(function: Function) -> None:
    status, _, body, complete = post(
        function("stream_langchain"), prompt("こんにちは [[bedrock:fail-after=3]]")
    )
    assert status == 200 and not complete
    assert body.decode() == "こんにちは!"


@pytest.mark.parametrize(
    ("handler", "status", "code"),
    [
        ("aggregated", 429, "ThrottlingException"),  # Bedrock failed mid-stream, we had not
        ("buffered", 502, "ModelErrorException"),  # answered yet: a proper error status
    ],
)
def test_buffered_handlers_turn_bedrock_failures_into_statuses(
    function: Function, handler: str, status: int, code: str
) -> None:
    got, _, raw, _ = post(
        function(handler), prompt("hi [[bedrock:fail-after=2:throttlingException]]")
    )
    assert got == status
    assert json.loads(raw)["error"] == code


def test_plain_text_ends_cleanly_with_a_note_before_the_timeout(function: Function) -> None:
    # 23 tokens at 0.25 s outlast a 3 s timeout; the guard stops ~1 s before it.
    emulator = function("stream_text", timeout=3.0)
    status, _, body, complete = post(emulator, prompt("こんにちは [[bedrock:delay=0.25]]"))
    assert (status, complete) == (200, True)
    text = body.decode()
    assert text.startswith("こん") and text.endswith(DEFAULT_DEADLINE_NOTE)
    assert len(text) < len(JA_ANSWER) + len(DEFAULT_DEADLINE_NOTE)


def test_sse_ends_with_a_deadline_done_event_before_the_timeout(function: Function) -> None:
    emulator = function("stream_sse", timeout=3.0)
    status, _, body, complete = post(emulator, prompt("こんにちは [[bedrock:delay=0.25]]"))
    assert (status, complete) == (200, True)
    kind, data = parse_sse(body.decode())[-1]
    assert kind == "done"
    assert json.loads(data)["stopReason"] == "deadline"


def test_sse_answers_a_browser_eventsource_get_with_the_prompt_in_the_query(
    function: Function,
) -> None:
    emulator = function("stream_sse")
    connection = http.client.HTTPConnection("127.0.0.1", emulator.port, timeout=30)
    try:
        query = urllib.parse.urlencode({"prompt": "こんにちは"})
        connection.request("GET", f"/?{query}", headers={"Accept": "text/event-stream"})
        response = connection.getresponse()
        events = parse_sse(response.read().decode())
    finally:
        connection.close()
    assert response.status == 200
    assert "".join(data for kind, data in events if kind == "message") == JA_ANSWER
    assert events[-1][0] == "done"


def test_a_get_without_prompt_is_a_400(function: Function) -> None:
    emulator = function("stream_sse")
    connection = http.client.HTTPConnection("127.0.0.1", emulator.port, timeout=30)
    try:
        connection.request("GET", "/")
        response = connection.getresponse()
        error = json.loads(response.read())
    finally:
        connection.close()
    assert response.status == 400
    assert "?prompt=" in error["message"]


@pytest.mark.parametrize(
    ("model_id", "native_key"),
    [("us.amazon.nova-lite-v1:0", "messages"), ("meta.llama3-8b-instruct-v1:0", "prompt")],
)
def test_other_model_families_stream_only_their_text(
    function: Function, shared_bedrock: FakeBedrock, model_id: str, native_key: str
) -> None:
    status, _, body, complete = post(
        function("stream_text", MODEL_ID=model_id), prompt("こんにちは")
    )
    assert (status, complete) == (200, True)
    assert body.decode() == JA_ANSWER  # no chunk JSON, whatever the family's shapes
    sent = shared_bedrock.requests[-1]
    assert sent["modelId"] == model_id
    assert native_key in sent["body"]

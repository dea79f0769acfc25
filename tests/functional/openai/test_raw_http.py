"""What crossed the wire without an SDK in between: headers, the request errors an SDK would
hide, and a direct InvokeWithResponseStream of the same function (unmodified boto3)."""

import http.client
import json
from typing import Any
from urllib.parse import urlsplit

from tests.functional.aws_clients import lambda_client
from tests.functional.bedrock.e2e import parse_sse, stream_events

from .conftest import Start

CHAT = {"model": "claude-haiku-4.5", "messages": [{"role": "user", "content": "Hello"}]}


def post(function: Start, path: str, body: bytes | str) -> tuple[int, dict[str, str], bytes]:
    parts = urlsplit(function().function_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.request("POST", path, body=body, headers={"content-type": "application/json"})
        answer = connection.getresponse()
        return answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read()
    finally:
        connection.close()


def test_the_stream_headers(function: Start) -> None:
    status, headers, body = post(
        function, "/v1/chat/completions", json.dumps({**CHAT, "stream": True})
    )
    assert status == 200
    assert headers["content-type"] == "text/event-stream; charset=utf-8"
    assert headers["cache-control"] == "no-cache"
    assert body.endswith(b"data: [DONE]\n\n")
    status, headers, _ = post(function, "/api/chat", json.dumps({"messages": []}))
    assert status == 400  # and the AI SDK's headers only on a stream:
    parts = [{"type": "text", "text": "Hi"}]
    status, headers, body = post(
        function,
        "/api/chat",
        json.dumps({"messages": [{"id": "1", "role": "user", "parts": parts}]}),
    )
    assert headers["x-vercel-ai-ui-message-stream"] == "v1"
    assert headers["content-type"].startswith("text/event-stream")
    assert [kind for kind, _ in parse_sse(body.decode())][-1] == "message"
    assert body.endswith(b"data: [DONE]\n\n")


def error_of(body: bytes) -> dict[str, Any]:
    document = json.loads(body)
    assert set(document) == {"error"}
    assert set(document["error"]) == {"message", "type", "param", "code"}
    error: dict[str, Any] = document["error"]
    return error


def test_a_body_that_is_not_json_is_an_openai_400(function: Start) -> None:
    status, headers, body = post(function, "/v1/chat/completions", b"{not json")
    assert status == 400 and headers["content-type"] == "application/json"
    assert "not valid JSON" in error_of(body)["message"]


def test_an_unknown_route_is_a_404_listing_the_routes(function: Start) -> None:
    status, _, body = post(function, "/v1/completions", json.dumps(CHAT))
    assert status == 404
    error = error_of(body)
    assert error["code"] == "unknown_url" and "/v1/chat/completions" in error["message"]


def test_an_unknown_api_chat_field_is_a_400_naming_it(function: Start) -> None:
    status, _, body = post(function, "/api/chat", json.dumps({"messages": [], "temperature": 1}))
    assert status == 400 and error_of(body)["param"] == "temperature"


def test_a_direct_invoke_streams_chunks_and_names_a_failure(function: Start) -> None:
    client = lambda_client(function())
    try:
        events = list(stream_events(client, {**CHAT, "stream": True}))
        text = b"".join(e["PayloadChunk"]["Payload"] for e in events if "PayloadChunk" in e)
        assert text.startswith(b"data: {") and text.endswith(b"data: [DONE]\n\n")  # no prelude
        (complete,) = [e["InvokeComplete"] for e in events if "InvokeComplete" in e]
        assert not complete.get("ErrorCode")
        throttled = {**CHAT, "messages": [{"role": "user", "content": "Hi [[bedrock:throttle]]"}]}
        events = list(stream_events(client, throttled))
        (complete,) = [e["InvokeComplete"] for e in events if "InvokeComplete" in e]
        assert complete["ErrorCode"] == "Function.OpenAI429"
    finally:
        client.close()

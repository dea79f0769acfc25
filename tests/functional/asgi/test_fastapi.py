"""FastAPI under asgi_handler on the real runtime, behind the emulator's Function URL and Invoke
API: what the client received, and when."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from emulator.server import Emulator
from tests.functional.asgi.served import Exchange, fetch
from tests.functional.aws_clients import lambda_client
from tests.functional.bedrock.e2e import parse_sse

Function = Callable[..., Emulator]
NUL8 = b"\x00" * 8
BINARY = bytes(range(256)) * 64  # what apps/fastapi_app.py serves as /file


@pytest.fixture
def streaming(function: Function) -> Emulator:
    return function("fastapi_app.handler")


@pytest.fixture
def buffered(function: Function) -> Emulator:
    return function("fastapi_app.buffered_handler", "BUFFERED")


def test_streaming_response_chunks_arrive_while_the_generator_still_runs(
    streaming: Emulator, tmp_path: Path
) -> None:
    gate = tmp_path / "gate"
    exchange = Exchange(streaming, "GET", f"/stream?release={gate}")
    try:
        assert exchange.status == 200
        assert exchange.headers["content-type"] == "text/plain; charset=utf-8"
        # The generator cannot go past its first chunk until the gate opens.
        assert exchange.read_until(b"first\n") == b"first\n"
        assert not gate.exists()
        gate.touch()
        rest, complete = exchange.read_rest()
    finally:
        exchange.close()
    assert complete
    # http.disconnect only comes once the response is complete: the app sees a connected client.
    assert rest == b"".join(f"chunk {i} connected=True\n".encode() for i in range(3))


def test_chunks_arrive_when_they_are_sent_not_at_the_end(streaming: Emulator) -> None:
    exchange = Exchange(streaming, "GET", "/ticks?count=5&interval=0.1")
    try:
        pieces = list(exchange.pieces())
    finally:
        exchange.close()
    assert b"".join(piece for _, piece in pieces) == b"".join(
        f"tick {i}\n".encode() for i in range(5)
    )
    # Sent 0.1 s apart: a buffered answer would arrive as one piece at the end.
    assert len(pieces) >= 4
    assert pieces[-1][0] - pieces[0][0] >= 0.3


def test_sse_events_arrive_one_by_one(streaming: Emulator, tmp_path: Path) -> None:
    gate = tmp_path / "gate"
    exchange = Exchange(streaming, "GET", f"/sse?release={gate}")
    try:
        assert exchange.headers["content-type"].startswith("text/event-stream")
        first = exchange.read_until(b"\r\n\r\n")
        assert parse_sse(first.decode()) == [("token", "Hello")]
        gate.touch()
        rest, complete = exchange.read_rest()
    finally:
        exchange.close()
    assert complete
    assert parse_sse(rest.decode()) == [("token", " world"), ("done", "{}")]


def test_path_and_query_parameters_cookies_and_lifespan_state(streaming: Emulator) -> None:
    status, headers, body, complete = fetch(
        streaming, "GET", "/items/7?q=hello%20world&tag=a&tag=b", Cookie="a=1; b=2"
    )
    assert (status, complete) == (200, True)
    assert headers["content-type"] == "application/json"
    item = json.loads(body)
    assert item["item_id"] == 7
    assert item["q"] == "hello world"
    assert item["tags"] == ["a", "b"]
    assert item["cookies"] == {"a": "1", "b": "2"}
    assert item["root_path"] == ""
    assert item["url"].endswith("/items/7?q=hello%20world&tag=a&tag=b")
    assert item["client"] == "127.0.0.1"
    assert item["greeting"] == "from lifespan"
    assert item["request_id"] == headers["x-amzn-requestid"]
    assert {"rawPath", "requestContext", "headers"} <= set(item["event_keys"])


def test_json_body_status_headers_and_two_cookies(streaming: Emulator) -> None:
    status, headers, body, _ = fetch(
        streaming,
        "POST",
        "/orders",
        json.dumps({"item": "tea", "quantity": 4}).encode(),
        **{"Content-Type": "application/json"},
    )
    assert status == 201
    assert json.loads(body) == {"item": "tea", "quantity": 4, "total": 12}
    assert headers["x-order"] == "tea"
    assert headers.get_all("set-cookie") == [
        "session=abc; HttpOnly; Path=/; SameSite=lax",
        "theme=dark; Path=/; SameSite=lax",
    ]
    # The app's Content-Length describes a connection that does not exist: chunked instead.
    assert "content-length" not in headers


def test_binary_request_body_arrives_intact(streaming: Emulator) -> None:
    _, _, body, _ = fetch(
        streaming, "POST", "/upload", BINARY, **{"Content-Type": "application/octet-stream"}
    )
    assert json.loads(body) == {"size": len(BINARY), "sha256": hashlib.sha256(BINARY).hexdigest()}


@pytest.mark.parametrize("mode", ["streaming", "buffered"])
def test_file_response_bytes_are_exact(mode: str, request: pytest.FixtureRequest) -> None:
    emulator = request.getfixturevalue(mode)
    status, headers, body, complete = fetch(emulator, "GET", "/file")
    assert (status, complete) == (200, True)
    assert headers["content-type"] == "application/octet-stream"
    assert body == BINARY


def test_an_exception_before_the_response_starts_is_a_500_without_the_traceback(
    streaming: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="emulator")
    status, headers, body, complete = fetch(streaming, "GET", "/fail-before-start")
    assert (status, complete) == (500, True)
    assert headers["content-type"] == "text/plain; charset=utf-8"
    assert body == b"Internal Server Error"
    request_id = headers["x-amzn-requestid"]
    # The function's log lines reach the emulator's log on their own thread: wait for it.
    deadline = time.monotonic() + 10
    while "Exception in ASGI application" not in caplog.text and time.monotonic() < deadline:
        time.sleep(0.02)
    (line,) = [r.getMessage() for r in caplog.records if "Exception in ASGI" in r.getMessage()]
    assert f"\t{request_id}\t" in line
    assert "ValueError: secret detail that must not reach the client" in line


def test_an_exception_mid_stream_ends_the_stream_with_error_trailers(streaming: Emulator) -> None:
    status, _, body, complete = fetch(streaming, "GET", "/fail-mid-stream")
    assert (status, body, complete) == (200, b"partial ", False)
    client = lambda_client(streaming)
    try:
        response = client.invoke_with_response_stream(
            FunctionName="function", Payload=json.dumps(_v2_event("/fail-mid-stream"))
        )
        events = list(response["EventStream"])
    finally:
        client.close()
    payload = b"".join(e["PayloadChunk"]["Payload"] for e in events if "PayloadChunk" in e)
    assert payload.split(NUL8, 1)[1] == b"partial "
    complete_event = events[-1]["InvokeComplete"]
    assert complete_event["ErrorCode"] == "Function.RuntimeError"
    assert json.loads(complete_event["ErrorDetails"])["errorMessage"] == "the source broke"


def test_buffered_function_url_gets_the_whole_answer(buffered: Emulator) -> None:
    status, headers, body, _ = fetch(buffered, "GET", "/teapot")
    assert (status, json.loads(body)) == (418, {"short": "stout"})
    assert headers["x-teapot"] == "yes"
    assert headers["content-length"] == str(len(body))
    status, headers, body, _ = fetch(
        buffered,
        "POST",
        "/orders",
        b'{"item": "tea", "quantity": 1}',
        **{"Content-Type": "application/json"},
    )
    assert status == 201
    assert headers.get_all("set-cookie") == [
        "session=abc; HttpOnly; Path=/; SameSite=lax",
        "theme=dark; Path=/; SameSite=lax",
    ]


def test_rest_api_event_streams_with_multi_value_headers_and_the_stage_as_root_path(
    streaming: Emulator,
) -> None:
    event = {
        "resource": "/{proxy+}",
        "path": "/items/3",
        "httpMethod": "GET",
        "headers": {"Host": "abc.execute-api.us-east-1.amazonaws.com"},
        "multiValueHeaders": {
            "Host": ["abc.execute-api.us-east-1.amazonaws.com"],
            "Cookie": ["a=1"],
            "X-Forwarded-Proto": ["https"],
        },
        "queryStringParameters": {"tag": "y"},
        "multiValueQueryStringParameters": {"tag": ["x", "y"], "q": ["a b"]},
        "requestContext": {
            "path": "/prod/items/3",
            "stage": "prod",
            "identity": {"sourceIp": "203.0.113.9"},
        },
        "body": None,
        "isBase64Encoded": False,
    }
    prelude, body, complete = _invoke_stream(streaming, event)
    assert complete == {}
    assert prelude["statusCode"] == 200
    item = json.loads(body)
    assert (
        item["url"]
        == "https://abc.execute-api.us-east-1.amazonaws.com/prod/items/3?tag=x&tag=y&q=a%20b"
    )
    assert item["root_path"] == "/prod"
    assert (item["tags"], item["q"], item["client"]) == (["x", "y"], "a b", "203.0.113.9")
    prelude, _, _ = _invoke_stream(
        streaming,
        {
            **event,
            "path": "/orders",
            "httpMethod": "POST",
            "requestContext": {**event["requestContext"], "path": "/prod/orders"},
            "multiValueHeaders": {"Content-Type": ["application/json"]},
            "body": base64.b64encode(b'{"item": "x", "quantity": 2}').decode(),
            "isBase64Encoded": True,
        },
    )
    assert prelude["statusCode"] == 201
    assert len(prelude["multiValueHeaders"]["set-cookie"]) == 2


def test_alb_and_http_api_1_0_events_are_answered_buffered(streaming: Emulator) -> None:
    alb = {
        "requestContext": {"elb": {"targetGroupArn": "arn:aws:elasticloadbalancing:..."}},
        "httpMethod": "GET",
        "path": "/teapot",
        "multiValueHeaders": {"host": ["lb.example.com"], "x-forwarded-for": ["198.51.100.7"]},
        "multiValueQueryStringParameters": {},
        "body": "",
        "isBase64Encoded": False,
    }
    answer = _invoke(streaming, alb)
    assert answer["statusCode"] == 418
    assert answer["statusDescription"] == "418 I'm a Teapot"
    assert answer["multiValueHeaders"]["x-teapot"] == ["yes"]
    assert json.loads(answer["body"]) == {"short": "stout"}
    http_api_1 = {
        "version": "1.0",
        "httpMethod": "GET",
        "path": "/file",
        "headers": {"host": "api.example.com"},
        "requestContext": {"path": "/file", "stage": "$default"},
        "isBase64Encoded": False,
    }
    answer = _invoke(streaming, http_api_1)
    assert answer["isBase64Encoded"] is True
    assert base64.b64decode(answer["body"]) == BINARY


def test_an_event_that_is_not_http_fails_with_what_to_send(streaming: Emulator) -> None:
    client = lambda_client(streaming)
    try:
        response = client.invoke(FunctionName="function", Payload=b'{"prompt": "hi"}')
    finally:
        client.close()
    assert response["FunctionError"] == "Unhandled"
    error = json.loads(response["Payload"].read())
    assert error["errorType"] == "UnsupportedEventError"
    assert "its keys: prompt" in error["errorMessage"]
    assert "Function URL" in error["errorMessage"]


def _v2_event(path: str) -> dict[str, Any]:
    return {
        "version": "2.0",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {"host": "fn.lambda-url.us-east-1.on.aws"},
        "requestContext": {"http": {"method": "GET", "path": path, "sourceIp": "192.0.2.1"}},
        "isBase64Encoded": False,
    }


def _invoke_stream(
    emulator: Emulator, event: dict[str, Any]
) -> tuple[dict[str, Any], bytes, dict[str, Any]]:
    client = lambda_client(emulator)
    try:
        response = client.invoke_with_response_stream(
            FunctionName="function", Payload=json.dumps(event)
        )
        events = list(response["EventStream"])
    finally:
        client.close()
    payload = b"".join(e["PayloadChunk"]["Payload"] for e in events if "PayloadChunk" in e)
    prelude, body = payload.split(NUL8, 1)
    return json.loads(prelude), body, events[-1]["InvokeComplete"]


def _invoke(emulator: Emulator, event: dict[str, Any]) -> dict[str, Any]:
    client = lambda_client(emulator)
    try:
        response = client.invoke(FunctionName="function", Payload=json.dumps(event))
    finally:
        client.close()
    assert "FunctionError" not in response, response["Payload"].read()
    answer: dict[str, Any] = json.loads(response["Payload"].read())
    return answer

"""Event shapes to ASGI scope and WSGI environ, and answers back to each front door's format
(no sockets: values in, values out)."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest

from lambda_streaming.asgi.buffered import buffered_response, encode_body
from lambda_streaming.asgi.events import UnsupportedEventError, parse_event
from lambda_streaming.asgi.response_head import ResponseHead
from lambda_streaming.asgi.scope import http_scope
from lambda_streaming.wsgi import wsgi_environ

# Payload 2.0 as a Function URL sends it (docs: urls-invocation.html#urls-payloads).
V2: dict[str, Any] = {
    "version": "2.0",
    "routeKey": "$default",
    "rawPath": "/my/path%20x",
    "rawQueryString": "a=1&a=2&b=%C3%A9",
    "cookies": ["c1=v1", "c2=v2"],
    "headers": {
        "host": "abc.lambda-url.us-west-2.on.aws",
        "x-forwarded-proto": "https",
        "accept": "text/html,application/json",
        "x-forwarded-port": "443",
    },
    "requestContext": {
        "http": {
            "method": "POST",
            "path": "/my/path x",
            "protocol": "HTTP/1.1",
            "sourceIp": "203.0.113.1",
        },
        "stage": "$default",
    },
    "body": base64.b64encode(b"\x00\xff").decode(),
    "isBase64Encoded": True,
}


def test_payload_2_0_becomes_an_asgi_scope() -> None:
    request = parse_event(V2)
    scope = http_scope(request, V2, "ctx", {"db": "x"})
    assert scope["type"] == "http"
    assert scope["asgi"] == {"version": "3.0", "spec_version": "2.4"}
    assert (scope["method"], scope["path"], scope["raw_path"]) == (
        "POST",
        "/my/path x",
        b"/my/path%20x",
    )
    assert scope["query_string"] == b"a=1&a=2&b=%C3%A9"
    assert scope["root_path"] == ""
    assert (scope["scheme"], scope["server"], scope["client"]) == (
        "https",
        ("abc.lambda-url.us-west-2.on.aws", 443),
        ("203.0.113.1", 0),
    )
    assert (b"cookie", b"c1=v1; c2=v2") in scope["headers"]
    assert (b"accept", b"text/html,application/json") in scope["headers"]
    assert scope["aws.event"] is V2 and scope["aws.context"] == "ctx"
    assert scope["state"] == {"db": "x"}
    assert request.body == b"\x00\xff"


def test_a_named_http_api_stage_is_the_root_path() -> None:
    event = {
        **V2,
        "rawPath": "/prod/items",
        "requestContext": {**V2["requestContext"], "stage": "prod"},
    }
    scope = http_scope(parse_event(event), event, None)
    assert (scope["root_path"], scope["path"]) == ("/prod", "/prod/items")


def test_rest_event_repeated_headers_query_and_stage() -> None:
    event = {
        "resource": "/{proxy+}",
        "path": "/items/a b",
        "httpMethod": "GET",
        "headers": {"Accept": "b"},
        "multiValueHeaders": {"Accept": ["a", "b"], "Host": ["x.example"]},
        "queryStringParameters": {"k": "2"},
        "multiValueQueryStringParameters": {"k": ["1", "2"], "s": ["a&b"]},
        "requestContext": {
            "path": "/v1/items/a b",
            "stage": "v1",
            "identity": {"sourceIp": "198.51.100.2"},
        },
        "body": "plain",
        "isBase64Encoded": False,
    }
    request = parse_event(event)
    scope = http_scope(request, event, None)
    assert scope["headers"][:2] == [(b"accept", b"a"), (b"accept", b"b")]
    assert scope["query_string"] == b"k=1&k=2&s=a%26b"
    assert (scope["root_path"], scope["path"], scope["raw_path"]) == (
        "/v1",
        "/v1/items/a b",
        b"/v1/items/a%20b",
    )
    assert scope["client"] == ("198.51.100.2", 0)
    assert request.body == b"plain" and request.streamable
    environ = wsgi_environ(request, event, None)
    assert (environ["SCRIPT_NAME"], environ["PATH_INFO"]) == ("/v1", "/items/a b")
    assert environ["HTTP_ACCEPT"] == "a,b"
    assert environ["QUERY_STRING"] == "k=1&k=2&s=a%26b"


def test_alb_query_parameters_are_passed_as_sent_and_alb_never_streams() -> None:
    event = {
        "requestContext": {"elb": {"targetGroupArn": "arn"}},
        "httpMethod": "GET",
        "path": "/",
        "queryStringParameters": {"q": "a%20b"},
        "headers": {"x-forwarded-for": "198.51.100.9, 10.0.0.1", "host": "lb"},
        "body": "",
        "isBase64Encoded": False,
    }
    request = parse_event(event)
    assert (request.query_string, request.client, request.streamable) == (
        "q=a%20b",
        "198.51.100.9",
        False,
    )


def test_http_api_payload_1_0_never_streams() -> None:
    assert not parse_event({"version": "1.0", "httpMethod": "GET", "path": "/"}).streamable


@pytest.mark.parametrize(
    ("event", "says"),
    [
        ({"prompt": "hi"}, "its keys: prompt"),
        ([1, 2], "the event is a list"),
        ({**V2, "body": "%%%"}, "not valid base64"),
    ],
)
def test_what_is_not_an_http_event_says_what_to_send(event: object, says: str) -> None:
    with pytest.raises(UnsupportedEventError, match=says):
        parse_event(event)


HEAD = ResponseHead(
    200,
    [
        ("content-type", "application/json"),
        ("set-cookie", "a=1"),
        ("set-cookie", "b=2"),
        ("vary", "x"),
        ("vary", "y"),
        ("content-length", "2"),
    ],
)


def test_stream_metadata_per_front_door() -> None:
    assert HEAD.stream_metadata("v2") == {
        "statusCode": 200,
        "headers": {"content-type": "application/json", "vary": "x,y"},
        "cookies": ["a=1", "b=2"],
    }
    assert HEAD.stream_metadata("v1") == {
        "statusCode": 200,
        "headers": {"content-type": "application/json"},
        "multiValueHeaders": {"set-cookie": ["a=1", "b=2"], "vary": ["x", "y"]},
    }


def test_buffered_documents_per_front_door() -> None:
    v2 = buffered_response("v2", HEAD, b"{}")
    assert v2 == {
        "statusCode": 200,
        "headers": {"content-type": "application/json", "vary": "x,y", "content-length": "2"},
        "cookies": ["a=1", "b=2"],
        "body": "{}",
        "isBase64Encoded": False,
    }
    v1 = buffered_response("v1", HEAD, b"{}")
    assert v1["multiValueHeaders"] == {"set-cookie": ["a=1", "b=2"], "vary": ["x", "y"]}
    alb = buffered_response("alb", HEAD, b"{}", multi_value=True)
    assert alb["statusDescription"] == "200 OK"
    assert alb["multiValueHeaders"]["content-type"] == ["application/json"]
    assert "headers" not in alb


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        (b"caf\xc3\xa9", "text/plain; charset=utf-8", ("café", False)),
        (b'{"a":1}', "application/problem+json", ('{"a":1}', False)),
        (b"\x89PNG", "image/png", (base64.b64encode(b"\x89PNG").decode(), True)),
        (b"\xff\xfe", "text/plain", (base64.b64encode(b"\xff\xfe").decode(), True)),
        (b"", "image/png", ("", False)),
    ],
)
def test_bodies_are_text_or_base64(
    body: bytes, content_type: str, expected: tuple[str, bool]
) -> None:
    assert encode_body(body, content_type) == expected


def test_malformed_response_start_says_what_is_wrong() -> None:
    with pytest.raises(TypeError, match="status must be an int"):
        ResponseHead.from_asgi({"type": "http.response.start", "status": "200"})
    with pytest.raises(TypeError, match="bytes pairs"):
        ResponseHead.from_asgi(
            {"type": "http.response.start", "status": 200, "headers": [("a", "b")]}
        )


def test_the_adapters_refuse_what_they_cannot_serve() -> None:
    from flask import Flask

    from lambda_streaming.asgi import asgi_handler
    from lambda_streaming.wsgi import wsgi_handler

    with pytest.raises(TypeError, match=r"WSGI app: use lambda_streaming.wsgi.wsgi_handler"):
        asgi_handler(Flask(__name__))
    with pytest.raises(ValueError, match="use 'stream' or 'buffered'"):
        asgi_handler(lambda scope, receive, send: None, response_mode="streaming")
    with pytest.raises(ValueError, match="use 'auto', 'on' or 'off'"):
        asgi_handler(lambda scope, receive, send: None, lifespan="yes")
    with pytest.raises(TypeError, match="takes a WSGI app, not str"):
        wsgi_handler("app:app")  # type: ignore[arg-type]


def test_importing_the_adapters_loads_no_event_loop_and_no_framework() -> None:
    import subprocess
    import sys

    code = (
        "import sys; import lambda_streaming.asgi, lambda_streaming.wsgi; "
        "print(sorted(m for m in ('asyncio', 'starlette', 'fastapi', 'flask') "
        "if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(Path(__file__).resolve().parents[3] / "runtime")},
    )
    assert result.stdout.strip() == "[]"

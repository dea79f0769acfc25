"""The Function URL event (payload format 2.0) built from an HTTP request."""

import base64
import datetime

import pytest

from emulator.events import function_url_event, is_text_content_type

NOW = datetime.datetime(2026, 3, 12, 19, 3, 58, 390000, tzinfo=datetime.UTC)


def build(
    method: str = "GET",
    target: str = "/",
    headers: list[tuple[str, str]] | None = None,
    body: bytes = b"",
) -> dict[str, object]:
    return function_url_event(
        method=method,
        target=target,
        headers=headers if headers is not None else [("Host", "127.0.0.1:9000")],
        body=body,
        source_ip="127.0.0.1",
        server_port=9000,
        request_id="req-1",
        url_id="fn000",
        now=NOW,
    )


def test_a_get_without_query_body_or_cookies_has_aws_shape() -> None:
    event = build(headers=[("Host", "127.0.0.1:9000"), ("User-Agent", "curl/8")])
    assert event == {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": "/",
        "rawQueryString": "",
        "headers": {
            "host": "127.0.0.1:9000",
            "user-agent": "curl/8",
            "x-forwarded-for": "127.0.0.1",
            "x-forwarded-proto": "http",
            "x-forwarded-port": "9000",
            "x-amzn-trace-id": event["headers"]["x-amzn-trace-id"],  # type: ignore[index]
        },
        "requestContext": {
            "accountId": "anonymous",
            "apiId": "fn000",
            "domainName": "127.0.0.1:9000",
            "domainPrefix": "127",
            "http": {
                "method": "GET",
                "path": "/",
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": "curl/8",
            },
            "requestId": "req-1",
            "routeKey": "$default",
            "stage": "$default",
            "time": "12/Mar/2026:19:03:58 +0000",
            "timeEpoch": 1773342238390,
        },
        "isBase64Encoded": False,
    }
    assert str(event["headers"]["x-amzn-trace-id"]).startswith("Root=1-")  # type: ignore[index]


def test_query_cookies_and_repeated_headers_as_the_aws_docs_show() -> None:
    event = build(
        "POST",
        "/my/path?parameter1=value1&parameter1=value2&parameter2=value&e=a%20b",
        [
            ("Header1", "value1"),
            ("header2", "value1"),
            ("HEADER2", "value2"),
            ("Cookie", "cookie1=a; cookie2=b"),
            ("Content-Type", "application/json"),
        ],
        b'{"k": "v"}',
    )
    assert event["rawPath"] == "/my/path"
    assert event["rawQueryString"] == "parameter1=value1&parameter1=value2&parameter2=value&e=a%20b"
    assert event["queryStringParameters"] == {
        "parameter1": "value1,value2",
        "parameter2": "value",
        "e": "a b",
    }
    assert event["cookies"] == ["cookie1=a", "cookie2=b"]
    headers = event["headers"]
    assert isinstance(headers, dict)
    assert headers["header1"] == "value1"
    assert headers["header2"] == "value1,value2"
    assert "cookie" not in headers
    assert event["body"] == '{"k": "v"}'
    assert event["isBase64Encoded"] is False
    assert list(event)[:6] == [
        "version",
        "routeKey",
        "rawPath",
        "rawQueryString",
        "cookies",
        "headers",
    ]


@pytest.mark.parametrize(
    ("content_type", "text"),
    [
        ("text/plain; charset=utf-8", True),
        ("application/json", True),
        ("application/xml", True),
        ("application/javascript", True),
        ("application/x-www-form-urlencoded", False),
        ("application/octet-stream", False),
        ("image/png", False),
        (None, False),
    ],
)
def test_binary_bodies_are_base64(content_type: str | None, text: bool) -> None:
    headers = [("content-type", content_type)] if content_type else []
    body = b"a=1&b=\xc3\xa9"  # valid UTF-8: only the content type decides
    event = build("POST", "/", headers, body)
    assert is_text_content_type(content_type) is text
    assert event["isBase64Encoded"] is not text
    if not text:
        assert base64.b64decode(str(event["body"])) == body


@pytest.mark.parametrize("content_type", ["text/plain; charset=utf-8", "application/json"])
def test_a_text_type_body_that_is_not_utf8_is_base64(content_type: str) -> None:
    body = b"a=1&b=\xff"
    event = build("POST", "/", [("content-type", content_type)], body)
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(str(event["body"])) == body


def test_forwarded_for_appends_the_client_address() -> None:
    event = build(headers=[("X-Forwarded-For", "10.0.0.1")])
    assert event["headers"]["x-forwarded-for"] == "10.0.0.1, 127.0.0.1"  # type: ignore[index]

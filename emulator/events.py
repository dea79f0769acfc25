"""The Function URL request event (payload format 2.0), built from an HTTP request.

Sans-IO: values in, a JSON-ready dict out. It follows "Request payload format" in
https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html#urls-payloads and events
captured from real Function URLs with auth type NONE:

- header names lower-cased, repeated headers joined with ``,``; the ``cookie`` header moves
  to ``cookies`` (split on ``;``) and leaves ``headers``;
- ``queryStringParameters`` decoded, repeated keys joined with ``,``; absent without a query;
- ``body`` absent when the request has none; base64 (``isBase64Encoded: true``) unless the
  content type is text (``text/*``, JSON, XML, JavaScript), as users observed on AWS, and the
  bytes are valid UTF-8: "If the body is binary, it's base64-encoded" (same page), and a body
  that does not decode as UTF-8 is binary whatever its content type says;
- ``requestContext.accountId`` is ``"anonymous"`` and there is no ``authorizer`` (auth NONE).
"""

import base64
import datetime
import urllib.parse
from collections.abc import Iterable
from typing import Any

_TEXT_TYPES = ("application/json", "application/xml", "application/javascript")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def function_url_event(
    *,
    method: str,
    target: str,
    headers: Iterable[tuple[str, str]],
    body: bytes,
    source_ip: str,
    server_port: int,
    request_id: str,
    url_id: str,
    now: datetime.datetime,
) -> dict[str, Any]:
    """Build the event a Function URL passes to the function for this request.

    >>> event = function_url_event(method="GET", target="/a?x=1&x=2", headers=[("Host", "h")],
    ...     body=b"", source_ip="127.0.0.1", server_port=80, request_id="r", url_id="u",
    ...     now=datetime.datetime(2026, 1, 2, tzinfo=datetime.UTC))
    >>> event["rawPath"], event["queryStringParameters"]
    ('/a', {'x': '1,2'})
    """
    path, _, query = target.partition("?")
    merged: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in headers:
        key = name.lower()
        if key == "cookie":
            cookies.extend(part.strip() for part in value.split(";") if part.strip())
            continue
        merged[key] = f"{merged[key]},{value}" if key in merged else value
    merged["x-forwarded-for"] = (
        f"{merged['x-forwarded-for']}, {source_ip}" if "x-forwarded-for" in merged else source_ip
    )
    merged.setdefault("x-forwarded-proto", "http")
    merged.setdefault("x-forwarded-port", str(server_port))
    merged.setdefault(
        "x-amzn-trace-id", f"Root=1-{int(now.timestamp()):08x}-{request_id.replace('-', '')[:24]}"
    )
    host = merged.get("host", f"{url_id}.lambda-url.local")
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path or "/",
        "rawQueryString": query,
    }
    if cookies:
        event["cookies"] = cookies
    event["headers"] = merged
    if query:
        event["queryStringParameters"] = _query_parameters(query)
    event["requestContext"] = {
        "accountId": "anonymous",
        "apiId": url_id,
        "domainName": host,
        "domainPrefix": host.split(".", 1)[0],
        "http": {
            "method": method,
            "path": path or "/",
            "protocol": "HTTP/1.1",
            "sourceIp": source_ip,
            "userAgent": merged.get("user-agent", ""),
        },
        "requestId": request_id,
        "routeKey": "$default",
        "stage": "$default",
        "time": _clf_time(now),
        "timeEpoch": int(now.timestamp() * 1000),
    }
    text = _as_text(body, merged.get("content-type"))
    if body:
        event["body"] = text if text is not None else base64.b64encode(body).decode()
    event["isBase64Encoded"] = bool(body) and text is None
    return event


def _as_text(body: bytes, content_type: str | None) -> str | None:
    """The body as a string when a Function URL passes it as text; None: base64 it."""
    if not is_text_content_type(content_type):
        return None
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return None  # never U+FFFD: the function gets the exact bytes, base64-encoded


def is_text_content_type(content_type: str | None) -> bool:
    """True for content types a Function URL passes as text rather than base64."""
    if not content_type:
        return False
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type.startswith("text/") or media_type in _TEXT_TYPES


def _query_parameters(query: str) -> dict[str, str]:
    parameters: dict[str, str] = {}
    for key, value in urllib.parse.parse_qsl(query, keep_blank_values=True):
        parameters[key] = f"{parameters[key]},{value}" if key in parameters else value
    return parameters


def _clf_time(now: datetime.datetime) -> str:
    """``12/Mar/2020:19:03:58 +0000``, independent of the process locale."""
    utc = now.astimezone(datetime.UTC)
    return f"{utc:%d}/{_MONTHS[utc.month - 1]}/{utc:%Y:%H:%M:%S} +0000"

"""HTTP requests as Lambda's front doors deliver them: one event shape in, one ``HttpRequest`` out.

Owns: telling the event shapes apart and reading each into the same request (method, raw path,
query string, headers in order, body bytes, client address, the path prefix of an API Gateway
stage). Shared by the ASGI and the WSGI adapters.

Does not: build an ASGI scope or a WSGI environ, or answer; the answer's format follows
``HttpRequest.kind``.

The shapes, each as AWS documents it:

- ``"v2"``: Function URL and API Gateway HTTP API payload format 2.0
  (https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html#urls-payloads,
  https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html):
  ``rawPath``, ``rawQueryString``, repeated headers joined with commas, the ``Cookie`` header
  moved to ``cookies``.
- ``"v1"``: API Gateway REST proxy integration, also what REST ``STREAM`` sends, and HTTP API
  payload format 1.0
  (https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html#api-gateway-simple-proxy-for-lambda-input-format,
  https://docs.aws.amazon.com/apigateway/latest/developerguide/response-transfer-mode.html):
  ``path`` without the stage, ``multiValueHeaders`` and ``multiValueQueryStringParameters``
  (values decoded), ``requestContext.path`` with the stage.
- ``"alb"``: Application Load Balancer target
  (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/lambda-functions.html):
  ``requestContext.elb``; ``multiValueHeaders`` only when the target group enables them; query
  parameters are passed as the client sent them ("the load balancer does not decode them").

A plain ``Invoke`` or ``InvokeWithResponseStream`` carries whichever of these the caller built.
"""

from __future__ import annotations

import base64
from urllib.parse import quote, unquote, urlencode

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

Headers = list[tuple[str, str]]


class UnsupportedEventError(ValueError):
    """The event is not an HTTP request from a front door this adapter knows."""

    error_type = "Runtime.UnsupportedHttpEvent"


class HttpRequest:
    """One HTTP request, whatever front door sent it."""

    __slots__ = (
        "body",
        "client",
        "headers",
        "http_version",
        "kind",
        "method",
        "multi_value",
        "query_string",
        "raw_path",
        "root_path",
        "streamable",
    )

    def __init__(
        self,
        *,
        kind: str,
        method: str,
        raw_path: str,
        root_path: str,
        query_string: str,
        headers: Headers,
        body: bytes,
        client: str | None,
        http_version: str = "1.1",
        multi_value: bool = False,
        streamable: bool = True,
    ) -> None:
        self.kind = kind  # "v2", "v1" or "alb": also the format of a buffered answer
        self.method = method
        self.raw_path = raw_path  # percent-encoded, the root path included
        self.root_path = root_path  # decoded, e.g. "/prod" for an API Gateway stage
        self.query_string = query_string  # percent-encoded, without "?"
        self.headers = headers  # lower-case names, in the order received
        self.body = body
        self.client = client
        self.http_version = http_version
        self.multi_value = multi_value  # the ALB target group sends (and expects) lists
        # False where the front door cannot stream (ALB, HTTP API payload 1.0): answer buffered.
        self.streamable = streamable

    @property
    def path(self) -> str:
        """The decoded path, the root path included (as ASGI's ``path``)."""
        return unquote(self.raw_path)

    def header(self, name: str, default: str = "") -> str:
        """The first value of header ``name`` (lower case)."""
        for key, value in self.headers:
            if key == name:
                return value
        return default


def parse_event(event: object) -> HttpRequest:
    """Read a Lambda event into an ``HttpRequest``; ``UnsupportedEventError`` says what is wrong.

    >>> request = parse_event({"version": "2.0", "rawPath": "/a%20b", "rawQueryString": "x=1",
    ...     "headers": {"host": "h"}, "requestContext": {"http": {"method": "GET"}}})
    >>> request.kind, request.path, request.query_string
    ('v2', '/a b', 'x=1')
    """
    if not isinstance(event, dict):
        raise UnsupportedEventError(
            f"the event is a {type(event).__name__}, not an HTTP request: invoke the function "
            "through a Function URL, API Gateway or an ALB, or pass one of their event shapes"
        )
    context = event.get("requestContext")
    context = context if isinstance(context, dict) else {}
    if "elb" in context:
        return _alb(event)
    if event.get("version") == "2.0" and isinstance(context.get("http"), dict):
        return _v2(event, context)
    if "httpMethod" in event:
        return _v1(event, context)
    keys = ", ".join(sorted(map(str, event))) or "none"
    raise UnsupportedEventError(
        f"the event is not an HTTP request (its keys: {keys}); expected a Function URL or "
        "API Gateway payload 2.0 event (version, rawPath, requestContext.http), an API Gateway "
        "REST or payload 1.0 event (httpMethod, path) or an ALB event (requestContext.elb)"
    )


def _v2(event: Mapping[str, object], context: Mapping[str, object]) -> HttpRequest:
    http = context["http"]
    assert isinstance(http, dict)
    headers = [(str(k).lower(), str(v)) for k, v in _mapping(event, "headers").items()]
    cookies = event.get("cookies")
    if isinstance(cookies, list) and cookies:
        headers.append(("cookie", "; ".join(map(str, cookies))))
    raw_path = str(event.get("rawPath") or http.get("path") or "/")
    # A named stage is in rawPath ("/prod/items"); $default (every Function URL) adds nothing.
    stage = context.get("stage")
    root_path = ""
    if isinstance(stage, str) and stage and stage != "$default":
        prefix = "/" + stage
        if raw_path == prefix or raw_path.startswith(prefix + "/"):
            root_path = prefix
    protocol = str(http.get("protocol") or "HTTP/1.1").upper()
    return HttpRequest(
        kind="v2",
        method=str(http.get("method") or "GET").upper(),
        raw_path=raw_path,
        root_path=root_path,
        query_string=str(event.get("rawQueryString") or ""),
        headers=headers,
        body=_body(event),
        client=_str_or_none(http.get("sourceIp")),
        http_version={"HTTP/1.0": "1.0", "HTTP/2.0": "2", "HTTP/2": "2"}.get(protocol, "1.1"),
    )


def _v1(event: Mapping[str, object], context: Mapping[str, object]) -> HttpRequest:
    headers = _headers_v1(event)
    path = str(event.get("path") or "/")
    # requestContext.path is the path the client used, the stage (or a custom domain's base
    # path mapping) in front of the resource path: that prefix is the ASGI root_path.
    root_path = ""
    full = context.get("path")
    if isinstance(full, str) and full != path and full.endswith(path) and path.startswith("/"):
        root_path = unquote(full[: len(full) - len(path)].rstrip("/"))
    multi = _mapping(event, "multiValueQueryStringParameters")
    single = _mapping(event, "queryStringParameters")
    params = multi or single
    query = urlencode(params, doseq=True, quote_via=quote) if params else ""
    identity = context.get("identity")
    client = identity.get("sourceIp") if isinstance(identity, dict) else None
    return HttpRequest(
        kind="v1",
        method=str(event.get("httpMethod") or "GET").upper(),
        raw_path=quote(root_path) + quote(path, safe="/%:@!$&'()*+,;=~-._"),
        root_path=root_path,
        query_string=query,
        headers=headers,
        body=_body(event),
        client=_str_or_none(client),
        # REST events have no "version"; HTTP APIs (which never stream) send "1.0".
        streamable=event.get("version") != "1.0",
    )


def _alb(event: Mapping[str, object]) -> HttpRequest:
    multi_value = isinstance(event.get("multiValueHeaders"), dict)
    headers = _headers_v1(event)
    multi = _mapping(event, "multiValueQueryStringParameters")
    if multi:
        pairs = [(str(k), str(v)) for k, values in multi.items() for v in _list(values)]
    else:
        pairs = [(str(k), str(v)) for k, v in _mapping(event, "queryStringParameters").items()]
    forwarded = next((v for k, v in headers if k == "x-forwarded-for"), "")
    return HttpRequest(
        kind="alb",
        method=str(event.get("httpMethod") or "GET").upper(),
        raw_path=str(event.get("path") or "/"),
        root_path="",
        # Already encoded as the client sent it: joined, not encoded a second time.
        query_string="&".join(f"{k}={v}" if v else k for k, v in pairs),
        headers=headers,
        body=_body(event),
        client=forwarded.split(",")[0].strip() or None,
        multi_value=multi_value,
        streamable=False,
    )


def _headers_v1(event: Mapping[str, object]) -> Headers:
    multi = _mapping(event, "multiValueHeaders")
    if multi:
        return [(str(k).lower(), str(v)) for k, values in multi.items() for v in _list(values)]
    return [(str(k).lower(), str(v)) for k, v in _mapping(event, "headers").items()]


def _body(event: Mapping[str, object]) -> bytes:
    body = event.get("body")
    if not body:
        return b""
    if not isinstance(body, str):
        raise UnsupportedEventError(f"the event's body is a {type(body).__name__}, not a string")
    if event.get("isBase64Encoded"):
        try:
            return base64.b64decode(body, validate=True)
        except ValueError:
            raise UnsupportedEventError(
                "the event says isBase64Encoded but its body is not valid base64"
            ) from None
    return body.encode("utf-8")


def _mapping(event: Mapping[str, object], key: str) -> dict[str, object]:
    value = event.get(key)
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list[object]:
    return value if isinstance(value, list) else [value]


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) and value else None

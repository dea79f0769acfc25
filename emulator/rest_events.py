"""The API Gateway REST API Lambda proxy event (payload format 1.0), built from an HTTP request.

Sans-IO: values in, a JSON-ready dict out. It follows "Input format of a Lambda function for
proxy integration" in the API Gateway developer guide
(https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html):

- ``resource`` is the matched resource: ``/`` or ``/{proxy+}`` (the two resources the construct's
  REST API has); ``pathParameters`` is ``{"proxy": "a/b"}`` under the proxy resource, else null;
- ``path`` is the request path without the stage; ``requestContext.path`` includes it;
- ``headers`` holds one value per name (the last one sent) and ``multiValueHeaders`` all of them;
  the same for ``queryStringParameters`` / ``multiValueQueryStringParameters`` (decoded), both
  null without a query;
- ``body`` is null without one, else text (``isBase64Encoded: false``: the REST API has no
  binary media types);
- ``requestContext`` carries ``stage``, ``apiId``, ``resourcePath``, ``httpMethod``,
  ``requestId``, ``requestTime`` / ``requestTimeEpoch`` and ``identity.sourceIp``.

Differences from AWS: header names arrive lower-cased (the emulator's HTTP parser normalizes
them; API Gateway keeps the client's spelling), and a body that is not UTF-8 is decoded with
replacement characters.
"""

import datetime
import urllib.parse
from collections.abc import Iterable
from typing import Any

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
ACCOUNT_ID = "123456789012"


def rest_api_event(
    *,
    method: str,
    path: str,
    query: str,
    headers: Iterable[tuple[str, str]],
    body: bytes,
    source_ip: str,
    stage: str,
    api_id: str,
    request_id: str,
    now: datetime.datetime,
) -> dict[str, Any]:
    """Build the event a REST API Lambda proxy integration passes for this request.

    ``path`` is the path under the stage (``/`` or ``/a/b``).

    >>> event = rest_api_event(method="GET", path="/a/b", query="x=1&x=2", headers=[("h", "v")],
    ...     body=b"", source_ip="127.0.0.1", stage="prod", api_id="abc", request_id="r",
    ...     now=datetime.datetime(2026, 1, 2, tzinfo=datetime.UTC))
    >>> event["resource"], event["pathParameters"], event["multiValueQueryStringParameters"]
    ('/{proxy+}', {'proxy': 'a/b'}, {'x': ['1', '2']})
    """
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for name, value in headers:
        single[name] = value
        multi.setdefault(name, []).append(value)
    parameters: dict[str, str] = {}
    multi_parameters: dict[str, list[str]] = {}
    for key, value in urllib.parse.parse_qsl(query, keep_blank_values=True):
        parameters[key] = value
        multi_parameters.setdefault(key, []).append(value)
    proxied = path not in ("", "/")
    resource = "/{proxy+}" if proxied else "/"
    epoch_ms = int(now.timestamp() * 1000)
    return {
        "resource": resource,
        "path": path or "/",
        "httpMethod": method,
        "headers": single or None,
        "multiValueHeaders": multi or None,
        "queryStringParameters": parameters or None,
        "multiValueQueryStringParameters": multi_parameters or None,
        "pathParameters": {"proxy": path.lstrip("/")} if proxied else None,
        "stageVariables": None,
        "requestContext": {
            "accountId": ACCOUNT_ID,
            "apiId": api_id,
            "domainName": single.get("host", f"{api_id}.execute-api.localhost"),
            "domainPrefix": api_id,
            "extendedRequestId": request_id.replace("-", "")[:16] + "=",
            "httpMethod": method,
            "identity": {
                "accessKey": None,
                "accountId": None,
                "caller": None,
                "cognitoAuthenticationProvider": None,
                "cognitoAuthenticationType": None,
                "cognitoIdentityId": None,
                "cognitoIdentityPoolId": None,
                "principalOrgId": None,
                "sourceIp": source_ip,
                "user": None,
                "userAgent": single.get("user-agent", ""),
                "userArn": None,
            },
            "path": f"/{stage}{path or '/'}",
            "protocol": "HTTP/1.1",
            "requestId": request_id,
            "requestTime": _clf_time(now),
            "requestTimeEpoch": epoch_ms,
            "resourceId": "proxy0" if proxied else "root00",
            "resourcePath": resource,
            "stage": stage,
        },
        "body": body.decode("utf-8", "replace") if body else None,
        "isBase64Encoded": False,
    }


def _clf_time(now: datetime.datetime) -> str:
    """``09/Apr/2015:12:34:56 +0000``, independent of the process locale."""
    utc = now.astimezone(datetime.UTC)
    return f"{utc:%d}/{_MONTHS[utc.month - 1]}/{utc:%Y:%H:%M:%S} +0000"

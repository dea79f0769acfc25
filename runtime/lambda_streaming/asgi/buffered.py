"""A whole answer as the JSON document a buffered front door expects.

Owns: the response format of each front door when the function does not stream (a ``BUFFERED``
Function URL, API Gateway without ``STREAM``, an ALB), and when a body travels as base64.

Does not: decide whether an invocation is buffered (``handler.py`` does, from the user's
``response_mode`` and the event shape).

- Payload 2.0: ``statusCode``, ``headers``, ``cookies``, ``body``, ``isBase64Encoded``
  (https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html#urls-response-payload).
- Payload 1.0: ``statusCode``, ``headers``, ``multiValueHeaders``, ``body``, ``isBase64Encoded``
  (https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html#api-gateway-simple-proxy-for-lambda-output-format).
- ALB: the same plus ``statusDescription``; ``multiValueHeaders`` instead of ``headers`` when the
  target group sent multi-value headers, as it then requires
  (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/lambda-functions.html#respond-to-load-balancer).
"""

from __future__ import annotations

import base64

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .response_head import ResponseHead

# Media types whose bodies are text (and so are sent as text when they are valid UTF-8).
_TEXT_TYPES = frozenset(
    {
        "application/json",
        "application/javascript",
        "application/xml",
        "application/x-www-form-urlencoded",
        "application/graphql",
        "image/svg+xml",
    }
)


def is_text(content_type: str | None) -> bool:
    """Whether a body of this Content-Type is text; anything else is sent as base64.

    >>> is_text("application/problem+json"), is_text("image/png")
    (True, False)
    """
    if not content_type:
        return False
    media = content_type.split(";", 1)[0].strip().lower()
    return media.startswith("text/") or media in _TEXT_TYPES or media.endswith(("+json", "+xml"))


def encode_body(body: bytes, content_type: str | None) -> tuple[str, bool]:
    """``(body, isBase64Encoded)``: text stays text, anything else (or bad UTF-8) is base64."""
    if not body:
        return "", False
    if is_text(content_type):
        try:
            return body.decode("utf-8"), False
        except UnicodeDecodeError:
            pass
    return base64.b64encode(body).decode("ascii"), True


def buffered_response(
    kind: str, head: ResponseHead, body: bytes, *, multi_value: bool = False
) -> dict[str, object]:
    """The document to return for a request of ``kind`` ("v2", "v1" or "alb")."""
    text, is_base64 = encode_body(body, head.header("content-type"))
    if kind == "v2":
        headers, cookies = head.joined(framing=True)
        document: dict[str, object] = {"statusCode": head.status, "headers": headers}
        if cookies:
            document["cookies"] = cookies
    elif kind == "alb" and multi_value:
        single, multi = head.multi_value(framing=True)
        merged = {name: [value] for name, value in single.items()}
        merged.update(multi)
        document = {"statusCode": head.status, "multiValueHeaders": merged}
    else:
        single, multi = head.multi_value(framing=True)
        if kind == "alb":  # without multi-value headers an ALB takes one value per name
            single.update({name: values[-1] for name, values in multi.items()})
            multi = {}
        document = {"statusCode": head.status, "headers": single}
        if multi:
            document["multiValueHeaders"] = multi
    if kind == "alb":
        document["statusDescription"] = _status_description(head.status)
    document["body"] = text
    document["isBase64Encoded"] = is_base64
    return document


def _status_description(status: int) -> str:
    from http import HTTPStatus  # only ALB answers need the phrases

    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)

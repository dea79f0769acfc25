"""The demo handlers' request parsing and settings (lambda_src/common.py), without sockets."""

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from lambda_src import common


def url_event(body: str | None, *, base64_encoded: bool = False) -> dict[str, Any]:
    """A Function URL (payload 2.0) event, trimmed to what matters here."""
    event: dict[str, Any] = {
        "version": "2.0",
        "rawPath": "/",
        "requestContext": {"http": {"method": "POST", "path": "/"}},
        "isBase64Encoded": base64_encoded,
    }
    if body is not None:
        event["body"] = base64.b64encode(body.encode()).decode() if base64_encoded else body
    return event


@pytest.mark.parametrize(
    "event",
    [
        {"prompt": "こんにちは"},
        url_event('{"prompt": "こんにちは"}'),
        url_event('{"prompt": "こんにちは"}', base64_encoded=True),
        {"httpMethod": "POST", "requestContext": {}, "body": '{"prompt": "こんにちは"}'},
    ],
    ids=["direct", "function-url", "function-url-base64", "api-gateway-rest"],
)
def test_prompt_from_every_kind_of_event(event: dict[str, Any]) -> None:
    assert common.read_prompt(event) == "こんにちは"


@pytest.mark.parametrize(
    ("event", "message"),
    [
        (url_event(None), "the request body is empty"),
        (url_event("{"), "not valid JSON (Expecting property name"),
        ({**url_event("x"), "isBase64Encoded": True, "body": "***"}, "not valid base64"),
        (url_event(base64.b64encode(b"\xff\xfe").decode(), base64_encoded=False), "not valid JSON"),
        ({**url_event(None), "isBase64Encoded": True, "body": "/w=="}, "not UTF-8"),
        ({"prompt": None}, '"prompt" must be a string, not null'),
        ({"prompt": True}, "not a boolean"),
        ({"prompt": {"text": "hi"}}, "not an object"),
        ({"prompt": "   "}, '"prompt" is empty'),
        ({"text": "hi"}, '"prompt" is missing: send {"prompt": "こんにちは"}'),
        ("hi", "must be a JSON object"),
        ({"prompt": "x" * 20_001}, "20001 characters; at most 20000"),
    ],
)
def test_bad_requests_say_what_is_wrong(event: Any, message: str) -> None:
    with pytest.raises(common.BadRequest) as caught:
        common.read_prompt(event)
    assert message in caught.value.message
    assert caught.value.status == 400
    assert caught.value.error_type == "Function.BadRequest"
    response = caught.value.http_response()
    assert response["statusCode"] == 400
    assert json.loads(response["body"]) == {"error": "BadRequest", "message": caught.value.message}


def test_settings_defaults_come_from_demo_settings_json() -> None:
    settings = common.Settings.from_environ({})
    written = json.loads((Path(common.__file__).parent / "demo_settings.json").read_text())
    assert settings.model_id == written["model_id"] != "anthropic.claude-3-haiku-20240307-v1:0"
    assert (settings.region, settings.max_tokens, settings.endpoint_url) == (
        written["region"],
        written["max_tokens"],
        None,
    )
    assert settings.max_prompt_chars == written["max_prompt_chars"]
    assert common.Settings.from_environ({"AWS_REGION": "eu-west-1"}).region == "eu-west-1"
    both = {"AWS_REGION": "eu-west-1", "BEDROCK_REGION": "us-west-2"}
    assert common.Settings.from_environ(both).region == "us-west-2"


@pytest.mark.parametrize("value", ["lots", "0", "-3"])
def test_bad_numbers_in_the_environment_are_named(value: str) -> None:
    with pytest.raises(ValueError, match=f"MAX_TOKENS={value!r}"):
        common.Settings.from_environ({"MAX_TOKENS": value})


def test_bedrock_errors_map_to_statuses_and_named_error_types() -> None:
    from botocore.exceptions import ClientError

    throttled = common.bedrock_failed(
        ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow"}}, "InvokeModel")
    )
    assert (throttled.status, type(throttled).__name__) == (429, "ThrottlingException")
    assert throttled.headers()["retry-after"] == "1"
    assert throttled.error_type == "Function.ThrottlingException"
    denied = common.bedrock_failed(
        ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "InvokeModel")
    )
    assert denied.status == 502  # our misconfiguration, not the caller's fault
    assert "retry-after" not in denied.headers()

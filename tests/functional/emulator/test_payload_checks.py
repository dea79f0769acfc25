"""What the front doors check or encode before invoking: the Invoke API refuses a payload that
is not JSON (nothing runs), the Function URL passes bytes that are not UTF-8 as base64."""

import base64
import json
import urllib.request
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.functional.emulator.conftest import StartEmulator, closing_client
from tests.functional.emulator.wire import Client


@pytest.mark.parametrize(
    ("payload", "detail"),
    [
        (b"{not json", "Expecting property name enclosed in double quotes"),
        (b'{"a": 1} trailing', "Extra data"),
        (b"\xff\xfe{}", "not UTF-8 text"),
    ],
)
def test_invoke_refuses_a_payload_that_is_not_json_without_invoking(
    start_emulator: StartEmulator, payload: bytes, detail: str
) -> None:
    emulator = start_emulator("abuse_handlers.ok")
    with closing_client(emulator) as client, pytest.raises(ClientError) as raised:
        client.invoke(FunctionName="function", Payload=payload)
    error = raised.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error["Error"]["Code"] == "InvalidRequestContentException"
    assert error["Error"]["Message"].startswith("Could not parse request body into json")
    assert detail in error["Error"]["Message"]
    assert emulator.function.sandbox_count == 0  # nothing was invoked


def test_the_streaming_invoke_refuses_it_too(start_emulator: StartEmulator) -> None:
    emulator = start_emulator("abuse_handlers.ok")
    with closing_client(emulator) as client, pytest.raises(ClientError) as raised:
        client.invoke_with_response_stream(FunctionName="function", Payload=b"[1,")
    assert raised.value.response["Error"]["Code"] == "InvalidRequestContentException"
    assert emulator.function.sandbox_count == 0


def test_valid_json_of_any_kind_is_invoked(start_emulator: StartEmulator) -> None:
    emulator = start_emulator("abuse_handlers.ok")
    with closing_client(emulator) as client:
        for payload in (b'"text"', b"42", b"[1, 2]", b"null", b""):
            response = client.invoke(FunctionName="function", Payload=payload)
            assert "FunctionError" not in response, payload
            assert json.loads(response["Payload"].read())["ok"] is True


def echoed(emulator: Any, body: bytes, content_type: str) -> dict[str, Any]:
    with Client(emulator.function_url.removeprefix("http://").rstrip("/")) as raw:
        raw.request("POST", "/", [("content-type", content_type)], body)
        response = raw.response()
    assert response.status == 200, response.body
    result: dict[str, Any] = json.loads(response.body)
    return result


@pytest.mark.parametrize(
    ("body", "content_type", "base64_expected"),
    [
        (b"\xff\xfe not utf-8", "text/plain", True),  # text type, but not UTF-8 text
        (b'{"name": "\xe3\x81\x82"}', "application/json", False),  # UTF-8 JSON: text
        (b"caf\xc3\xa9", "text/plain; charset=utf-8", False),
        (b"plain ascii", "application/octet-stream", True),  # a binary content type
        (b"\x00\x01\x02", "image/png", True),
    ],
)
def test_the_function_url_base64_encodes_bodies_that_are_not_text(
    start_emulator: StartEmulator, body: bytes, content_type: str, base64_expected: bool
) -> None:
    emulator = start_emulator("abuse_handlers.echo_body", invoke_mode="BUFFERED")
    event = echoed(emulator, body, content_type)
    assert event["isBase64Encoded"] is base64_expected
    if base64_expected:
        assert base64.b64decode(event["body"]) == body  # the exact bytes, not U+FFFD
    else:
        assert event["body"] == body.decode("utf-8")


def test_a_get_without_body_has_no_body(start_emulator: StartEmulator) -> None:
    emulator = start_emulator("abuse_handlers.echo_body", invoke_mode="BUFFERED")
    with urllib.request.urlopen(emulator.function_url, timeout=10) as response:
        assert json.load(response) == {"body": None, "isBase64Encoded": False}

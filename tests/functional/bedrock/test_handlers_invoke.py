"""The five demo handlers through the emulator's Invoke APIs (unmodified boto3), direct events."""

import json
from collections.abc import Callable
from typing import Any

import pytest

from emulator.bedrock import FakeBedrock
from emulator.server import Emulator
from tests.functional.aws_clients import lambda_client

from .e2e import HANDLERS, JA_ANSWER, STREAMING, parse_sse, stream_events

Function = Callable[..., Emulator]


def invoke(emulator: Emulator, payload: Any) -> tuple[dict[str, Any], Any]:
    client = lambda_client(emulator)
    try:
        response = client.invoke(FunctionName="function", Payload=json.dumps(payload))
        return response, json.loads(response["Payload"].read())
    finally:
        client.close()


def stream(emulator: Emulator, payload: Any) -> tuple[list[bytes], dict[str, Any]]:
    """The PayloadChunks and the InvokeComplete event of an InvokeWithResponseStream call."""
    client = lambda_client(emulator)
    try:
        chunks: list[bytes] = []
        complete: dict[str, Any] = {}
        for event in stream_events(client, payload):
            if "PayloadChunk" in event:
                chunks.append(event["PayloadChunk"]["Payload"])
            elif "InvokeComplete" in event:
                complete = event["InvokeComplete"]
        return chunks, complete
    finally:
        client.close()


def test_buffered_direct_invoke_returns_bedrocks_json(function: Function) -> None:
    response, answer = invoke(function("buffered"), {"prompt": "こんにちは"})
    assert "FunctionError" not in response
    assert answer["content"][0]["text"] == JA_ANSWER
    assert answer["stop_reason"] == "end_turn"


def test_aggregated_direct_invoke_returns_content(function: Function) -> None:
    _, answer = invoke(function("aggregated"), {"prompt": "こんにちは"})
    assert answer == {"content": JA_ANSWER}


@pytest.mark.parametrize("handler", ["stream_text", "stream_langchain"])
def test_streamed_text_arrives_in_many_chunks_without_a_prelude(
    function: Function, handler: str
) -> None:
    chunks, complete = stream(function(handler), {"prompt": "こんにちは"})
    assert b"".join(chunks).decode() == JA_ANSWER  # direct invoke: no HTTP prelude bytes
    assert len(chunks) > 10
    assert not complete.get("ErrorCode")


def test_sse_direct_invoke_streams_events(function: Function) -> None:
    chunks, complete = stream(function("stream_sse"), {"prompt": "Hello"})
    events = parse_sse(b"".join(chunks).decode())
    assert events[-1][0] == "done"
    assert "".join(data for kind, data in events if kind == "message").startswith("Hello! I am")
    assert not complete.get("ErrorCode")


@pytest.mark.parametrize("handler", HANDLERS)
def test_bad_direct_invoke_is_a_function_error_saying_what_is_wrong(
    function: Function, handler: str
) -> None:
    response, error = invoke(function(handler), {"prompt": ["not", "a", "string"]})
    assert response["FunctionError"] == "Unhandled"
    assert error["errorType"] == "BadRequest"
    assert error["errorMessage"] == '"prompt" must be a string, not an array'


@pytest.mark.parametrize("handler", HANDLERS)
def test_bedrock_throttling_before_the_first_byte_names_the_error(
    function: Function, handler: str
) -> None:
    response, error = invoke(function(handler), {"prompt": "hi [[bedrock:throttle]]"})
    assert response["FunctionError"] == "Unhandled"
    assert error["errorType"] == "ThrottlingException"
    assert "Too many requests" in error["errorMessage"]


@pytest.mark.parametrize("handler", STREAMING)
def test_error_before_the_first_byte_ends_the_stream_with_its_type(
    function: Function, handler: str
) -> None:
    chunks, complete = stream(function(handler), {"prompt": "hi [[bedrock:unavailable]]"})
    assert chunks == []
    assert complete["ErrorCode"] == "Function.ServiceUnavailableException"


@pytest.mark.parametrize(
    ("handler", "exception", "error_type"),
    [
        ("stream_text", "throttlingException", "Function.ThrottlingException"),
        ("stream_sse", "modelStreamErrorException", "Function.ModelStreamErrorException"),
        ("stream_langchain", "internalServerException", "Function.InternalServerException"),
        ("stream_text", "serviceUnavailableException", "Function.ServiceUnavailableException"),
        ("stream_sse", "validationException", "Function.ValidationException"),
    ],
)
def test_mid_stream_bedrock_failure_reaches_invoke_complete_from_the_trailers(
    function: Function, shared_bedrock: FakeBedrock, handler: str, exception: str, error_type: str
) -> None:
    chunks, complete = stream(
        function(handler), {"prompt": f"こんにちは [[bedrock:fail-after=3:{exception}]]"}
    )
    assert (
        b"".join(chunks)
        .decode()
        .startswith("こんにちは!" if handler != "stream_sse" else "data: こん\n\n")
    )
    assert complete["ErrorCode"] == error_type
    details = json.loads(complete["ErrorDetails"])
    assert details["errorType"] == "BedrockStreamError"
    assert exception in details["errorMessage"]

"""Bedrock's in-stream exceptions become one error type the runtime and SSE can report."""

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError, EventStreamError

from lambda_streaming import error_type
from lambda_streaming.bedrock import (
    STREAM_EXCEPTIONS,
    BedrockStreamError,
    bedrock_error,
    converse_text,
    invoke_text,
)

from . import recorded


@pytest.mark.parametrize(
    ("code", "error_type"),
    [
        ("modelStreamErrorException", "Function.ModelStreamErrorException"),
        ("throttlingException", "Function.ThrottlingException"),
        ("validationException", "Function.ValidationException"),
        ("internalServerException", "Function.InternalServerException"),
        ("serviceUnavailableException", "Function.ServiceUnavailableException"),
        ("modelTimeoutException", "Function.ModelTimeoutException"),
    ],
)
@pytest.mark.parametrize("api", ["converse", "invoke"])
def test_in_band_exception_event_raises_after_the_text_before_it(
    code: str, error_type: str, api: str
) -> None:
    exception_event = {code: {"message": f"{code} happened"}}
    if api == "converse":
        events = recorded.converse_events(recorded.CONVERSE_CLAUDE[:3])
        text = converse_text({"stream": [*events, exception_event]})
    else:
        events = recorded.invoke_events(recorded.INVOKE_ANTHROPIC[:4])
        text = invoke_text({"body": [*events, exception_event]})
    received = []
    with pytest.raises(BedrockStreamError) as caught:
        received.extend(text)
    assert received == ["こんにちは", *(["!"] if api == "converse" else [])]
    assert caught.value.code == code
    assert caught.value.error_type == error_type
    assert str(caught.value) == f"Bedrock {code}: {code} happened"
    assert caught.value.retryable is (code != "validationException")


def test_every_modelled_stream_exception_is_recognised() -> None:
    assert {
        "modelStreamErrorException",
        "throttlingException",
        "validationException",
        "internalServerException",
        "serviceUnavailableException",
    } <= STREAM_EXCEPTIONS


def test_model_stream_error_keeps_the_models_original_status_and_message() -> None:
    event = {
        "modelStreamErrorException": {
            "message": "Model stream error",
            "originalStatusCode": 529,
            "originalMessage": "Overloaded",
        }
    }
    with pytest.raises(BedrockStreamError) as caught:
        list(converse_text({"stream": [event]}))
    assert caught.value.original_status_code == 529
    assert caught.value.original_message == "Overloaded"


class _RaisingStream:
    """An event stream that fails the way botocore's does, after some events."""

    def __init__(self, events: list[dict[str, Any]], error: Exception) -> None:
        self._events = events
        self._error = error

    def __iter__(self) -> Iterator[dict[str, Any]]:
        yield from self._events
        raise self._error


def test_botocore_event_stream_error_is_mapped_by_duck_typing() -> None:
    error = EventStreamError(
        {"Error": {"Code": "serviceUnavailableException", "Message": "try later"}},
        "InvokeModelWithResponseStream",
    )
    stream = _RaisingStream(recorded.invoke_events(recorded.INVOKE_LLAMA[:1]), error)
    text = invoke_text({"body": stream})
    assert next(text) == "Hello"
    with pytest.raises(BedrockStreamError, match="try later") as caught:
        next(text)
    assert caught.value.error_type == "Function.ServiceUnavailableException"
    assert caught.value.__cause__ is error


def test_other_exceptions_pass_through_unchanged() -> None:
    error = ConnectionResetError("peer went away")
    text = converse_text({"stream": _RaisingStream([], error)})
    with pytest.raises(ConnectionResetError) as caught:
        list(text)
    assert caught.value is error


def test_bedrock_error_recognises_client_errors_and_nothing_else() -> None:
    client_error = ClientError(
        {"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, "ConverseStream"
    )
    mapped = bedrock_error(client_error)
    assert mapped is not None
    assert mapped.error_type == "Function.ThrottlingException"
    assert mapped.message == "Rate exceeded"
    assert bedrock_error(ValueError("x")) is None
    assert bedrock_error(mapped) is mapped


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("throttlingException", "Function.ThrottlingException"),
        ("weird.code-1", "Function.Weird.code-1"),
        ("", "Function.Bedrock"),
    ],
)
def test_error_type_is_bedrocks_code_as_the_one_naming_function_reports_it(
    code: str, expected: str
) -> None:
    # Lambda takes any string as an error type (runtimes-api.html#runtimes-api-invokeerror):
    # Bedrock's code is kept, not squeezed into a stricter pattern.
    error = BedrockStreamError(code, "m")
    assert error.error_type == expected
    assert error_type(error) == expected

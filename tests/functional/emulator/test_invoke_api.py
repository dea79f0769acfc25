"""Front door 2 end to end: unmodified boto3 against the Invoke APIs, the real runtime behind."""

import base64
import json
import time
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from tests.functional.emulator.conftest import StartEmulator, closing_client
from tests.functional.emulator.wire import Client


def test_invoke_gives_the_function_lambdas_environment_and_context(
    start_emulator: StartEmulator,
) -> None:
    emulator = start_emulator(
        "echo", function_name="my-fn", memory_mb=256, timeout=5, env={"EXTRA": "on"}
    )
    with closing_client(emulator) as client:
        response = client.invoke(FunctionName="my-fn", Payload=b'{"n": 1}')
    assert response["StatusCode"] == 200
    assert response["ExecutedVersion"] == "$LATEST"
    assert "FunctionError" not in response
    result = json.loads(response["Payload"].read())
    assert result["event"] == {"n": 1}
    assert (result["function_name"], result["memory"]) == ("my-fn", "256")
    assert result["arn"] == "arn:aws:lambda:us-east-1:123456789012:function:my-fn"
    assert 0 < result["remaining_ms"] <= 5000
    env = result["env"]
    assert env["_HANDLER"] == "emu_handlers.echo"
    assert env["LAMBDA_TASK_ROOT"].endswith("handlers")
    assert env["AWS_LAMBDA_RUNTIME_API"].startswith("127.0.0.1:")
    assert (env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"], env["AWS_LAMBDA_FUNCTION_VERSION"]) == (
        "256",
        "$LATEST",
    )
    assert (env["AWS_REGION"], env["AWS_DEFAULT_REGION"]) == ("us-east-1", "us-east-1")
    assert env["AWS_LAMBDA_LOG_GROUP_NAME"] == "/aws/lambda/my-fn"
    assert "[$LATEST]" in env["AWS_LAMBDA_LOG_STREAM_NAME"]
    assert env["AWS_ACCESS_KEY_ID"] and env["AWS_SECRET_ACCESS_KEY"] and env["AWS_SESSION_TOKEN"]
    assert (env["TZ"], env["EXTRA"]) == (":UTC", "on")


def test_a_function_error_is_200_with_x_amz_function_error(start_emulator: StartEmulator) -> None:
    emulator = start_emulator("fail_before")
    with closing_client(emulator) as client:
        response = client.invoke(FunctionName="function")
    assert (response["StatusCode"], response["FunctionError"]) == (200, "Unhandled")
    error = json.loads(response["Payload"].read())
    assert error["errorType"] == "KeyError"


def test_stream_chunks_arrive_as_payload_chunks_then_invoke_complete(
    start_emulator: StartEmulator,
) -> None:
    emulator = start_emulator("chunks")
    with closing_client(emulator) as client:
        response = client.invoke_with_response_stream(FunctionName="function", Payload=b"{}")
        events = list(response["EventStream"])
    assert response["ExecutedVersion"] == "$LATEST"
    chunks = [e["PayloadChunk"]["Payload"] for e in events if "PayloadChunk" in e]
    assert chunks == [f"chunk-{i};".encode() for i in range(5)]  # one event per runtime write
    assert events[-1] == {"InvokeComplete": {}}


def test_a_mid_stream_exception_reaches_boto3_as_invoke_complete_error_code(
    start_emulator: StartEmulator,
) -> None:
    emulator = start_emulator("fail_mid_stream")
    with closing_client(emulator) as client:
        events = list(client.invoke_with_response_stream(FunctionName="function")["EventStream"])
    assert events[0] == {"PayloadChunk": {"Payload": b"partial "}}
    complete = events[-1]["InvokeComplete"]
    assert complete["ErrorCode"] == "Function.ValueError"
    details = json.loads(complete["ErrorDetails"])
    assert details["errorType"] == "ValueError"
    assert details["errorMessage"] == "broke after the first byte"


def test_an_error_before_the_first_byte_is_an_invoke_complete_too(
    start_emulator: StartEmulator,
) -> None:
    emulator = start_emulator("fail_before")
    with closing_client(emulator) as client:
        events = list(client.invoke_with_response_stream(FunctionName="function")["EventStream"])
    [complete] = events
    assert complete["InvokeComplete"]["ErrorCode"] == "Function.KeyError"
    assert json.loads(complete["InvokeComplete"]["ErrorDetails"])["errorType"] == "KeyError"


@pytest.mark.parametrize("handler", ["chunks", "http_stream", "http_shape", "echo"])
def test_buffered_and_streaming_invokes_give_the_same_bytes(
    start_emulator: StartEmulator, handler: str
) -> None:
    emulator = start_emulator(handler)
    payload = b'{"same": "event"}'
    with closing_client(emulator) as client:
        buffered = client.invoke(FunctionName="function", Payload=payload)["Payload"].read()
        events = client.invoke_with_response_stream(FunctionName="function", Payload=payload)[
            "EventStream"
        ]
        streamed = b"".join(e["PayloadChunk"]["Payload"] for e in events if "PayloadChunk" in e)
    if handler == "echo":  # the context differs per invocation; the event does not
        assert json.loads(buffered)["event"] == json.loads(streamed)["event"]
    else:
        assert buffered == streamed
    if handler == "http_stream":  # Invoke callers see the prelude verbatim (protocol doc §2.4)
        assert (
            buffered.startswith(b'{"statusCode":418')
            and b"\0" * 8 + b"short and stout\n" in buffered
        )


def test_log_type_tail_returns_the_last_4_kb_of_the_log(start_emulator: StartEmulator) -> None:
    emulator = start_emulator("log_and_return")
    with closing_client(emulator) as client:
        response = client.invoke(FunctionName="function", LogType="Tail")
    log_text = base64.b64decode(response["LogResult"]).decode()
    assert f"START RequestId: {response['ResponseMetadata']['RequestId']}" in log_text
    assert "hello from the handler" in log_text


def test_event_invocations_return_202_and_run_in_the_background(
    start_emulator: StartEmulator, tmp_path: Path
) -> None:
    emulator = start_emulator("touch")
    marker = tmp_path / "ran"
    with closing_client(emulator) as client:
        response = client.invoke(
            FunctionName="function",
            InvocationType="Event",
            Payload=json.dumps({"path": str(marker)}),
        )
        assert response["StatusCode"] == 202
    for _ in range(400):  # hang guard: the background invocation writes the marker
        if marker.exists() and marker.read_text():
            break
        time.sleep(0.05)
    assert marker.read_text() == response["ResponseMetadata"]["RequestId"]


def test_dry_run_is_204(start_emulator: StartEmulator) -> None:
    emulator = start_emulator("echo")
    with closing_client(emulator) as client:
        assert client.invoke(FunctionName="function", InvocationType="DryRun")["StatusCode"] == 204


@pytest.mark.parametrize(
    "name",
    [
        "fn",
        "fn:$LATEST",
        "arn:aws:lambda:us-east-1:123456789012:function:fn",
        "123456789012:function:fn",
    ],
)
def test_function_names_arns_and_latest_qualifier(start_emulator: StartEmulator, name: str) -> None:
    emulator = start_emulator("echo", function_name="fn")
    with closing_client(emulator) as client:
        assert client.invoke(FunctionName=name)["StatusCode"] == 200


@pytest.mark.parametrize("name", ["other", "fn:prod", "fn:1"])
def test_unknown_functions_and_qualifiers_are_resource_not_found(
    start_emulator: StartEmulator, name: str
) -> None:
    emulator = start_emulator("echo", function_name="fn")
    with closing_client(emulator) as client, pytest.raises(ClientError) as raised:
        client.invoke(FunctionName=name)
    error = raised.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert error["Error"]["Code"] == "ResourceNotFoundException"
    assert "Function not found" in error["Error"]["Message"]
    with (
        closing_client(emulator) as client,
        pytest.raises(client.exceptions.ResourceNotFoundException),
    ):
        client.invoke_with_response_stream(FunctionName=name)


def test_client_context_reaches_the_runtime(start_emulator: StartEmulator) -> None:
    emulator = start_emulator("echo")
    context = base64.b64encode(json.dumps({"custom": {"k": "v"}}).encode()).decode()
    with closing_client(emulator) as client:
        assert client.invoke(FunctionName="function", ClientContext=context)["StatusCode"] == 200
    with Client(emulator.invoke_endpoint.removeprefix("http://")) as raw:
        raw.request(
            "POST",
            "/2015-03-31/functions/function/invocations",
            [("X-Amz-Client-Context", "%%%")],
            b"{}",
        )
        response = raw.response()
    assert response.status == 400
    assert response.header("x-amzn-errortype") == "InvalidRequestContentException"

"""The fake Bedrock on the real wire: botocore's parser and service model are the oracle."""

import json
import subprocess
import sys
import threading
import urllib.request
from typing import Any

import botocore.session
import pytest
from botocore.exceptions import ClientError, EventStreamError
from botocore.model import Shape

from emulator.bedrock import FakeBedrock
from lambda_streaming.bedrock import BedrockStreamError, Usage, converse_text, invoke_text
from tests.functional.bedrock.conftest import bedrock_client
from tests.unit.bedrock import recorded

CLAUDE = "anthropic.claude-3-haiku-20240307-v1:0"
NOVA = "us.amazon.nova-lite-v1:0"
LLAMA = "meta.llama3-8b-instruct-v1:0"
JA_ANSWER = "こんにちは!ローカルの疑似 Bedrock です。今日はどのようなお手伝いができますか?"
SERVICE = botocore.session.get_session().get_service_model("bedrock-runtime")


def native_body(model_id: str, prompt: str, max_tokens: int = 1000) -> str:
    if model_id == CLAUDE:
        body: dict[str, Any] = {
            "anthropic_version": "bedrock-2023-05-31",
            "max_tokens": max_tokens,
            "messages": [{"role": "user", "content": [{"type": "text", "text": prompt}]}],
        }
    elif model_id == NOVA:
        body = {
            "messages": [{"role": "user", "content": [{"text": prompt}]}],
            "inferenceConfig": {"maxTokens": max_tokens},
        }
    else:
        body = {"prompt": prompt, "max_gen_len": max_tokens}
    return json.dumps(body)


def user(prompt: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": [{"text": prompt}]}]


# --- Shapes against botocore's service model ----------------------------------------------


def assert_matches_shape(value: Any, shape: Shape, path: str = "$") -> None:
    """Every key the fake sent is a member of the modelled shape, with the right JSON type."""
    kind = shape.type_name
    if shape.metadata.get("document"):
        return  # a Document (e.g. toolUse.input): any JSON value
    if kind == "structure":
        assert isinstance(value, dict), path
        members = shape.members  # type: ignore[attr-defined]
        assert set(value) <= set(members), (
            f"{path}: {set(value) - set(members)} not in {shape.name}"
        )
        for name in shape.required_members:  # type: ignore[attr-defined]
            assert name in value, f"{path}: required {name} missing"
        if shape.is_tagged_union:  # type: ignore[attr-defined]
            assert len(value) == 1, path
        for name, item in value.items():
            assert_matches_shape(item, members[name], f"{path}.{name}")
    elif kind == "list":
        assert isinstance(value, list), path
        for index, item in enumerate(value):
            assert_matches_shape(item, shape.member, f"{path}[{index}]")  # type: ignore[attr-defined]
    elif kind in ("integer", "long"):
        assert isinstance(value, int), path
    elif kind == "string":
        assert isinstance(value, str), path
        if shape.enum:
            assert value in shape.enum, f"{path}: {value!r} not in {shape.enum}"


def raw_post(url: str, model_id: str, action: str, body: Any, **headers: str) -> tuple[int, Any]:
    request = urllib.request.Request(
        f"{url}/model/{model_id}/{action}",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **headers},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, {"body": json.loads(error.read()), "headers": dict(error.headers)}


def test_converse_response_matches_the_service_model(fake_bedrock: FakeBedrock) -> None:
    status, body = raw_post(fake_bedrock.url, CLAUDE, "converse", {"messages": user("hi")})
    assert status == 200
    assert_matches_shape(body, SERVICE.operation_model("Converse").output_shape)


def test_converse_stream_events_match_the_service_model(client: Any) -> None:
    output = SERVICE.operation_model("ConverseStream").output_shape.members["stream"]
    events = list(client.converse_stream(modelId=NOVA, messages=user("What is Lambda?"))["stream"])
    kinds = [next(iter(event)) for event in events]
    assert kinds[0] == "messageStart" and kinds[-3:] == [
        "contentBlockStop",
        "messageStop",
        "metadata",
    ]
    for event in events:
        assert_matches_shape(event, output)


@pytest.mark.parametrize(
    ("model_id", "expected"),
    [
        (CLAUDE, recorded.INVOKE_ANTHROPIC),
        (NOVA, recorded.INVOKE_NOVA),
        (LLAMA, recorded.INVOKE_LLAMA),
    ],
)
def test_invoke_stream_chunks_have_the_documented_native_shapes(
    client: Any, model_id: str, expected: list[str]
) -> None:
    response = client.invoke_model_with_response_stream(
        modelId=model_id, body=native_body(model_id, "hi")
    )
    assert response["contentType"] == "application/json"
    sent = [json.loads(event["chunk"]["bytes"]) for event in response["body"]]

    def outline(chunk: dict[str, Any]) -> tuple[Any, ...]:
        # The kind of chunk and the keys at its first two levels: the shape, not the values.
        inner = {k: sorted(v) if isinstance(v, dict) else None for k, v in chunk.items()}
        return tuple(sorted((k, tuple(v) if v else None) for k, v in inner.items()))

    documented = {outline(json.loads(chunk)) for chunk in expected}
    assert {outline(chunk) for chunk in sent} <= documented
    assert outline(sent[-1]) == outline(json.loads(expected[-1]))


def test_invoke_model_answers_like_the_article(client: Any) -> None:
    response = client.invoke_model(modelId=CLAUDE, body=native_body(CLAUDE, "こんにちは"))
    body = json.loads(response["body"].read())
    assert body["type"] == "message" and body["role"] == "assistant"
    assert body["content"] == [{"type": "text", "text": JA_ANSWER}]
    assert body["stop_reason"] == "end_turn" and body["stop_sequence"] is None
    assert body["usage"]["output_tokens"] > 0 and body["model"] == "claude-3-haiku-20240307"
    headers = response["ResponseMetadata"]["HTTPHeaders"]
    assert headers["x-amzn-bedrock-output-token-count"] == str(body["usage"]["output_tokens"])


# --- Our helpers on what boto3 really yields ------------------------------------------------


@pytest.mark.parametrize("model_id", [CLAUDE, NOVA, LLAMA])
def test_invoke_text_reads_each_family_from_boto3(client: Any, model_id: str) -> None:
    response = client.invoke_model_with_response_stream(
        modelId=model_id, body=native_body(model_id, "こんにちは")
    )
    text = invoke_text(response)
    assert list(text)[:2] == ["こん", "にち"]
    assert text.stop_reason in ("end_turn", "stop")
    assert text.usage is not None and text.usage.output_tokens == 23


def test_converse_text_from_boto3_with_truncation(client: Any) -> None:
    response = client.converse_stream(
        modelId=CLAUDE, messages=user("Tell me a story"), inferenceConfig={"maxTokens": 4}
    )
    text = converse_text(response)
    assert text.read() == 'You asked: "Tell me'
    assert text.stop_reason == "max_tokens"
    assert text.usage == Usage(input_tokens=text.usage.input_tokens, output_tokens=4)  # type: ignore[union-attr]


def test_english_answers_for_english_prompts_and_deterministic(client: Any) -> None:
    first = client.converse(modelId=CLAUDE, messages=user("What is AWS Lambda?"))
    second = client.converse(modelId=CLAUDE, messages=user("What is AWS Lambda?"))
    text = first["output"]["message"]["content"][0]["text"]
    assert text.startswith('You asked: "What is AWS Lambda?"')
    assert text == second["output"]["message"]["content"][0]["text"]
    assert first["stopReason"] == "end_turn"


# --- Failure injection ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "status", "code"),
    [
        ("throttle", 429, "ThrottlingException"),
        ("invalid", 400, "ValidationException"),
        ("unavailable", 503, "ServiceUnavailableException"),
        ("internal", 500, "InternalServerException"),
        ("timeout", 408, "ModelTimeoutException"),
        ("denied", 403, "AccessDeniedException"),
    ],
)
@pytest.mark.parametrize("operation", ["converse_stream", "invoke_model_with_response_stream"])
def test_pre_stream_faults_by_marker_are_modelled_errors(
    client: Any, fault: str, status: int, code: str, operation: str
) -> None:
    prompt = f"hello [[bedrock:{fault}]]"
    with pytest.raises(ClientError) as caught:
        if operation == "converse_stream":
            client.converse_stream(modelId=CLAUDE, messages=user(prompt))
        else:
            client.invoke_model_with_response_stream(
                modelId=CLAUDE, body=native_body(CLAUDE, prompt)
            )
    assert caught.value.response["Error"]["Code"] == code
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == status
    assert isinstance(caught.value, getattr(client.exceptions, code))


def test_fault_by_header(fake_bedrock: FakeBedrock) -> None:
    status, answer = raw_post(
        fake_bedrock.url,
        CLAUDE,
        "converse",
        {"messages": user("hi")},
        **{"X-Fake-Bedrock-Fault": "throttle"},
    )
    assert status == 429
    assert answer["headers"]["x-amzn-ErrorType"].startswith("ThrottlingException:")
    assert "please wait" in answer["body"]["message"]


@pytest.mark.parametrize(
    "exception",
    [
        "modelStreamErrorException",
        "throttlingException",
        "validationException",
        "internalServerException",
        "serviceUnavailableException",
    ],
)
@pytest.mark.parametrize("model_id", [CLAUDE, NOVA, LLAMA])
def test_mid_stream_exception_after_n_tokens(client: Any, exception: str, model_id: str) -> None:
    prompt = f"こんにちは [[bedrock:fail-after=3:{exception}]]"
    response = client.invoke_model_with_response_stream(
        modelId=model_id, body=native_body(model_id, prompt)
    )
    text = invoke_text(response)
    received = []
    with pytest.raises(BedrockStreamError) as caught:
        received.extend(text)
    assert received == ["こん", "にち", "は!"]
    assert caught.value.code == exception
    assert isinstance(caught.value.__cause__, EventStreamError)


def test_model_stream_error_carries_the_original_status(client: Any) -> None:
    response = client.converse_stream(modelId=CLAUDE, messages=user("hi [[bedrock:fail-after=0]]"))
    with pytest.raises(EventStreamError) as caught:
        list(response["stream"])
    response["stream"].close()  # botocore leaves the connection open after raising
    assert caught.value.response["Error"]["Code"] == "modelStreamErrorException"


def test_fail_after_on_a_buffered_operation_is_a_model_error(client: Any) -> None:
    with pytest.raises(client.exceptions.ModelErrorException):
        client.converse(modelId=CLAUDE, messages=user("hi [[bedrock:fail-after=2]]"))


@pytest.mark.parametrize(
    ("model_id", "body", "message"),
    [
        (CLAUDE, {"messages": user("hi")}, "required key [anthropic_version]"),
        (LLAMA, {"max_gen_len": 5}, "required key [prompt]"),
        (NOVA, {"messages": []}, "non-empty list"),
        ("ai21.jamba-1-5-large-v1:0", {"messages": user("hi")}, "use Converse"),
        (
            CLAUDE,
            {"messages": user("hi [[bedrock:bogus]]"), "anthropic_version": "x", "max_tokens": 9},
            "bogus",
        ),
    ],
)
def test_invalid_requests_are_validation_exceptions(
    client: Any, model_id: str, body: dict[str, Any], message: str
) -> None:
    with pytest.raises(client.exceptions.ValidationException, match=message.replace("[", r"\[")):
        client.invoke_model(modelId=model_id, body=json.dumps(body))


def test_non_json_body_and_unknown_route(fake_bedrock: FakeBedrock, client: Any) -> None:
    with pytest.raises(client.exceptions.ValidationException, match="invalid JSON"):
        client.invoke_model(modelId=CLAUDE, body=b"{not json")
    status, _ = raw_post(fake_bedrock.url, CLAUDE, "nope", {})
    assert status == 404


def test_hold_after_proves_tokens_reach_the_client_before_the_stream_ends(
    fake_bedrock: FakeBedrock, client: Any
) -> None:
    response = client.converse_stream(
        modelId=CLAUDE, messages=user("hello [[bedrock:hold-after=2]]")
    )
    events = iter(response["stream"])
    first = [next(events) for _ in range(3)]  # messageStart + two tokens, while the fake waits
    assert [e.get("contentBlockDelta", {}).get("delta", {}).get("text") for e in first] == [
        None,
        "Hello!",
        " I",
    ]
    assert not fake_bedrock._server.release_event.is_set()
    fake_bedrock.release()
    rest = list(events)
    assert rest[-1]["metadata"]["usage"]["outputTokens"] == 13


def test_concurrent_streams_are_served_independently(fake_bedrock: FakeBedrock) -> None:
    results: dict[int, str] = {}

    def ask(index: int) -> None:
        client = bedrock_client(fake_bedrock.url)
        response = client.converse_stream(modelId=CLAUDE, messages=user(f"question {index}"))
        results[index] = converse_text(response).read()
        client.close()

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(results) == [0, 1, 2, 3]
    assert all(f'"question {i}"' in results[i] for i in range(4))


def test_requests_are_recorded_for_assertions(fake_bedrock: FakeBedrock, client: Any) -> None:
    client.converse(
        modelId=CLAUDE,
        messages=user("hi"),
        inferenceConfig={"maxTokens": 7},
    )
    (entry,) = fake_bedrock.requests
    assert entry["operation"] == "Converse" and entry["modelId"] == CLAUDE
    assert entry["body"]["inferenceConfig"] == {"maxTokens": 7}


def test_command_line_serves_until_terminated() -> None:
    with subprocess.Popen(
        [sys.executable, "-m", "emulator.bedrock", "--port", "0", "--token-delay", "0"],
        stdout=subprocess.PIPE,
        text=True,
    ) as process:
        try:
            assert process.stdout is not None
            line = process.stdout.readline()
            assert line.startswith("Fake Bedrock: http://127.0.0.1:")
            url = line.split(": ", 1)[1].strip()
            status, body = raw_post(url, CLAUDE, "converse", {"messages": user("こんにちは")})
            assert status == 200
            assert body["output"]["message"]["content"][0]["text"] == JA_ANSWER
        finally:
            process.terminate()
            process.wait(timeout=10)

"""The runtime process around the handler: context, trace id, bad setups, a broken Runtime API."""

from __future__ import annotations

import json
import socket

import pytest

from tests.functional.conftest import HANDLERS
from tests.functional.fake_runtime_api import FakeRuntimeApi


def test_context_carries_every_next_header(api: FakeRuntimeApi, start_runtime) -> None:
    request_id = api.push(
        {},
        headers={
            "Lambda-Runtime-Client-Context": json.dumps({"custom": {"k": "v"}, "env": {"e": "1"}}),
            "Lambda-Runtime-Cognito-Identity": json.dumps(
                {"cognitoIdentityId": "i", "cognitoIdentityPoolId": "p"}
            ),
            "Lambda-Runtime-Aws-Tenant-Id": "tenant-42",
        },
    )
    runtime = start_runtime("plain.context_fields")
    (post,) = api.wait_for("POST", f"/{request_id}/response")
    fields = post.json
    assert fields["aws_request_id"] == request_id
    assert fields["function_name"] == "test-function"
    assert fields["function_version"] == "$LATEST"
    assert fields["memory_limit_in_mb"] == "512"
    assert fields["invoked_function_arn"] == "arn:aws:lambda:us-east-1:123456789012:function:test"
    assert fields["log_group_name"] == "/aws/lambda/test-function"
    assert fields["tenant_id"] == "tenant-42"
    assert fields["identity"] == ["i", "p"]
    assert fields["client_context"] == {"custom": {"k": "v"}, "env": {"e": "1"}}
    runtime.stop()


def test_remaining_time_counts_down_from_the_deadline(api: FakeRuntimeApi, start_runtime) -> None:
    request_id = api.push({}, deadline_in=30.0)
    runtime = start_runtime("basic.remaining_ms")
    (post,) = api.wait_for("POST", f"/{request_id}/response")
    assert 25_000 < post.json <= 30_000
    runtime.stop()


def test_trace_id_is_set_per_invocation_and_removed_when_absent(
    api: FakeRuntimeApi, start_runtime
) -> None:
    first = api.push({}, headers={"Lambda-Runtime-Trace-Id": "Root=1-a;Sampled=1"})
    second = api.push({}, headers={"Lambda-Runtime-Trace-Id": ""})
    third = api.push({}, headers={"Lambda-Runtime-Trace-Id": "Root=1-b;Sampled=0"})
    runtime = start_runtime("basic.trace_id", env={"_X_AMZN_TRACE_ID": "stale-from-environment"})
    posts = api.wait_for("POST", "/response", count=3)
    seen = {p.target.split("/")[-2]: p.json for p in posts}
    assert seen == {first: "Root=1-a;Sampled=1", second: None, third: "Root=1-b;Sampled=0"}
    runtime.stop()


def test_malformed_client_context_is_a_context_unmarshal_error(
    api: FakeRuntimeApi, start_runtime
) -> None:
    request_id = api.push({}, headers={"Lambda-Runtime-Client-Context": "{not json"})
    runtime = start_runtime("basic.echo")
    (error,) = api.wait_for("POST", f"/{request_id}/error")
    assert error.json["errorType"] == "Runtime.LambdaContextUnmarshalError"
    assert error.json["errorMessage"].startswith("Unable to parse Client Context JSON:")
    runtime.stop()


def test_event_that_is_not_json_is_an_unmarshal_error(api: FakeRuntimeApi, start_runtime) -> None:
    request_id = api.push(b"{truncated", headers={"Content-Type": "application/json"})
    runtime = start_runtime("basic.node_style")
    (error,) = api.wait_for("POST", f"/{request_id}/error")
    assert error.json["errorType"] == "Runtime.UnmarshalError"
    assert error.header("lambda-runtime-function-error-type") == "Runtime.UnmarshalError"
    runtime.stop()


def test_handler_that_is_not_callable_fails_at_init(api: FakeRuntimeApi, start_runtime) -> None:
    runtime = start_runtime("plain.not_a_function")
    code, output = runtime.wait()
    assert code == 1
    (error,) = api.wait_for("POST", "/runtime/init/error")
    assert error.header("lambda-runtime-function-error-type") == "Runtime.HandlerNotFound"
    assert (
        error.json["errorMessage"]
        == "Handler 'not_a_function' on module 'plain' is a int, not a function"
    )
    assert "Runtime.HandlerNotFound" in output


def test_streaming_handler_with_a_wrong_signature_fails_at_init(
    api: FakeRuntimeApi, start_runtime, tmp_path
) -> None:
    (tmp_path / "wrong.py").write_text(
        "from lambda_streaming import streamify_response\n"
        "@streamify_response\n"
        "def handler(event):\n"
        "    return 'x'\n"
    )
    runtime = start_runtime("wrong.handler", env={"LAMBDA_TASK_ROOT": str(tmp_path)})
    code, _ = runtime.wait()
    assert code == 1
    (error,) = api.wait_for("POST", "/runtime/init/error")
    assert error.json["errorType"] == "TypeError"
    assert "handler(event, response_stream, context)" in error.json["errorMessage"]


def test_missing_handler_setting_is_reported_and_exits(api: FakeRuntimeApi, start_runtime) -> None:
    runtime = start_runtime("", env={"_HANDLER": ""})
    code, output = runtime.wait()
    assert code == 1
    assert "_HANDLER is not set" in output


def test_refused_runtime_api_exits_non_zero_with_a_clear_message(start_runtime) -> None:
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    runtime = start_runtime("basic.echo", env={"AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{port}"})
    code, output = runtime.wait()
    assert code == 2
    assert "connection refused" in output
    assert f"127.0.0.1:{port}" in output


@pytest.mark.parametrize(
    ("address", "message"),
    [("no-port-here", "is not host:port"), ("runtime-api.invalid:9001", "cannot resolve")],
)
def test_unusable_runtime_api_address_exits_with_a_clear_message(
    start_runtime, address: str, message: str
) -> None:
    runtime = start_runtime("basic.echo", env={"AWS_LAMBDA_RUNTIME_API": address})
    code, output = runtime.wait()
    assert code == 2
    assert message in output


def test_non_2xx_from_next_exits_non_zero(api: FakeRuntimeApi, start_runtime) -> None:
    api.answers[("GET", "/next")] = (500, b'{"errorType":"Internal"}')
    runtime = start_runtime("basic.echo")
    code, output = runtime.wait()
    assert code == 2
    assert "answered 500" in output


def test_rejected_stream_is_logged_and_the_loop_goes_on(api: FakeRuntimeApi, start_runtime) -> None:
    api.answers[("POST", "/response")] = (400, b'{"errorType":"InvalidRequestID"}')
    api.push({"parts": ["a"]})
    runtime = start_runtime("basic.node_style")
    api.wait_for("GET", "/next", count=2)
    assert runtime.process.poll() is None
    output = runtime.stop()
    assert "Lambda refused the streamed response with 400" in output
    assert "InvalidRequestID" in output


def test_oversize_buffered_response_is_logged_and_the_loop_goes_on(
    api: FakeRuntimeApi, start_runtime
) -> None:
    api.answers[("POST", "/response")] = (413, b'{"errorType":"RequestEntityTooLarge"}')
    api.push({"big": "x"})
    runtime = start_runtime("basic.echo")
    api.wait_for("GET", "/next", count=2)
    output = runtime.stop()
    assert "refused the response with 413" in output and "size limit" in output
    assert "streamify_response" in output


def test_silent_runtime_api_does_not_hang_the_runtime(api: FakeRuntimeApi, start_runtime) -> None:
    api.answers[("POST", "/response")] = (0, b"")  # accept the body, never answer
    api.push({"parts": ["a"]}, deadline_in=-4.5)  # deadline passed: wait only the grace period
    runtime = start_runtime("basic.node_style")
    code, output = runtime.wait(timeout=15)
    assert code == 2
    assert "no answer before the invocation's deadline" in output


def test_handlers_dir_is_the_task_root() -> None:
    assert (HANDLERS / "basic.py").exists()

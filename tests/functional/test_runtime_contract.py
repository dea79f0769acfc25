"""Lambda's current Runtime API contract, on the real bootstrap against a loopback Runtime API.

The invocation-id nonce echoed on every answer; a warm process that carries on after Lambda
refuses an answer (413, 410, 400) or closes an idle connection; init errors reported for bad
configuration; the stream's state machine refusing a call before anything is sent; one error
type on every channel; JSON logs; layers on the import path.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.functional.conftest import BOOTSTRAP, Runtime
from tests.functional.fake_runtime_api import FakeRuntimeApi

NONCE = "Lambda-Runtime-Invocation-Id"


def _pid_of(runtime: Runtime) -> int:
    return runtime.process.pid  # bootstrap execs Python: the process keeps this pid


@pytest.mark.parametrize(
    ("handler", "answer"),
    [
        ("contract.process", "/response"),
        ("contract.stream_pid", "/response"),
        ("basic.raises", "/error"),
    ],
)
def test_the_nonce_is_echoed_on_each_answer_and_absent_when_lambda_sent_none(
    api: FakeRuntimeApi, start_runtime, handler: str, answer: str
) -> None:
    with_nonce = api.push({}, headers={NONCE: "nonce-one"})
    without = api.push({})
    third = api.push({}, headers={NONCE: "nonce-three"})
    start_runtime(handler)
    posts = {
        request_id: api.wait_for("POST", f"/{request_id}{answer}")[0]
        for request_id in (with_nonce, without, third)
    }
    assert posts[with_nonce].header_lines(NONCE) == ["nonce-one"]
    assert posts[without].header_lines(NONCE) == []
    assert posts[third].header_lines(NONCE) == ["nonce-three"]


def test_a_stream_refused_with_413_is_logged_and_the_same_process_serves_on(
    api: FakeRuntimeApi, start_runtime
) -> None:
    api.stream_cap = 256 * 1024
    refused = api.push({"size": 65536, "count": 64})
    after = api.push({})
    runtime = start_runtime("contract.stream_bytes")
    (post,) = api.wait_for("POST", f"/{refused}/response")
    assert post.broken and "413" in post.broken
    (next_post,) = api.wait_for("POST", f"/{after}/response")
    assert next_post.body == f"pid={_pid_of(runtime)}".encode()
    assert runtime.process.poll() is None
    output = runtime.stop()
    refusals = [line for line in output.splitlines() if "413" in line]
    assert len(refusals) == 1, output  # logged once, with the request id and Lambda's body
    assert refused in refusals[0] and "Function.ResponseSizeTooLarge" in refusals[0]
    assert "200 MiB" in refusals[0]


@pytest.mark.parametrize("handler", ["contract.process", "contract.stream_pid"])
def test_a_late_answer_refused_with_410_is_logged_and_the_loop_goes_on(
    api: FakeRuntimeApi, start_runtime, handler: str
) -> None:
    api.answers[("POST", "/response")] = (410, b'{"errorType":"ErrorRuntimeInvokeTimeout"}')
    late = api.push({})
    second = api.push({})
    runtime = start_runtime(handler)
    api.wait_for("POST", f"/{second}/response")
    api.wait_for("GET", "/next", count=3)
    assert runtime.process.poll() is None
    output = runtime.stop()
    (line,) = [line for line in output.splitlines() if late in line]
    assert "410" in line and "deadline" in line and "ErrorRuntimeInvokeTimeout" in line


def test_a_rejected_error_report_is_logged_and_the_loop_goes_on(
    api: FakeRuntimeApi, start_runtime
) -> None:
    api.answers[("POST", "/error")] = (400, b'{"errorType":"InvalidRequestID"}')
    first = api.push({})
    runtime = start_runtime("basic.raises")
    api.wait_for("POST", f"/{first}/error")
    api.wait_for("GET", "/next", count=2)
    output = runtime.stop()
    assert "Lambda refused the error report with 400" in output
    assert "InvalidRequestID" in output


@pytest.mark.parametrize("handler", ["contract.process", "contract.stream_pid"])
def test_an_idle_connection_closed_by_the_runtime_api_is_reopened(
    api: FakeRuntimeApi, start_runtime, handler: str
) -> None:
    api.close_after_answer = True
    ids = [api.push({}) for _ in range(3)]
    runtime = start_runtime(handler)
    answers = [api.wait_for("POST", f"/{request_id}/response")[0] for request_id in ids]
    assert all(post.complete for post in answers)
    assert runtime.process.poll() is None
    assert "Runtime.ApiError" not in runtime.stop()


def test_a_stream_cut_without_an_answer_is_logged_and_the_loop_goes_on(
    api: FakeRuntimeApi, start_runtime
) -> None:
    api.reset_after_chunks = 1
    cut = api.push({"size": 65536, "count": 200})
    runtime = start_runtime("contract.stream_bytes")
    api.wait_for("POST", f"/{cut}/response")
    api.reset_after_chunks = None
    after = api.push({})
    (post,) = api.wait_for("POST", f"/{after}/response")
    assert post.body == f"pid={_pid_of(runtime)}".encode()
    output = runtime.stop()
    assert "did not reach Lambda" in output and "reset" in output


def test_a_configuration_error_is_reported_to_init_error(
    api: FakeRuntimeApi, start_runtime
) -> None:
    runtime = start_runtime("", env={"_HANDLER": ""})
    code, output = runtime.wait()
    assert code == 1
    (report,) = api.wait_for("POST", "/runtime/init/error")
    assert report.header("Lambda-Runtime-Function-Error-Type") == "Runtime.InvalidEnvironment"
    assert "_HANDLER is not set" in report.json["errorMessage"]
    assert "_HANDLER is not set" in output


def test_set_content_type_after_from_stream_fails_before_anything_is_sent(
    api: FakeRuntimeApi, start_runtime
) -> None:
    request_id = api.push({})
    start_runtime("contract.content_type_after_from_stream")
    (error,) = api.wait_for("POST", f"/{request_id}/error")
    assert error.header("Lambda-Runtime-Function-Error-Type") == (
        "Runtime.InvalidStreamingOperation"
    )
    message = error.json["errorMessage"]
    assert "set_content_type()" in message and "HTTP metadata set" in message
    assert "'content-type' in its headers" in message
    assert not [r for r in api.requests if r.target.endswith(f"/{request_id}/response")]


def test_the_sse_error_event_and_the_trailer_name_the_failure_alike(
    api: FakeRuntimeApi, start_runtime
) -> None:
    request_id = api.push({})
    start_runtime("contract.sse_fails")
    (post,) = api.wait_for("POST", f"/{request_id}/response")
    trailer_type = post.trailer("Lambda-Runtime-Function-Error-Type")
    event_lines = [line for line in post.body.decode().splitlines() if line.startswith("data: {")]
    sse_error = json.loads(event_lines[-1].removeprefix("data: "))
    assert trailer_type == sse_error["errorType"] == "Function.HTTP2_error"
    body = json.loads(base64.b64decode(post.trailer("Lambda-Runtime-Function-Error-Body") or ""))
    assert body["errorType"] == "HTTP2_error"


def test_json_logs_are_one_record_per_line_with_the_request_id(
    api: FakeRuntimeApi, start_runtime
) -> None:
    api.answers[("POST", "/response")] = (410, b'{"errorType":"ErrorRuntimeInvokeTimeout"}')
    failed = api.push({})
    runtime = start_runtime("contract.fails_mid_stream", env={"AWS_LAMBDA_LOG_FORMAT": "JSON"})
    api.wait_for("POST", f"/{failed}/response")
    api.wait_for("GET", "/next", count=2)
    records = [json.loads(line) for line in runtime.stop().splitlines() if line]
    assert records, "the runtime logged nothing"
    assert {record["requestId"] for record in records} == {failed}
    assert all({"timestamp", "level"} <= set(record) for record in records)
    error = next(r for r in records if r.get("errorType") == "RuntimeError")
    assert error["errorMessage"] == "after the first byte" and error["stackTrace"]
    refusal = next(r for r in records if "410" in r.get("message", ""))
    assert refusal["level"] == "ERROR"


def test_log_level_hides_the_runtimes_lines_below_it(api: FakeRuntimeApi, start_runtime) -> None:
    api.push({})
    runtime = start_runtime("contract.returns_a_value", env={"AWS_LAMBDA_LOG_LEVEL": "ERROR"})
    api.wait_for("GET", "/next", count=2)
    assert "WARNING" not in runtime.stop()


@pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap: scripts/setup.sh")
def test_a_module_from_a_layer_imports(api: FakeRuntimeApi, tmp_path: Path) -> None:
    layer = tmp_path / "opt"
    version = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    site = layer / "python" / "lib" / version / "site-packages"
    site.mkdir(parents=True)
    (layer / "python" / "layer_module.py").write_text("WHERE = 'python'\n")
    (site / "layer_module.py").write_text("WHERE = 'site-packages'\n")
    request_id = api.push({})
    runtime = Runtime(api, "contract.from_layer", None)
    runtime.process.kill()  # replaced by the same command inside a namespace with /opt bound
    runtime.process.communicate()
    command = ["bwrap", "--dev-bind", "/", "/", "--bind", str(layer), "/opt", str(BOOTSTRAP)]
    environ = runtime.environ
    with subprocess.Popen(command, env=environ, cwd=environ["LAMBDA_TASK_ROOT"]) as process:
        try:
            (post,) = api.wait_for("POST", f"/{request_id}/response")
        finally:
            process.kill()
    # Lambda's order: the version's site-packages before /opt/python (packaging-layers.html).
    assert post.json == {"layer": "site-packages"}

"""The same buffered handlers under awslambdaric and under our runtime: the wire must match.

awslambdaric runs as on the managed python3.13 runtime (AWS_EXECUTION_ENV set), each runtime
against its own loopback Runtime API, fed the same events; what each posted is compared.
Deliberate differences (documented in the README) are asserted as such.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.functional.conftest import BOOTSTRAP, HANDLERS
from tests.functional.fake_runtime_api import FakeRuntimeApi, Recorded

CLIENT_CONTEXT = json.dumps(
    {
        "custom": {"k": "v"},
        "env": {"platform": "test"},
        "client": {"app_title": "t"},
        "w3c": {"traceparent": "00-abc-def-01", "other": "dropped"},
    }
)
COGNITO = json.dumps({"cognitoIdentityId": "id-1", "cognitoIdentityPoolId": "pool-1"})

HANDLERS_UNDER_TEST = [
    "return_dict",
    "return_list",
    "return_str",
    "return_none",
    "return_decimal",
    "return_unicode",
    "return_bytes",
    "return_unserialisable",
    "return_set",
    "raises",
    "raises_custom",
    "context_fields",
]


def _environ(api: FakeRuntimeApi, handler: str) -> dict[str, str]:
    return {
        "PATH": os.environ["PATH"],
        "AWS_LAMBDA_RUNTIME_API": api.address,
        "_HANDLER": handler,
        "LAMBDA_TASK_ROOT": str(HANDLERS),
        "AWS_LAMBDA_FUNCTION_NAME": "diff",
        "AWS_LAMBDA_FUNCTION_VERSION": "7",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1024",
        "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/diff",
        "AWS_LAMBDA_LOG_STREAM_NAME": "stream",
        "LAMBDA_STREAMING_PYTHON": sys.executable,
        "PYTHONPATH": str(HANDLERS),
    }


def _run(
    command: list[str], handler: str, events: list[tuple[str, dict[str, str]]]
) -> list[Recorded]:
    api = FakeRuntimeApi()
    try:
        ids = [
            api.push({"n": i, "text": "日本"}, request_id=rid, headers=headers)
            for i, (rid, headers) in enumerate(events)
        ]
        environ = _environ(api, handler)
        if command[0] != str(BOOTSTRAP):
            environ["AWS_EXECUTION_ENV"] = "AWS_Lambda_python3.13"
        process = subprocess.Popen(
            command, env=environ, cwd=HANDLERS, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        try:
            api.wait_for("GET", "/next", count=len(ids) + 1, timeout=15)
        finally:
            process.kill()
            process.communicate(timeout=10)
        return [r for r in api.requests if r.method == "POST" and r.complete]
    finally:
        api.close()


def _both(
    handler: str, events: list[tuple[str, dict[str, str]]]
) -> tuple[list[Recorded], list[Recorded]]:
    reference = _run(
        [sys.executable, "-m", "awslambdaric", f"plain.{handler}"], f"plain.{handler}", events
    )
    ours = _run([str(BOOTSTRAP)], f"plain.{handler}", events)
    return reference, ours


@pytest.mark.parametrize("handler", HANDLERS_UNDER_TEST)
def test_buffered_handlers_answer_exactly_like_awslambdaric(handler: str) -> None:
    events = [
        (
            "req-1",
            {
                "Lambda-Runtime-Client-Context": CLIENT_CONTEXT,
                "Lambda-Runtime-Cognito-Identity": COGNITO,
                "Lambda-Runtime-Aws-Tenant-Id": "tenant-9",
            },
        ),
        ("req-2", {}),
    ]
    reference, ours = _both(handler, events)
    assert len(reference) == len(ours) == len(events)
    assert [r.target for r in ours] == [r.target for r in reference]
    for theirs, mine in zip(reference, ours, strict=True):
        assert mine.body == theirs.body, f"{mine.target}: {mine.body!r} != {theirs.body!r}"
        if mine.target.endswith("/response"):
            assert mine.header("content-type") == theirs.header("content-type")
        else:
            # Deliberate difference: we also name the error type in the header, as the
            # Runtime API docs ask; awslambdaric leaves it out.
            assert theirs.header("lambda-runtime-function-error-type") is None
            assert mine.header(
                "lambda-runtime-function-error-type",
            ).startswith(("Function.", "Runtime."))
            assert (
                json.loads(mine.header("lambda-runtime-function-xray-error-cause"))["exceptions"][
                    0
                ]["type"]
                == json.loads(theirs.header("lambda-runtime-function-xray-error-cause"))[
                    "exceptions"
                ][0]["type"]
            )


BROKEN_MODULES = {
    "syntax": "def handler(event, context)\n    return 1\n",
    "raises_on_import": "raise RuntimeError('no config at import')\n",
    "imports_missing": "import not_installed_anywhere\n",
}


@pytest.mark.parametrize(
    ("handler", "error_type"),
    [
        ("plain.missing_function", "Runtime.HandlerNotFound"),
        ("nomodule.handler", "Runtime.ImportModuleError"),
        ("nodot", "Runtime.MalformedHandlerName"),
        ("sys.handler", "Runtime.BuiltInModuleConflict"),
        ("syntax.handler", "Runtime.UserCodeSyntaxError"),
        ("imports_missing.handler", "Runtime.ImportModuleError"),
        ("raises_on_import.handler", "RuntimeError"),
    ],
)
def test_init_errors_match_awslambdaric(handler: str, error_type: str, tmp_path) -> None:
    for name, source in BROKEN_MODULES.items():
        (tmp_path / f"{name}.py").write_text(source)
    reference = _init_error([sys.executable, "-m", "awslambdaric", handler], handler, tmp_path)
    ours = _init_error([str(BOOTSTRAP)], handler, tmp_path)
    assert ours.json["errorType"] == reference.json["errorType"] == error_type
    assert ours.json["errorMessage"] == reference.json["errorMessage"]
    if error_type.startswith("Runtime."):
        assert ours.json == reference.json
        assert ours.header("lambda-runtime-function-error-type") == error_type
        assert reference.header("lambda-runtime-function-error-type") == error_type
    else:
        # A module raising at import: the stack differs only in the import machinery frames
        # before the user's file, and our header names the type in Lambda's pattern.
        assert ours.json["stackTrace"][-1] == reference.json["stackTrace"][-1]
        assert ours.header("lambda-runtime-function-error-type") == "Function.RuntimeError"


def _init_error(command: list[str], handler: str, task_root) -> Recorded:
    api = FakeRuntimeApi()
    try:
        environ = _environ(api, handler)
        environ["LAMBDA_TASK_ROOT"] = str(task_root)
        environ["PYTHONPATH"] = f"{task_root}:{HANDLERS}"
        if command[0] != str(BOOTSTRAP):
            environ["AWS_EXECUTION_ENV"] = "AWS_Lambda_python3.13"
        completed = subprocess.run(
            command, env=environ, cwd=task_root, capture_output=True, timeout=15, check=False
        )
        assert completed.returncode == 1, completed.stdout
        (recorded,) = api.wait_for("POST", "/runtime/init/error")
        assert not [r for r in api.requests if r.target.endswith("/next")]
        return recorded
    finally:
        api.close()

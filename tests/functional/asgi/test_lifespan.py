"""Lifespan on the real runtime (runtime/bootstrap) against a loopback Runtime API: startup once
per process during init (streamify_response(on_init=...)), its failure the init error, shutdown on
SIGTERM."""

from __future__ import annotations

import signal
import time
from pathlib import Path

from tests.functional.asgi.served import APPS
from tests.functional.fake_runtime_api import FakeRuntimeApi

NUL8 = b"\x00" * 8
EVENT = {
    "version": "2.0",
    "rawPath": "/",
    "rawQueryString": "",
    "headers": {"host": "fn.lambda-url.us-east-1.on.aws"},
    "requestContext": {"http": {"method": "GET", "path": "/", "sourceIp": "192.0.2.1"}},
    "isBase64Encoded": False,
}


def _env(log: Path) -> dict[str, str]:
    return {"LAMBDA_TASK_ROOT": str(APPS), "LIFESPAN_LOG": str(log)}


def _wait_for_line(path: Path, line: str, timeout: float = 10, count: int = 1) -> list[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lines = path.read_text().splitlines() if path.exists() else []
        if lines.count(line) >= count:
            return lines
        time.sleep(0.01)
    raise AssertionError(f"{line!r} never appeared in {path}")


def test_startup_runs_once_and_shutdown_runs_on_sigterm(
    api: FakeRuntimeApi, start_runtime, tmp_path: Path
) -> None:
    log = tmp_path / "lifespan.log"
    first, second = api.push(EVENT), api.push(EVENT)
    runtime = start_runtime("lifespan_apps.counting", env=_env(log))
    responses = api.wait_for("POST", "/response", count=2)
    assert [r.target.split("/")[-2] for r in responses] == [first, second]
    for response in responses:
        assert response.body.split(NUL8, 1)[1] == b"opened at startup"
    lines = _wait_for_line(log, "after the response: http.disconnect", count=2)
    assert lines.count("startup") == 1
    assert "shutdown" not in lines
    runtime.process.send_signal(signal.SIGTERM)
    code, output = runtime.wait()
    assert _wait_for_line(log, "shutdown", timeout=1)[-1] == "shutdown", output
    # After the app's shutdown the signal does what it did before: end the process.
    assert code == -signal.SIGTERM, output


def test_a_failed_startup_is_the_functions_init_error(
    api: FakeRuntimeApi, start_runtime, tmp_path: Path
) -> None:
    log = tmp_path / "lifespan.log"
    api.push(EVENT)
    runtime = start_runtime("lifespan_apps.flaky", env=_env(log))
    (error,) = api.wait_for("POST", "/runtime/init/error")
    assert error.header("lambda-runtime-function-error-type") == "Function.LifespanStartupFailed"
    assert error.json["errorMessage"] == "database unreachable"
    code, _ = runtime.wait()
    assert code == 1
    assert not [r for r in api.requests if r.target.endswith("/next")]  # failed before /next


def test_an_app_without_lifespan_serves_in_auto_mode_and_fails_in_on_mode(
    api: FakeRuntimeApi, start_runtime, tmp_path: Path
) -> None:
    request_id = api.push(EVENT)
    runtime = start_runtime("lifespan_apps.no_lifespan", env=_env(tmp_path / "log"))
    (response,) = api.wait_for("POST", f"/{request_id}/response")
    assert response.body.split(NUL8, 1)[0] == b'{"statusCode":204,"headers":{}}'
    runtime.stop()


def test_lifespan_on_reports_an_app_that_cannot_start(
    api: FakeRuntimeApi, start_runtime, tmp_path: Path
) -> None:
    api.push(EVENT)
    runtime = start_runtime("lifespan_apps.strict_no_lifespan", env=_env(tmp_path / "log"))
    (error,) = api.wait_for("POST", "/runtime/init/error")
    assert error.json["errorMessage"] == "AssertionError: this app knows only HTTP"
    assert runtime.wait()[0] == 1

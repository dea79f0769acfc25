"""Fixtures that run the real runtime/bootstrap against the fake Runtime API."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.functional.fake_runtime_api import FakeRuntimeApi

REPO = Path(__file__).resolve().parents[2]
BOOTSTRAP = REPO / "runtime" / "bootstrap"
HANDLERS = Path(__file__).resolve().parent / "handlers"


@pytest.fixture
def api() -> Iterator[FakeRuntimeApi]:
    server = FakeRuntimeApi()
    yield server
    server.close()


class Runtime:
    """The bootstrap as a child process; its output is captured for assertions."""

    def __init__(self, api: FakeRuntimeApi, handler: str, env: dict[str, str] | None) -> None:
        environ = {
            "PATH": os.environ["PATH"],
            "AWS_LAMBDA_RUNTIME_API": api.address,
            "_HANDLER": handler,
            "LAMBDA_TASK_ROOT": str(HANDLERS),
            "AWS_LAMBDA_FUNCTION_NAME": "test-function",
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
            "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/test-function",
            "AWS_LAMBDA_LOG_STREAM_NAME": "2026/11/24/[$LATEST]0123456789abcdef",
            "LAMBDA_STREAMING_PYTHON": sys.executable,
            **(env or {}),
        }
        self.environ = environ
        self.process = subprocess.Popen(
            [str(BOOTSTRAP)],
            env=environ,
            cwd=HANDLERS,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )

    def stop(self) -> str:
        """Stop the process (if still running) and return everything it printed."""
        if self.process.poll() is None:
            self.process.terminate()
        out, _ = self.process.communicate(timeout=10)
        return out.decode("utf-8", "replace")

    def wait(self, timeout: float = 10.0) -> tuple[int, str]:
        out, _ = self.process.communicate(timeout=timeout)
        return self.process.returncode, out.decode("utf-8", "replace")


@pytest.fixture
def start_runtime(api: FakeRuntimeApi) -> Iterator[object]:
    started: list[Runtime] = []

    def start(handler: str, env: dict[str, str] | None = None) -> Runtime:
        runtime = Runtime(api, handler, env)
        started.append(runtime)
        return runtime

    yield start
    for runtime in started:
        if runtime.process.poll() is None:
            runtime.process.kill()
            runtime.process.communicate(timeout=10)

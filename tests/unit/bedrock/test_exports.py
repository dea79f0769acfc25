"""The helpers are exported from ``lambda_streaming`` but loaded only when first used."""

import subprocess
import sys
from pathlib import Path

import lambda_streaming
from lambda_streaming import bedrock, sse

RUNTIME = Path(__file__).resolve().parents[3] / "runtime"


def test_exported_names_are_the_helper_modules_objects() -> None:
    assert lambda_streaming.converse_text is bedrock.converse_text
    assert lambda_streaming.invoke_text is bedrock.invoke_text
    assert lambda_streaming.converse_events is bedrock.converse_events
    assert lambda_streaming.invoke_events is bedrock.invoke_events
    assert lambda_streaming.TextStream is bedrock.TextStream
    assert lambda_streaming.BedrockStreamError is bedrock.BedrockStreamError
    assert lambda_streaming.deadline_guard is bedrock.deadline_guard
    assert lambda_streaming.sse_stream is sse.sse_stream
    assert lambda_streaming.sse_event is sse.sse_event
    for name in lambda_streaming.__all__:
        assert getattr(lambda_streaming, name) is not None


def test_importing_the_package_does_not_load_the_helpers() -> None:
    code = (
        "import sys, lambda_streaming\n"
        "assert 'lambda_streaming.bedrock' not in sys.modules\n"
        "assert 'lambda_streaming.sse' not in sys.modules\n"
        "assert 'typing' not in sys.modules, 'typing loaded at import'\n"
        "from lambda_streaming import sse_stream\n"
        "assert 'lambda_streaming.sse' in sys.modules\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=RUNTIME,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr

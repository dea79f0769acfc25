"""``python -m emulator`` as a user runs it: a real process, its first line, curl, SIGTERM."""

import signal
import subprocess
import sys
from pathlib import Path

from emulator.config import REPO_ROOT

HANDLERS = Path(__file__).resolve().parent / "handlers"


def run_cli(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "emulator", *args],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_one_command_serves_a_handler_and_prints_its_urls() -> None:
    process = run_cli(
        "--code", str(HANDLERS), "--handler", "emu_handlers.http_stream", "--port", "0", "--quiet"
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("Function URL: http://127.0.0.1:"), line
        url = line.split()[2]
        endpoint = line.split()[5]
        assert url == endpoint + "/"
        curl = subprocess.run(
            ["/usr/bin/curl", "-sS", "-N", "-i", url], capture_output=True, timeout=30, check=True
        )
        assert curl.stdout.startswith(b"HTTP/1.1 418 ")
        assert curl.stdout.endswith(b"short and stout\n")
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=10)


def test_help_documents_every_option() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "emulator", "--help"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    for option in (
        "--handler",
        "--code",
        "--port",
        "--invoke-mode",
        "--timeout",
        "--memory",
        "--function-name",
        "--max-sandboxes",
        "--env",
        "--shape-bandwidth",
        "--bootstrap",
    ):
        assert option in result.stdout


def test_bad_arguments_say_what_to_fix() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "emulator",
            "--handler",
            "a.b",
            "--code",
            "/nonexistent",
            "--port",
            "0",
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert "--code /nonexistent: not a directory" in result.stderr
    result = subprocess.run(
        [sys.executable, "-m", "emulator", "--handler", "a.b", "--env", "NOEQUALS", "--port", "0"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert "use KEY=VALUE" in result.stderr

"""A port already in use is a short, clear error: from ``python -m emulator`` and from the demo."""

import socket
import subprocess
import sys
from collections.abc import Iterator

import pytest

from emulator.config import REPO_ROOT


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.create_server(("127.0.0.1", 0)) as holder:
        yield holder.getsockname()[1]


def test_the_emulator_names_the_taken_port_without_the_usage_text(taken_port: int) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "emulator", "--handler", "app.handler", "--port", str(taken_port)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"emulator: cannot listen on 127.0.0.1:{taken_port}: Address already in use",
        "emulator: another process uses that port; pass --port N (0 = any free port)",
    ]


def test_the_fake_bedrock_names_the_taken_port(taken_port: int) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "emulator.bedrock", "--port", str(taken_port)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr == (
        f"fake Bedrock: cannot listen on 127.0.0.1:{taken_port}: Address already in use\n"
    )


def test_the_demo_says_the_port_is_taken_without_the_usage_text(taken_port: int) -> None:
    result = subprocess.run(
        ["scripts/demo.sh", "--port", str(taken_port)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    assert f"cannot listen on 127.0.0.1:{taken_port}: Address already in use" in result.stderr
    assert "usage:" not in result.stderr.lower()
    assert "--handler NAME" not in result.stderr  # demo.sh's own usage text
    assert len(result.stderr.splitlines()) <= 4, result.stderr

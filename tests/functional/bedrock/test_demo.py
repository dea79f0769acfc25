"""The README's demo command and curl line: a Japanese answer, streamed; Ctrl-C stops it all."""

import http.client
import json
import os
import signal
import socket
import subprocess
from pathlib import Path

import pytest

from .e2e import JA_ANSWER

REPO = Path(__file__).resolve().parents[3]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def refuses_connections(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except OSError:
        return True
    return False


def test_demo_streams_a_japanese_answer_and_stops_on_ctrl_c() -> None:
    port = free_port()
    demo = subprocess.Popen(
        ["scripts/demo.sh", "--port", str(port), "--token-delay", "0.01"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group, so the test can clean up after it
    )
    try:
        assert demo.stdout is not None
        lines = []
        for line in demo.stdout:
            lines.append(line)
            if "curl -N" in line:
                break
        output = "".join(lines)
        assert (
            f"Function URL (stream_text.handler, RESPONSE_STREAM): http://127.0.0.1:{port}/"
            in output
        )
        bedrock_port = int(output.split("fake Bedrock at http://127.0.0.1:")[1].split(" ")[0])
        assert f'curl -N http://127.0.0.1:{port}/ -H "Content-Type: application/json"' in output

        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        connection.request(
            "POST",
            "/",
            body=json.dumps({"prompt": "こんにちは"}),
            headers={"Content-Type": "application/json"},
        )
        response = connection.getresponse()
        pieces = []
        while piece := response.read1(65536):
            pieces.append(piece)
        connection.close()
        assert response.status == 200
        assert b"".join(pieces).decode() == JA_ANSWER
        assert len(pieces) > 1  # arrived in several chunks, not one buffered body

        demo.send_signal(signal.SIGINT)  # what Ctrl-C sends
        assert demo.wait(timeout=20) == 0
        assert refuses_connections(port)
        assert refuses_connections(bedrock_port)
    finally:
        if demo.poll() is None:
            os.killpg(demo.pid, signal.SIGKILL)
            demo.wait(timeout=10)
        if demo.stdout is not None:
            demo.stdout.close()


def test_demo_rejects_unknown_options() -> None:
    result = subprocess.run(
        ["scripts/demo.sh", "--bogus"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert "unknown option --bogus" in result.stderr
    assert "--real-bedrock" in result.stderr  # the usage text follows


pytestmark = pytest.mark.skipif(os.name != "posix", reason="bash script")

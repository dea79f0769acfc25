"""The demo's SSE handler (lambda_src/stream_sse.py) in one Managed Instances environment:
50 ``curl -N`` clients at once, all streaming at the same time, each its whole answer.

The fake Bedrock paces tokens 100 ms apart, so each answer takes seconds; "at once" is shown by
order, not by a clock: every client had its first event before any client's stream ended. The
emulator runs one sandbox with ``max_concurrency`` 50 and the real runtime. The handler is sync,
so it runs on 50 forked workers; a first wave of 50 requests warms each one (its first boto3
call costs CPU that fork cannot share), as Managed Instances initialise environments before
sending them traffic.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from emulator.bedrock import FakeBedrock
from emulator.config import FunctionConfig
from emulator.server import Emulator

from .e2e import LAMBDA_SRC

CLIENTS = 50
HANG_GUARD = 60.0

pytestmark = pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl")


def test_fifty_curl_clients_stream_from_one_environment_at_once(tmp_path: Path) -> None:
    with FakeBedrock(token_delay=0.1) as bedrock:
        emulator = Emulator(
            FunctionConfig(
                handler="stream_sse.handler",
                code_dir=LAMBDA_SRC,
                timeout=30,
                max_concurrency=CLIENTS,
                env={"BEDROCK_ENDPOINT_URL": bedrock.url, "BEDROCK_MAX_ATTEMPTS": "1"},
            ),
            max_sandboxes=1,
        )
        with emulator:
            warm_up = [
                subprocess.Popen(
                    ["curl", "-sS", "-N", "-d", '{"prompt": "warm up"}', emulator.function_url],
                    stdout=subprocess.PIPE,
                )
                for _ in range(CLIENTS)
            ]
            for client in warm_up:
                assert b"event: done" in client.communicate(timeout=HANG_GUARD)[0]
            outputs = [tmp_path / f"client-{n}.txt" for n in range(CLIENTS)]
            clients = [
                subprocess.Popen(
                    [
                        "curl", "-sS", "-N", "--max-time", str(HANG_GUARD),
                        "-H", "Content-Type: application/json",
                        "-d", json.dumps({"prompt": f"Hello from client {n}"}),
                        "-o", str(output), emulator.function_url,
                    ]
                )
                for n, output in enumerate(outputs)
            ]  # fmt: skip
            first_event: dict[int, float] = {}
            ended: dict[int, float] = {}
            give_up = time.monotonic() + HANG_GUARD
            while len(ended) < CLIENTS and time.monotonic() < give_up:
                now = time.monotonic()
                for n, (client, output) in enumerate(zip(clients, outputs, strict=True)):
                    if n not in first_event and output.exists() and b"data:" in output.read_bytes():
                        first_event[n] = now
                    if n not in ended and client.poll() is not None:
                        ended[n] = now
                time.sleep(0.01)
            assert emulator.function.sandbox_count == 1
    assert all(client.wait(timeout=5) == 0 for client in clients)
    assert len(first_event) == CLIENTS
    # Every stream had begun before the first one ended: they all streamed at the same time.
    assert max(first_event.values()) < min(ended.values())
    for output in outputs:
        text = output.read_text()
        assert text.rstrip().splitlines()[-2].startswith("event: done"), text[-300:]

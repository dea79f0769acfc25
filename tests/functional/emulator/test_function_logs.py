"""What the emulator writes to a function's log: its output cut as Lambda cuts it (memory
bounded whatever the function writes), a start-up timeout named as such, a memory warning."""

import json
import logging
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from emulator.function_logs import LOG_LINE_LIMIT
from tests.functional.emulator.conftest import HANDLERS, StartEmulator, closing_client

REPO = Path(__file__).resolve().parents[3]
FLOOD = ("--handler", "abuse_handlers.flood_stdout", "--timeout", "60")


def rss_mib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) // 1024
    raise AssertionError("no VmRSS")


def test_output_without_newlines_is_cut_at_256_kb_and_never_piles_up(tmp_path: Path) -> None:
    flood_mib = 64
    log = tmp_path / "emulator.log"
    with log.open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "emulator", "--code", str(HANDLERS), *FLOOD, "--port", "0"],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=stderr,
        )
    try:
        assert process.stdout is not None
        endpoint = process.stdout.readline().decode().split()[-1]
        before = rss_mib(process.pid)
        request = urllib.request.Request(
            f"{endpoint}/2015-03-31/functions/function/invocations",
            data=json.dumps({"mib": flood_mib}).encode(),
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=120) as response:
            assert json.load(response) == "flooded"
        after = rss_mib(process.pid)
    finally:
        process.terminate()
        process.wait(timeout=20)
        if process.stdout is not None:
            process.stdout.close()
    # The flood is 64 MiB; a buffered line would have grown the emulator by at least that.
    assert after - before < flood_mib // 2, f"emulator RSS {before} MiB -> {after} MiB"
    pieces = [line for line in log.read_bytes().split(b"\n") if b"] xxxx" in line]
    assert len(pieces) == flood_mib * 1024 * 1024 // LOG_LINE_LIMIT
    assert all(line.endswith(b"x" * LOG_LINE_LIMIT) for line in pieces)
    assert b"after the flood" in log.read_bytes()


def test_a_start_up_timeout_says_it_was_start_up_and_names_the_limit(
    start_emulator: StartEmulator,
) -> None:
    emulator = start_emulator("slow_init.handler", init_timeout=1.0, env={"SLOW_INIT_SECONDS": "5"})
    with closing_client(emulator) as client:
        response = client.invoke(FunctionName="function", Payload=b"{}")
    error = json.loads(response["Payload"].read())
    assert response["FunctionError"] == "Unhandled"
    assert error["errorType"] == "Sandbox.Timedout"
    assert "did not start in time" in error["errorMessage"]
    assert "start-up" in error["errorMessage"]
    assert "more than 1.00 seconds, the limit for start-up" in error["errorMessage"]


def test_a_slow_handler_still_times_out_as_lambda_says(start_emulator: StartEmulator) -> None:
    emulator = start_emulator("emu_handlers.lifecycle", timeout=1.0)
    with closing_client(emulator) as client:
        response = client.invoke(FunctionName="function", Payload=b'{"do": "sleep"}')
    error = json.loads(response["Payload"].read())
    assert error["errorMessage"].endswith("Error: Task timed out after 1.00 seconds")


def report_of(caplog: pytest.LogCaptureFixture, request_id: str) -> list[str]:
    """The REPORT line and what follows it for ``request_id`` (written after the response)."""
    for _ in range(200):  # hang guard: 10 s
        lines = [r.getMessage() for r in caplog.records if request_id in r.getMessage()]
        reports = [i for i, line in enumerate(lines) if "] REPORT RequestId" in line]
        if reports:
            time.sleep(0.1)  # the warning, if any, is logged right after REPORT
            lines = [r.getMessage() for r in caplog.records if request_id in r.getMessage()]
            return lines[reports[0] :]
        time.sleep(0.05)
    raise AssertionError(f"no REPORT line for {request_id}")


def test_a_warning_when_max_memory_used_exceeds_the_memory_size(
    start_emulator: StartEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="emulator")
    emulator = start_emulator("abuse_handlers.hog_memory", memory_mb=128)
    with closing_client(emulator) as client:
        small = client.invoke(FunctionName="function", Payload=b'{"mb": 1}')
        small_lines = report_of(caplog, small["ResponseMetadata"]["RequestId"])
        large = client.invoke(FunctionName="function", Payload=b'{"mb": 300}')
        large_lines = report_of(caplog, large["ResponseMetadata"]["RequestId"])
    assert len(small_lines) == 1 and "Memory Size: 128 MB" in small_lines[0]  # no warning
    report, warning = large_lines
    used = int(report.split("Max Memory Used: ")[1].split()[0])
    assert used > 300
    assert "] WARNING RequestId: " in warning
    assert f"Max Memory Used ({used} MB) exceeded the Memory Size (128 MB)" in warning
    assert "Runtime.OutOfMemory" in warning

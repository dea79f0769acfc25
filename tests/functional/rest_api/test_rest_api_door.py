"""The emulator's API Gateway REST door on real sockets: payload 1.0 events, the metadata
prelude API Gateway requires within 16 KB, multiValueHeaders, streaming, and the limits.

The function is raw_runtime.py, a bare Runtime API client, so each test controls the exact
bytes the door receives. Clients: curl (timestamps of each chunk as it arrives) and urllib.
"""

from __future__ import annotations

import http.client
import json
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from emulator.config import FunctionConfig
from emulator.rest_api import RestApiEmulator, RestLimits

HERE = Path(__file__).resolve().parent
Start = Callable[..., RestApiEmulator]


@pytest.fixture
def start(tmp_path: Path) -> Iterator[Start]:
    bootstrap = tmp_path / "bootstrap"
    bootstrap.write_text(f"#!{sys.executable}\n" + (HERE / "raw_runtime.py").read_text())
    bootstrap.chmod(0o755)
    started: list[RestApiEmulator] = []

    def make(**limits: Any) -> RestApiEmulator:
        door = RestApiEmulator(
            FunctionConfig(
                handler="unused.handler", code_dir=tmp_path, bootstrap=bootstrap, timeout=10
            ),
            limits=RestLimits(**limits) if limits else None,
        )
        door.start()
        started.append(door)
        return door

    yield make
    for door in started:
        door.close()


def get(url: str, **kwargs: Any) -> tuple[int, Any, bytes]:
    request = urllib.request.Request(url, **kwargs)
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def curl_timed(url: str) -> tuple[list[tuple[float, bytes]], str]:
    """Each body line with the seconds since the request, as curl hands it over (-N)."""
    curl = shutil.which("curl")
    assert curl, "curl is needed (scripts/setup.sh installs it)"
    with subprocess.Popen(
        [curl, "-sS", "-N", "-D", "-", url], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    ) as process:
        assert process.stdout is not None
        started = time.monotonic()
        head, lines = b"", []
        for line in iter(process.stdout.readline, b""):
            if not head.endswith(b"\r\n\r\n"):
                head += line
                continue
            lines.append((time.monotonic() - started, line))
        process.wait(timeout=20)
    return lines, head.decode("latin-1")


def test_streamed_chunks_arrive_as_the_function_writes_them(start: Start) -> None:
    door = start()
    lines, head = curl_timed(door.url + "stream")
    assert [line for _, line in lines] == [b"chunk-0\n", b"chunk-1\n", b"chunk-2\n"]
    times = [at for at, _ in lines]
    assert times[1] - times[0] > 0.3 and times[2] - times[1] > 0.3  # not buffered to the end
    assert head.startswith("HTTP/1.1 201")
    assert "transfer-encoding: chunked" in head.lower()


def test_metadata_headers_multi_values_win_and_cookies_are_set(start: Start) -> None:
    status, headers, body = get(start().url + "stream")
    assert status == 201 and body == b"chunk-0\nchunk-1\nchunk-2\n"
    assert headers["content-type"] == "text/plain"
    assert headers["x-single"] == "one"
    assert headers.get_all("x-multi") == ["a", "b"]
    assert headers.get_all("x-both") == ["multi"]  # multiValueHeaders override headers
    assert headers.get_all("set-cookie") == ["session=1; Path=/"]
    assert headers["x-amzn-requestid"] and headers["x-amz-apigw-id"]


@pytest.mark.parametrize("path", ["raw", "late", "extra-key"])
def test_output_without_valid_metadata_in_16_kb_is_a_500(start: Start, path: str) -> None:
    status, headers, body = get(start().url + path)
    assert status == 500
    assert json.loads(body) == {"message": "Internal server error"}
    assert headers["content-type"] == "application/json"


def test_the_event_is_payload_1_0_with_multi_value_headers_and_query(start: Start) -> None:
    door = start()
    status, _, body = get(
        door.url + "echo?tag=a&tag=b&one=1",
        method="POST",
        data=b'{"prompt": "hi"}',
        headers={"X-Repeat": "first", "Content-Type": "application/json"},
    )
    assert status == 200
    event = json.loads(body)
    assert "version" not in event
    assert (event["resource"], event["path"], event["httpMethod"]) == ("/{proxy+}", "/echo", "POST")
    assert event["pathParameters"] == {"proxy": "echo"}
    assert event["queryStringParameters"] == {"tag": "b", "one": "1"}
    assert event["multiValueQueryStringParameters"] == {"tag": ["a", "b"], "one": ["1"]}
    assert event["headers"]["x-repeat"] == "first"
    assert event["multiValueHeaders"]["x-repeat"] == ["first"]
    assert event["body"] == '{"prompt": "hi"}' and event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert context["stage"] == "prod" and context["path"] == "/prod/echo"
    assert context["apiId"] == door.api_id and context["resourcePath"] == "/{proxy+}"
    assert context["identity"]["sourceIp"] == "127.0.0.1"


def test_the_stage_root_is_the_root_resource_and_other_paths_are_refused(start: Start) -> None:
    door = start()
    status, _, body = get(door.url + "?")
    assert status == 404 and body == b"unknown path"  # reached the function as resource "/"
    base = door.url.removesuffix("prod/")
    status, headers, body = get(base + "other/echo")
    assert status == 403 and json.loads(body) == {"message": "Missing Authentication Token"}
    assert headers["x-amzn-errortype"] == "MissingAuthenticationTokenException"


def test_the_idle_timeout_cuts_a_silent_stream(start: Start) -> None:
    door = start(idle_timeout=1.0)
    lines, head = curl_timed(door.url + "idle")
    assert head.startswith("HTTP/1.1 201")
    assert [line for _, line in lines] == [b"before\n"]  # cut: "after" came 3 s later
    status, _, body = get(start(idle_timeout=5.0).url + "idle")
    assert status == 201 and body == b"before\nafter\n"


def test_an_error_after_the_metadata_cuts_the_response(start: Start) -> None:
    door = start()
    with (
        pytest.raises(http.client.IncompleteRead),
        urllib.request.urlopen(door.url + "fail-midway", timeout=20) as response,
    ):
        response.read()


def test_the_cli_serves_the_rest_door(tmp_path: Path) -> None:
    bootstrap = tmp_path / "bootstrap"
    bootstrap.write_text(f"#!{sys.executable}\n" + (HERE / "raw_runtime.py").read_text())
    bootstrap.chmod(0o755)
    command = [sys.executable, "-m", "emulator", "--front-door", "rest-api", "--stage", "dev"]
    command += ["--handler", "x.handler", "--code", str(tmp_path), "--port", "0", "--quiet"]
    command += ["--bootstrap", str(bootstrap)]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as process:
        try:
            assert process.stdout is not None
            line = process.stdout.readline()
            assert line.startswith("REST API: http://127.0.0.1:") and line.endswith("/dev/\n")
            status, _, body = get(line.split()[-1] + "stream")
            assert (status, body) == (201, b"chunk-0\nchunk-1\nchunk-2\n")
        finally:
            process.terminate()
            process.wait(timeout=10)

"""Front door 1 end to end: HTTP clients against the Function URL, the real runtime behind it."""

import json
import queue
import subprocess
import threading
from pathlib import Path

import pytest

from tests.functional.emulator.conftest import StartEmulator
from tests.functional.emulator.wire import Client

CURL = "/usr/bin/curl"


def address(url: str) -> str:
    return url.removeprefix("http://").rstrip("/")


def test_curl_receives_the_first_chunk_before_the_handler_finishes(
    start_emulator: StartEmulator, tmp_path: Path
) -> None:
    emulator = start_emulator("slow_stream", timeout=30)
    release = tmp_path / "release"
    curl = subprocess.Popen(
        [CURL, "-sS", "-N", f"{emulator.function_url}?release={release}"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    lines: queue.Queue[bytes] = queue.Queue()

    def read() -> None:
        assert curl.stdout is not None
        for line in curl.stdout:
            lines.put(line)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        # The handler cannot finish until the release file exists: this line proves streaming.
        assert lines.get(timeout=20) == b"first\n"
        assert not release.exists()
        release.touch()
        assert lines.get(timeout=20) == b"second\n"
        assert curl.wait(timeout=20) == 0
    finally:
        if curl.poll() is None:
            curl.kill()
        curl.communicate(timeout=10)
        reader.join(timeout=10)


def test_http_response_stream_sets_status_headers_and_cookies(
    start_emulator: StartEmulator,
) -> None:
    emulator = start_emulator("http_stream")
    with Client(address(emulator.function_url)) as client:
        client.request("GET", "/teapot")
        response = client.response()
    assert response.status == 418
    assert response.header("content-type") == "text/plain"
    assert response.header("x-teapot") == "yes"
    assert response.header_all("set-cookie") == ["session=abc; Path=/; HttpOnly", "theme=dark"]
    assert response.header("transfer-encoding") == "chunked"
    assert response.body == b"short and stout\n"
    assert response.header("x-amzn-requestid")


def test_without_a_prelude_the_runtime_content_type_and_200_are_used(
    start_emulator: StartEmulator,
) -> None:
    emulator = start_emulator("chunks")
    with Client(address(emulator.function_url)) as client:
        client.request("GET", "/")
        response = client.response()
    assert (response.status, response.header("content-type")) == (200, "application/octet-stream")
    assert response.body == b"chunk-0;chunk-1;chunk-2;chunk-3;chunk-4;"


def test_the_event_is_a_payload_2_0_function_url_event(start_emulator: StartEmulator) -> None:
    emulator = start_emulator("echo", invoke_mode="BUFFERED")
    with Client(address(emulator.function_url)) as client:
        client.request(
            "POST",
            "/items/7?tag=a&tag=b",
            [
                ("Cookie", "c1=x; c2=y"),
                ("Content-Type", "application/octet-stream"),
                ("X-Thing", "1"),
            ],
            b"\x00\x01binary",
        )
        response = client.response()
    assert (response.status, response.header("content-type")) == (200, "application/json")
    event = json.loads(response.body)["event"]
    assert event["version"] == "2.0"
    assert (event["rawPath"], event["rawQueryString"]) == ("/items/7", "tag=a&tag=b")
    assert event["queryStringParameters"] == {"tag": "a,b"}
    assert event["cookies"] == ["c1=x", "c2=y"]
    assert event["headers"]["x-thing"] == "1"
    assert event["requestContext"]["http"]["method"] == "POST"
    assert event["requestContext"]["requestId"] == response.header("x-amzn-requestid")
    assert (event["body"], event["isBase64Encoded"]) == ("AAFiaW5hcnk=", True)


def test_buffered_mode_translates_an_http_shaped_result(start_emulator: StartEmulator) -> None:
    emulator = start_emulator("http_shape", invoke_mode="BUFFERED")
    with Client(address(emulator.function_url)) as client:
        client.request("GET", "/")
        response = client.response()
    assert response.status == 201
    assert response.header("x-custom") == "yes"
    assert response.header_all("set-cookie") == ["a=1; Path=/", "b=2"]
    assert response.header("content-length") == "7"
    assert response.body == b"created"


def test_stream_mode_passes_a_buffered_handler_result_through_as_json(
    start_emulator: StartEmulator,
) -> None:
    emulator = start_emulator("http_shape")
    with Client(address(emulator.function_url)) as client:
        client.request("GET", "/")
        response = client.response()
    assert response.status == 200
    assert json.loads(response.body)["statusCode"] == 201  # not interpreted in RESPONSE_STREAM


@pytest.mark.parametrize("invoke_mode", ["RESPONSE_STREAM", "BUFFERED"])
def test_an_error_before_the_first_byte_is_502_with_the_error_json(
    start_emulator: StartEmulator, invoke_mode: str
) -> None:
    emulator = start_emulator("fail_before", invoke_mode=invoke_mode)
    with Client(address(emulator.function_url)) as client:
        client.request("GET", "/")
        response = client.response()
    assert response.status == 502
    error = json.loads(response.body)
    assert error["errorType"] == "KeyError"
    assert "missing" in error["errorMessage"]


def test_an_error_after_the_first_byte_ends_the_connection_without_the_last_chunk(
    start_emulator: StartEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    emulator = start_emulator("fail_mid_stream")
    with Client(address(emulator.function_url)) as client:
        client.request("GET", "/")
        response = client.response()
    assert response.status == 200
    assert response.body == b"partial "
    assert response.complete is False  # no terminating 0-chunk: curl reports an error
    assert "Function.ValueError" in caplog.text


def test_curl_sees_a_mid_stream_failure_as_a_transfer_error(start_emulator: StartEmulator) -> None:
    emulator = start_emulator("fail_mid_stream")
    result = subprocess.run(
        [CURL, "-sS", "-N", emulator.function_url], capture_output=True, timeout=30, check=False
    )
    assert result.stdout == b"partial "
    assert (
        result.returncode == 18
    )  # CURLE_PARTIAL_FILE: "transfer closed with outstanding read data"


def test_an_init_error_is_a_502_with_the_runtime_error(start_emulator: StartEmulator) -> None:
    emulator = start_emulator("broken_init.handler")
    with Client(address(emulator.function_url)) as client:
        client.request("GET", "/")
        response = client.response()
    assert response.status == 502
    assert "init failed on purpose" in json.loads(response.body)["errorMessage"]


def test_curl_expect_100_continue_is_answered(start_emulator: StartEmulator) -> None:
    emulator = start_emulator("echo", invoke_mode="BUFFERED")
    result = subprocess.run(
        [
            CURL,
            "-sS",
            "-H",
            "Expect: 100-continue",
            "-H",
            "Content-Type: text/plain",
            "-d",
            "hi",
            emulator.function_url,
        ],
        capture_output=True,
        timeout=30,
        check=True,
    )
    assert json.loads(result.stdout)["event"]["body"] == "hi"

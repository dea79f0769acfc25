"""A throttled handler retries Bedrock only while the function has time for it, so the caller
gets the 429 it can act on, not a timeout (botocore's own back-off outlived a 3 s function)."""

import http.client
import json
from collections.abc import Iterator

import pytest

from emulator.bedrock import FakeBedrock
from emulator.server import Emulator

from . import e2e

THROTTLED = json.dumps({"prompt": "hi [[bedrock:throttle]]"})


@pytest.fixture
def throttled_function(
    fake_bedrock: FakeBedrock, request: pytest.FixtureRequest
) -> Iterator[Emulator]:
    handler, timeout = request.param
    emulator = e2e.start(handler, fake_bedrock.url, timeout=timeout, BEDROCK_MAX_ATTEMPTS="3")
    yield emulator
    emulator.close()


def post(emulator: Emulator, body: str) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", emulator.port, timeout=60)
    try:
        connection.request("POST", "/", body, {"content-type": "application/json"})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


@pytest.mark.parametrize(
    "throttled_function",
    [("stream_text", 3.0), ("stream_sse", 3.0), ("buffered", 3.0), ("aggregated", 3.0)],
    indirect=True,
    ids=lambda param: param[0],
)
def test_a_3_second_function_answers_429_every_time(
    throttled_function: Emulator, fake_bedrock: FakeBedrock
) -> None:
    before = fake_bedrock.requests_seen
    answers = [post(throttled_function, THROTTLED) for _ in range(6)]
    for status, body in answers:
        assert status == 429, body
        assert json.loads(body)["error"] == "ThrottlingException"
    # One attempt each: no time for botocore's back-off (up to 1 s, then 2 s) within 3 s.
    assert fake_bedrock.requests_seen - before == 6


@pytest.mark.parametrize(
    "throttled_function", [("stream_text", 30.0)], indirect=True, ids=["stream_text"]
)
def test_a_30_second_function_still_retries(
    throttled_function: Emulator, fake_bedrock: FakeBedrock
) -> None:
    before = fake_bedrock.requests_seen
    status, body = post(throttled_function, THROTTLED)
    assert status == 429, body
    assert fake_bedrock.requests_seen - before == 3  # BEDROCK_MAX_ATTEMPTS: it had the time

"""Many cold starts at once on a small machine: paced, so each one's start-up fits its limit.

40 demo functions (each imports boto3 at init, about a second of CPU) started at once on a
two-core machine take several seconds of CPU; with every start-up running in parallel, each one
took longer than a 2 s start-up limit and failed. The emulator starts at most as many at once
as the machine has cores, and counts each start-up's time from when it really starts.
"""

import http.client
import json
import threading

from emulator.bedrock import FakeBedrock
from emulator.bedrock.answers import answer_for
from emulator.config import FunctionConfig
from emulator.server import Emulator

from . import e2e

CONCURRENT = 40


def test_simultaneous_cold_starts_all_succeed(fake_bedrock: FakeBedrock) -> None:
    emulator = Emulator(
        FunctionConfig(
            handler="buffered.handler",
            code_dir=e2e.LAMBDA_SRC,
            timeout=30.0,
            init_timeout=2.0,  # tight, so the test stays short and an overloaded CPU shows
            env={"BEDROCK_ENDPOINT_URL": fake_bedrock.url, "MAX_TOKENS": "50"},
        ),
        invoke_mode="BUFFERED",
        max_sandboxes=CONCURRENT,
    )
    emulator.start()
    results: list[tuple[int, bytes]] = []
    lock = threading.Lock()

    def call() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", emulator.port, timeout=120)
        try:
            body = json.dumps({"prompt": "Hello"})
            connection.request("POST", "/", body, {"content-type": "application/json"})
            response = connection.getresponse()
            answer = (response.status, response.read())
        finally:
            connection.close()
        with lock:
            results.append(answer)

    try:
        threads = [threading.Thread(target=call) for _ in range(CONCURRENT)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=180)
        sandboxes = emulator.function.sandbox_count
    finally:
        emulator.close()
    failures = [(status, body[:300]) for status, body in results if status != 200]
    assert failures == [], f"{len(failures)} of {CONCURRENT} failed: {failures[:3]}"
    assert sandboxes == CONCURRENT  # every one was a cold start
    assert all(answer_for("Hello") in body.decode() for _, body in results)

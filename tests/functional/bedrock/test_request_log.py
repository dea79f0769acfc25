"""The fake Bedrock remembers a bounded number of requests, however long it runs."""

import http.client
import json

from emulator.bedrock import FakeBedrock
from emulator.bedrock.server import REQUESTS_KEPT


def test_the_request_log_keeps_only_the_newest(fake_bedrock: FakeBedrock) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", fake_bedrock.port, timeout=10)
    total = REQUESTS_KEPT + 25
    try:
        for index in range(total):
            body = {"messages": [{"role": "user", "content": [{"text": f"request {index}"}]}]}
            connection.request("POST", "/model/amazon.nova-micro-v1:0/converse", json.dumps(body))
            response = connection.getresponse()
            response.read()
            assert response.status == 200
    finally:
        connection.close()
    kept = fake_bedrock.requests
    assert len(kept) == REQUESTS_KEPT
    texts = [entry["body"]["messages"][0]["content"][0]["text"] for entry in kept]
    assert texts[0] == f"request {total - REQUESTS_KEPT}"
    assert texts[-1] == f"request {total - 1}"

"""A bare Lambda runtime for the REST door's tests: it speaks the Runtime API itself, so what
crosses the wire is exactly what each test needs, whatever lambda_streaming would add (the
streaming runtime sends a default metadata prelude for REST events).

It answers each event by the event's ``path`` (under the stage):

- ``/stream``: metadata (headers + multiValueHeaders + cookies, status 201), then three chunks
  0.4 s apart;
- ``/raw``: plain text, no metadata;
- ``/late``: 17 KB of text, then a delimiter (too late);
- ``/extra-key``: metadata with a key API Gateway does not allow;
- ``/echo``: metadata, then the event itself as JSON;
- ``/idle``: metadata, one chunk, then silence for 3 s, then another chunk;
- ``/fail-midway``: metadata, one chunk, then an error in the trailers.
"""

import http.client
import json
import os
import time

API = os.environ["AWS_LAMBDA_RUNTIME_API"]
host, _, port = API.partition(":")
DELIMITER = b"\0" * 8


def metadata(document: dict[str, object]) -> bytes:
    return json.dumps(document).encode() + DELIMITER


def respond(request_id: str, chunks: list[tuple[float, bytes]], error: str = "") -> None:
    connection = http.client.HTTPConnection(host, int(port))
    connection.putrequest("POST", f"/2018-06-01/runtime/invocation/{request_id}/response")
    connection.putheader("Lambda-Runtime-Function-Response-Mode", "streaming")
    connection.putheader("Transfer-Encoding", "chunked")
    connection.putheader("Content-Type", "application/vnd.awslambda.http-integration-response")
    if error:
        connection.putheader("Trailer", "Lambda-Runtime-Function-Error-Type")
    connection.endheaders()
    for pause, data in chunks:
        time.sleep(pause)
        connection.send(b"%x\r\n%s\r\n" % (len(data), data))
    if error:
        connection.send(b"0\r\nLambda-Runtime-Function-Error-Type: " + error.encode() + b"\r\n\r\n")
    else:
        connection.send(b"0\r\n\r\n")
    connection.getresponse().read()
    connection.close()


def answer(event: dict[str, object]) -> tuple[list[tuple[float, bytes]], str]:
    path = str(event.get("path"))
    head = metadata(
        {
            "statusCode": 201,
            "headers": {"content-type": "text/plain", "x-single": "one", "x-both": "single"},
            "multiValueHeaders": {"x-multi": ["a", "b"], "x-both": ["multi"]},
            "cookies": ["session=1; Path=/"],
        }
    )
    table: dict[str, tuple[list[tuple[float, bytes]], str]] = {
        "/stream": ([(0, head), (0, b"chunk-0\n"), (0.4, b"chunk-1\n"), (0.4, b"chunk-2\n")], ""),
        "/raw": ([(0, b"plain text without metadata")], ""),
        "/late": ([(0, b"x" * (17 * 1024)), (0, metadata({"statusCode": 200})), (0, b"b")], ""),
        "/extra-key": ([(0, metadata({"statusCode": 200, "body": "no"})), (0, b"body")], ""),
        "/echo": ([(0, metadata({"headers": {"content-type": "application/json"}}))], ""),
        "/idle": ([(0, head), (0, b"before\n"), (3, b"after\n")], ""),
        "/fail-midway": ([(0, head), (0, b"partial\n")], "Function.Boom"),
    }
    return table.get(path, ([(0, metadata({"statusCode": 404})), (0, b"unknown path")], ""))


while True:
    connection = http.client.HTTPConnection(host, int(port))
    connection.request("GET", "/2018-06-01/runtime/invocation/next")
    response = connection.getresponse()
    request_id = response.getheader("Lambda-Runtime-Aws-Request-Id") or ""
    event = json.loads(response.read())
    connection.close()
    chunks, error = answer(event)
    if str(event.get("path")) == "/echo":
        chunks.append((0, json.dumps(event).encode()))
    respond(request_id, chunks, error)

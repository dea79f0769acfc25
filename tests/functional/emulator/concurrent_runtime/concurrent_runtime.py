"""A stand-in for a Lambda Managed Instances runtime, written with ``http.client`` only.

The emulator's Managed Instances tests run it as the sandbox's bootstrap so they test the
emulator's side of the contract, not our runtime: ``AWS_LAMBDA_MAX_CONCURRENCY`` threads each
loop ``GET /next`` -> streamed ``POST /response`` (echoing ``Lambda-Runtime-Invocation-Id``),
and log one JSON object per line with the request id.

The parameters are an Invoke payload's keys or a Function URL's query string:

- ``release``: a file path; the answer's first chunk goes out at once, the second after the
  file exists (so a test can hold every stream open at once);
- ``sleep``: seconds to wait before the second chunk (past the deadline, for the 410 case);
- ``text_log``: a line to print that is not JSON;
- ``socket_log``: a line to write through the telemetry log socket instead of stdout.

Each answer reports what the environment looked like and the status of this worker's
previous answer, so a test sees a 410 to a late answer on the next one.
"""

import http.client
import json
import os
import socket
import sys
import threading
import time
from pathlib import Path
from typing import Any

API = os.environ["AWS_LAMBDA_RUNTIME_API"]
WORKERS = int(os.environ.get("AWS_LAMBDA_MAX_CONCURRENCY", "1"))
LOG_SOCKET = os.environ.get("_LAMBDA_TELEMETRY_LOG_FD_PROVIDER_SOCKET")
ENV_KEYS = (
    "AWS_LAMBDA_MAX_CONCURRENCY",
    "AWS_LAMBDA_INITIALIZATION_TYPE",
    "AWS_LAMBDA_LOG_FORMAT",
    "_LAMBDA_TELEMETRY_LOG_FD_PROVIDER_SOCKET",
)
_print_lock = threading.Lock()


def log(request_id: str | None, message: str) -> None:
    record = {"timestamp": time.time(), "level": "INFO", "message": message}
    if request_id is not None:
        record["requestId"] = request_id
    with _print_lock:
        sys.stdout.write(json.dumps(record) + "\n")


def wait_for(path: str) -> None:
    for _ in range(600):  # hang guard: 30 s
        if Path(path).exists():
            return
        time.sleep(0.05)


def answer(request_id: str, nonce: str | None, event: dict[str, Any], last: int | None) -> int:
    connection = http.client.HTTPConnection(API, timeout=60)
    headers = {
        "Lambda-Runtime-Function-Response-Mode": "streaming",
        "Content-Type": "application/json",
        "Transfer-Encoding": "chunked",
    }
    if nonce is not None:
        headers["Lambda-Runtime-Invocation-Id"] = nonce
    connection.putrequest("POST", f"/2018-06-01/runtime/invocation/{request_id}/response")
    for name, value in headers.items():
        connection.putheader(name, value)
    connection.endheaders()
    first = {
        "requestId": request_id,
        "pid": os.getpid(),
        "previousStatus": last,
        "env": {key: os.environ.get(key) for key in ENV_KEYS},
    }
    try:
        send_chunk(connection, json.dumps(first).encode() + b"\n")
        if "release" in event:
            wait_for(event["release"])
        time.sleep(float(event.get("sleep", 0)))
        send_chunk(connection, f"end {request_id}\n".encode())
        connection.send(b"0\r\n\r\n")
        status = connection.getresponse().status
    except OSError:
        try:
            status = connection.getresponse().status  # the emulator answered, then cut
        except (OSError, http.client.HTTPException):
            status = -1
    connection.close()
    return status


def send_chunk(connection: http.client.HTTPConnection, data: bytes) -> None:
    connection.send(b"%X\r\n%s\r\n" % (len(data), data))


def worker() -> None:
    connection = http.client.HTTPConnection(API, timeout=None)
    last: int | None = None
    log_socket = None
    while True:
        connection.request("GET", "/2018-06-01/runtime/invocation/next")
        response = connection.getresponse()
        payload = json.loads(response.read() or b"{}")
        event = payload.get("queryStringParameters") or payload  # a Function URL's query
        request_id = response.getheader("Lambda-Runtime-Aws-Request-Id") or ""
        nonce = response.getheader("Lambda-Runtime-Invocation-Id")
        log(request_id, f"invoked {request_id}")
        if "text_log" in event:
            with _print_lock:
                sys.stdout.write(str(event["text_log"]) + "\n")
        if "socket_log" in event and LOG_SOCKET:
            if log_socket is None:
                log_socket = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                log_socket.connect(LOG_SOCKET)
            record = {"level": "INFO", "message": event["socket_log"], "requestId": request_id}
            log_socket.sendall(json.dumps(record).encode() + b"\n")
        last = answer(request_id, nonce, event, last)
        log(request_id, f"answered {request_id}: {last}")


def main() -> None:
    threads = [threading.Thread(target=worker, daemon=True) for _ in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


if __name__ == "__main__":
    main()

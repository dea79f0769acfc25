"""The runtimes under test: how each one is started, unmodified, and what events it gets.

- ``ours``: ``runtime/bootstrap`` on the project's CPython (``.venv``);
- ``node``: npm ``aws-lambda-ric`` (``index.mjs`` run by node 22 itself, not through npx);
- ``awslambdaric``: PyPI ``awslambdaric`` on the same CPython as ours (buffered only);
- ``hayate``: PyPI ``hayate``'s ``run_lambda_streaming`` on the bench venv's CPython >= 3.12
  (streaming only; every event is a Function URL payload 2.0 event with the JSON as its body);
- ``null``: ``peers/null/null_runtime.py``, a stdlib ``http.client`` loop: the harness ceiling.

Every process gets the same Lambda-like environment and nothing from the caller's shell.
"""

import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bench.rapi import encode

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
PEERS_DIR = BENCH / "peers"
INSTALLED = BENCH / ".peers"
PROJECT_PYTHON = REPO / ".venv" / "bin" / "python"
NODE = REPO / "node_modules" / "node" / "bin" / "node"
NODE_RIC = INSTALLED / "node" / "node_modules" / "aws-lambda-ric" / "index.mjs"
BENCH_PYTHON = INSTALLED / "venv" / "bin" / "python"

BUFFERED, STREAMING = "buffered", "streaming"


@dataclass(frozen=True)
class Peer:
    name: str
    label: str
    modes: tuple[str, ...]

    def command(self, mode: str, runtime_api: str) -> tuple[list[str], dict[str, str], Path]:
        """argv, environment and working directory of one runtime process."""
        python = str(PROJECT_PYTHON if PROJECT_PYTHON.exists() else sys.executable)
        code = PEERS_DIR / self.name
        if self.name == "ours":
            argv, handler = [str(REPO / "runtime" / "bootstrap")], f"{mode}.handler"
        elif self.name == "awslambdaric":
            argv, handler = [python, "-m", "awslambdaric", f"{mode}.handler"], f"{mode}.handler"
        elif self.name == "node":
            argv, handler = [str(NODE), str(NODE_RIC)], f"handlers.{mode}"
        elif self.name == "hayate":
            argv, handler = [str(BENCH_PYTHON), "bootstrap.py"], "app"
        else:
            argv, handler = [python, "null_runtime.py", mode], "null"
        env = {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "LANG": "C.UTF-8",
            "TZ": ":UTC",
            "AWS_LAMBDA_RUNTIME_API": runtime_api,
            "_HANDLER": handler,
            "LAMBDA_TASK_ROOT": str(code),
            "AWS_LAMBDA_FUNCTION_NAME": "bench",
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1024",
            "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/bench",
            "AWS_LAMBDA_LOG_STREAM_NAME": "2026/01/01/[$LATEST]bench",
            "AWS_REGION": "us-east-1",
        }
        if self.name == "ours":
            env["LAMBDA_STREAMING_PYTHON"] = python
        return argv, env, code

    def event(self, params: Mapping[str, object]) -> bytes:
        """The event bytes for one scenario (hayate: wrapped in a Function URL event)."""
        if self.name != "hayate":
            return encode(params)
        return encode(function_url_event(json.dumps(params)))

    def installed(self) -> bool:
        if self.name == "node":
            return NODE.exists() and NODE_RIC.exists()
        if self.name == "hayate":
            return BENCH_PYTHON.exists()
        return True


PEERS = {
    peer.name: peer
    for peer in (
        Peer("ours", "ours (lambda_streaming)", (BUFFERED, STREAMING)),
        Peer("node", "Node RIC (aws-lambda-ric 4.0.2, node 22)", (BUFFERED, STREAMING)),
        Peer("awslambdaric", "awslambdaric 4.2.2", (BUFFERED,)),
        Peer("hayate", "hayate 0.16.0", (STREAMING,)),
        Peer("null", "null sender (stdlib http.client)", (BUFFERED, STREAMING)),
    )
}


def function_url_event(body: str) -> dict[str, object]:
    """A Function URL (payload 2.0) POST event as AWS builds it, with ``body`` as JSON."""
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": "/",
        "rawQueryString": "",
        "headers": {
            "content-type": "application/json",
            "host": "abcdefghij.lambda-url.us-east-1.on.aws",
            "user-agent": "bench",
            "x-forwarded-for": "127.0.0.1",
            "x-forwarded-port": "443",
            "x-forwarded-proto": "https",
            "accept": "*/*",
            "content-length": str(len(body)),
        },
        "requestContext": {
            "accountId": "anonymous",
            "apiId": "abcdefghij",
            "domainName": "abcdefghij.lambda-url.us-east-1.on.aws",
            "domainPrefix": "abcdefghij",
            "http": {
                "method": "POST",
                "path": "/",
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": "bench",
            },
            "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
            "routeKey": "$default",
            "stage": "$default",
            "time": "01/Jan/2026:00:00:00 +0000",
            "timeEpoch": 1767225600000,
        },
        "body": body,
        "isBase64Encoded": False,
    }

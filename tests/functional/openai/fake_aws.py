"""A fake Secrets Manager and SSM Parameter Store on loopback: the two reads ``api_key.py``
makes (``GetSecretValue``, ``GetParameter``) in the AWS JSON 1.1 protocol boto3 speaks, so the
function's unmodified boto3 clients reach it through ``AWS_ENDPOINT_URL_SECRETS_MANAGER`` /
``AWS_ENDPOINT_URL_SSM``."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any


class FakeSecrets:
    """``secrets`` (id -> string) and ``parameters`` (name -> value); ``calls`` counts reads."""

    def __init__(self, secrets: dict[str, str], parameters: dict[str, str]) -> None:
        fake = self
        self.secrets, self.parameters = secrets, parameters
        self.calls: list[tuple[str, str]] = []

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                target = self.headers.get("X-Amz-Target", "")
                status, answer = fake.answer(target, body)
                raw = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/x-amz-json-1.1")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def answer(self, target: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if target == "secretsmanager.GetSecretValue":
            self.calls.append(("secret", body["SecretId"]))
            if body["SecretId"] in self.secrets:
                arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:"
                return 200, {
                    "ARN": arn + body["SecretId"],
                    "Name": body["SecretId"],
                    "SecretString": self.secrets[body["SecretId"]],
                    "VersionId": "v1",
                }
        elif target == "AmazonSSM.GetParameter":
            self.calls.append(("parameter", body["Name"]))
            assert body.get("WithDecryption") is True
            if body["Name"] in self.parameters:
                value = self.parameters[body["Name"]]
                parameter = {"Name": body["Name"], "Type": "SecureString", "Value": value}
                return 200, {"Parameter": {**parameter, "Version": 1}}
        else:
            return 400, {"__type": "UnknownOperationException", "message": target}
        return 400, {"__type": "ResourceNotFoundException", "message": "not found"}

    def __enter__(self) -> "FakeSecrets":
        self.thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.server.shutdown()
        self.server.server_close()

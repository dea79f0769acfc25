"""The optional bearer-key check of the OpenAI-compatible demo (``openai_compat.py``).

A Function URL with ``AuthType NONE`` (the demo's ``public=true``) is open to anyone; OpenAI
clients send ``Authorization: Bearer <key>``, so the function can check a key itself:

- ``API_KEY_SECRET_ID``: a Secrets Manager secret (name or ARN) whose ``SecretString`` is the
  key (the demo stack creates one for ``public=true``), or
- ``API_KEY_PARAMETER``: an SSM Parameter Store parameter (a ``SecureString``) holding it.

Neither set: no check. Under ``AuthType AWS_IAM`` the request carries IAM's own signature in
``Authorization`` and Lambda has already checked it (the event's
``requestContext.authorizer.iam``), so no key is asked for either. The key is read on first use
and again after ``KEY_TTL_S`` (a rotated key takes effect within that), and compared in
constant time (``hmac.compare_digest``), so response timing does not reveal how much of a
guess was right.
"""

import hmac
import os
import time
from collections.abc import Mapping
from typing import Any

import boto3
from botocore.config import Config

from lambda_streaming.openai import OpenAIError

KEY_TTL_S = 300.0
SECRET_VARIABLE = "API_KEY_SECRET_ID"
PARAMETER_VARIABLE = "API_KEY_PARAMETER"
_cached: tuple[float, str] | None = None


def check_api_key(event: Mapping[str, Any]) -> None:
    """Return if the request may go on; else raise the 401 ``OpenAIError`` OpenAI sends."""
    if _signed_by_iam(event):
        return
    expected = configured_key()
    if expected is None:
        return
    headers = {name.lower(): value for name, value in (event.get("headers") or {}).items()}
    scheme, _, given = str(headers.get("authorization") or "").partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        raise OpenAIError(
            401,
            "You didn't provide an API key. Send it as 'Authorization: Bearer <key>' (the "
            "openai SDK's api_key).",
            code="invalid_api_key",
        )
    if not hmac.compare_digest(given.strip().encode(), expected.encode()):
        raise OpenAIError(401, "Incorrect API key provided.", code="invalid_api_key")


def _signed_by_iam(event: Mapping[str, Any]) -> bool:
    authorizer = (event.get("requestContext") or {}).get("authorizer") or {}
    return isinstance(authorizer, Mapping) and "iam" in authorizer


def configured_key() -> str | None:
    """The key from Secrets Manager or SSM (cached ``KEY_TTL_S``), or ``None`` if none is set."""
    global _cached  # noqa: PLW0603  # one value per sandbox, shared by its invocations
    secret_id = os.environ.get(SECRET_VARIABLE)
    parameter = os.environ.get(PARAMETER_VARIABLE)
    if not secret_id and not parameter:
        return None
    if secret_id and parameter:
        raise OpenAIError(
            500,
            f"the function sets both {SECRET_VARIABLE} and {PARAMETER_VARIABLE}; set one",
            type="server_error",
        )
    now = time.monotonic()
    if _cached is not None and now - _cached[0] < KEY_TTL_S:
        return _cached[1]
    try:
        key = _read_secret(secret_id) if secret_id else _read_parameter(str(parameter))
    except Exception as error:
        # The caller learns the check could not be made, not why (the log has the details).
        print(f"api_key: reading the API key failed: {error!r}")
        raise OpenAIError(
            500, "the function could not read its API key", type="server_error"
        ) from None
    if not key:
        raise OpenAIError(500, "the function's API key is empty", type="server_error")
    _cached = (now, key)
    return key


def _client(service: str) -> Any:
    return boto3.client(service, config=Config(retries={"mode": "standard", "max_attempts": 2}))


def _read_secret(secret_id: str) -> str:
    return str(
        _client("secretsmanager").get_secret_value(SecretId=secret_id)["SecretString"]
    ).strip()


def _read_parameter(name: str) -> str:
    answer = _client("ssm").get_parameter(Name=name, WithDecryption=True)
    return str(answer["Parameter"]["Value"]).strip()

"""OpenAI-shaped errors: the ``{"error": {...}}`` object, its HTTP status, and Bedrock's mapped.

Owns: ``OpenAIError`` (a failure the caller should see as OpenAI's API reports it: status,
``message``, ``type``, ``param``, ``code``) and ``openai_error(exc)``, which maps Bedrock's
errors (botocore's ``ClientError`` by duck typing, ``BedrockStreamError``) to the status and
type an OpenAI client expects, so ``openai.RateLimitError`` is what a throttled Bedrock raises.
The status -> exception mapping clients apply is OpenAI's
(https://platform.openai.com/docs/guides/error-codes): 400 BadRequestError, 401
AuthenticationError, 403 PermissionDeniedError, 404 NotFoundError, 429 RateLimitError, >= 500
InternalServerError.
"""

from __future__ import annotations

import json

from lambda_streaming.bedrock.deadline import DeadlineReached

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

INVALID_REQUEST = "invalid_request_error"

# Bedrock error code (ClientError Code, or an in-stream exception with a capital first letter)
# -> (HTTP status, OpenAI error type, OpenAI error code). Throttling and quota are the caller's
# 429 to retry; a busy or unready model 503; access the function's role lacks is 403.
_BEDROCK = {
    "ThrottlingException": (429, "rate_limit_error", "rate_limit_exceeded"),
    "ServiceQuotaExceededException": (429, "rate_limit_error", "rate_limit_exceeded"),
    "ValidationException": (400, INVALID_REQUEST, None),
    "AccessDeniedException": (403, "permission_error", "permission_denied"),
    "ResourceNotFoundException": (404, INVALID_REQUEST, "model_not_found"),
    "ServiceUnavailableException": (503, "server_error", "service_unavailable"),
    "ModelNotReadyException": (503, "server_error", "model_not_ready"),
    "ModelTimeoutException": (504, "server_error", "timeout"),
    "InternalServerException": (500, "server_error", None),
    "ModelErrorException": (500, "server_error", "model_error"),
    "ModelStreamErrorException": (500, "server_error", "model_error"),
}


class OpenAIError(Exception):
    """A failure answered as OpenAI's API answers it: ``status`` and the error object.

    >>> OpenAIError(400, "bad", param="n").to_json()
    {'error': {'message': 'bad', 'type': 'invalid_request_error', 'param': 'n', 'code': None}}
    """

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = INVALID_REQUEST,  # the field's name in OpenAI's object
        param: str | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
        # lambda_streaming.error_type names it so for a direct invoke's caller and the logs.
        self.error_type = f"Function.OpenAI{status}"

    def to_json(self) -> dict[str, Any]:
        """The error object OpenAI's API sends (and its SDKs read)."""
        return {
            "error": {
                "message": self.message,
                "type": self.type,
                "param": self.param,
                "code": self.code,
            }
        }

    def body(self) -> str:
        """``to_json()`` as a response body."""
        return json.dumps(self.to_json(), ensure_ascii=False)

    def headers(self) -> dict[str, str]:
        """Response headers: JSON, and ``retry-after`` for a status worth retrying."""
        headers = {"content-type": "application/json"}
        if self.status in (429, 503):
            headers["retry-after"] = "1"
        return headers


def bad_request(message: str, param: str | None = None, code: str | None = None) -> OpenAIError:
    """A 400 ``invalid_request_error`` naming the request field at fault."""
    return OpenAIError(400, message, param=param, code=code)


def openai_error(error: BaseException) -> OpenAIError:
    """``error`` as an OpenAI client should see it.

    An ``OpenAIError`` stays itself; a Bedrock error (botocore ``ClientError``: its
    ``response["Error"]["Code"]``; ``BedrockStreamError``: its ``code``) gets its mapped status;
    ``DeadlineReached`` (the function's timeout is near) is a 504 ``timeout``; anything else
    is a 500 ``server_error`` whose message names the exception.
    """
    if isinstance(error, OpenAIError):
        return error
    if isinstance(error, DeadlineReached):
        return OpenAIError(504, str(error), type="server_error", code="timeout")
    details = getattr(error, "response", None)
    code = message = None
    if isinstance(details, dict):
        code = (details.get("Error") or {}).get("Code")
        message = (details.get("Error") or {}).get("Message")
    code = code or getattr(error, "code", None)
    if isinstance(code, str) and code:
        code = code[:1].upper() + code[1:]  # in-stream: throttlingException
        status, kind, openai_code = _BEDROCK.get(code, (500, "server_error", None))
        text = message or getattr(error, "message", None) or str(error)
        return OpenAIError(status, f"Bedrock {code}: {text}", type=kind, code=openai_code)
    return OpenAIError(500, f"{type(error).__name__}: {error}", type="server_error")

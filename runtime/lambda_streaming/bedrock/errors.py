"""What can go wrong reading a Bedrock stream, each as one exception that says what to do.

Owns: ``BedrockStreamError`` (an exception Bedrock reported: in the stream, or by botocore),
``UnknownShapeError`` (an event or chunk no reader knows), the recognition of both from raw
events, and ``bedrock_error`` (botocore's errors mapped by duck typing, so this package never
imports botocore). The Lambda error type of any of them is ``lambda_streaming.error_type(exc)``,
which reads the ``error_type`` attribute set here.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from typing import Any

# The exception members of the ConverseStreamOutput and ResponseStream unions in botocore's
# bedrock-runtime service model (2023-09-30). botocore yields them as event keys or raises them.
STREAM_EXCEPTIONS = frozenset(
    {
        "internalServerException",
        "modelStreamErrorException",
        "modelTimeoutException",
        "serviceUnavailableException",
        "throttlingException",
        "validationException",
    }
)


class BedrockStreamError(Exception):
    """An exception Bedrock reported inside the stream, e.g. ``throttlingException``.

    ``code`` is Bedrock's name for it; ``error_type`` (``Function.ThrottlingException``) is what
    ``lambda_streaming.error_type`` reports for it in the stream's error trailer and the SSE
    ``event: error``, so callers see which failure ended the stream. ``original_status_code``
    and ``original_message`` are set for ``modelStreamErrorException``.
    """

    def __init__(
        self,
        code: str,
        message: str,
        *,
        original_status_code: int | None = None,
        original_message: str | None = None,
    ) -> None:
        super().__init__(f"Bedrock {code}: {message}" if message else f"Bedrock {code}")
        self.code = code
        self.message = message
        self.original_status_code = original_status_code
        self.original_message = original_message
        # Read by lambda_streaming.error_type, which names the failure on every channel.
        self.error_type = f"Function.{code[:1].upper()}{code[1:]}" if code else "Function.Bedrock"

    @property
    def retryable(self) -> bool:
        """Whether asking again later may succeed (throttling, timeouts, 5xx-like failures)."""
        return self.code != "validationException"


class UnknownShapeError(ValueError):
    """A stream event or InvokeModel chunk whose shape no reader knows.

    Raised instead of silently yielding nothing: ``shape`` names the top-level keys (e.g.
    ``{completion, stop}``), ``api`` the operation. Use ConverseStream for a model whose
    native format is not read here, or update lambda_streaming.
    """

    error_type = "Function.UnknownBedrockShape"

    def __init__(self, api: str, shape: str, hint: str = "") -> None:
        message = f"{api}: an event of unknown shape {shape}"
        super().__init__(f"{message}. {hint}" if hint else message)
        self.api = api
        self.shape = shape


def shape_of(value: object) -> str:
    """A short description of a JSON value's shape: ``{a, b}`` for an object's keys."""
    if isinstance(value, dict):
        return "{" + ", ".join(sorted(str(key) for key in value)) + "}"
    return type(value).__name__


def raise_in_band_exception(event: Mapping[str, Any]) -> None:
    """Raise the exception member of a stream event, if it has one."""
    for code in STREAM_EXCEPTIONS.intersection(event):
        details = event[code] if isinstance(event[code], dict) else {}
        status = details.get("originalStatusCode")
        raise BedrockStreamError(
            code,
            str(details.get("message") or details.get("Message") or ""),
            original_status_code=status if isinstance(status, int) else None,
            original_message=details.get("originalMessage"),
        )


def bedrock_error(error: BaseException) -> BedrockStreamError | None:
    """``error`` as a ``BedrockStreamError`` if it is a Bedrock service error, else ``None``.

    Recognises botocore's ``EventStreamError``/``ClientError`` by duck typing (their
    ``.response["Error"]["Code"]``), so this module never imports botocore.
    """
    if isinstance(error, BedrockStreamError):
        return error
    response = getattr(error, "response", None)
    if not isinstance(response, dict):
        return None
    details = response.get("Error")
    if not isinstance(details, dict) or not details.get("Code"):
        return None
    return BedrockStreamError(str(details["Code"]), str(details.get("Message") or ""))


def close_source(source: object) -> None:
    """Close an event stream (botocore's ``EventStream.close``) if it can be closed."""
    close = getattr(source, "close", None)
    if callable(close):
        close()


def events_of(response: Mapping[str, Any], key: str, operation: str) -> Iterable[Any]:
    """The event iterable of a boto3 response, or a ``TypeError`` saying what to pass."""
    if not isinstance(response, dict) or key not in response:
        raise TypeError(f"expected the response of {operation}(), a dict with {key!r}")
    events = response[key]
    if isinstance(events, str | bytes) or not hasattr(events, "__iter__"):
        raise TypeError(
            f"response[{key!r}] is {type(events).__name__}, not an event stream: "
            f"pass the response of {operation}()"
        )
    return events  # type: ignore[no-any-return]

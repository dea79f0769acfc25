"""Events in, buffered results out: JSON exactly as the managed Python runtime writes it.

Reuses awslambdaric's encoder (simplejson, Decimal and NaN handling) rather than re-deriving
it. awslambdaric picks ``ensure_ascii`` from ``AWS_EXECUTION_ENV``, which Lambda sets only on
managed runtimes; this runtime always encodes as the managed python3.12+ runtimes do (UTF-8 as
is), since that is what users moving from them expect.
"""

from __future__ import annotations

import simplejson
from awslambdaric.lambda_runtime_marshaller import Encoder

from lambda_streaming.api.errors import FaultError


class _ManagedRuntimeEncoder(Encoder):  # type: ignore[misc]  # awslambdaric is untyped
    def __init__(self) -> None:
        simplejson.JSONEncoder.__init__(self, use_decimal=False, ensure_ascii=False, allow_nan=True)


_encoder = _ManagedRuntimeEncoder()


def unmarshal_event(body: bytes, content_type: str) -> object:
    """The event as the handler receives it: parsed JSON, or raw bytes for other types."""
    if content_type != "application/json":
        return body
    try:
        return simplejson.loads(body)
    except Exception as error:  # simplejson raises several types; all mean "not JSON"
        raise FaultError(
            f"Unable to unmarshal input: {error}", error_type="Runtime.UnmarshalError"
        ) from None


def marshal_result(result: object) -> tuple[bytes, str]:
    """The response body and its content type for a buffered handler's return value."""
    if isinstance(result, bytes):
        return result, "application/unknown"
    try:
        encoded: str = _encoder.encode(result)
    except Exception as error:  # TypeError, ValueError, RecursionError, ... from user objects
        raise FaultError(
            f"Unable to marshal response: {error}", error_type="Runtime.MarshalError"
        ) from None
    return encoded.encode("utf-8"), "application/json"

"""The ``context`` argument handlers receive, attribute for attribute as on the managed runtime.

Mirrors ``awslambdaric.lambda_context.LambdaContext`` (4.2.2), including ``repr``, so handlers
and libraries that introspect it behave the same. It is re-implemented rather than imported
because awslambdaric's module imports ``logging`` at start-up (a cold-start cost), and because
the function's settings come from the config read once, not from ``os.environ`` per invocation.
The differential test in tests/functional compares both, field by field.
"""

from __future__ import annotations

import sys
import time

from .errors import FaultError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from lambda_streaming.internals.config import RuntimeConfig
    from lambda_streaming.internals.runtime_api import Invocation

# Fields of the W3C trace context that awslambdaric surfaces through ``w3c()``.
W3C_ALLOWED_FIELDS = ("traceparent", "tracestate", "baggage")


class ContextUnmarshalError(FaultError):
    """A Client-Context or Cognito-Identity header that is not JSON."""

    error_type = "Runtime.LambdaContextUnmarshalError"


class CognitoIdentity:
    __slots__ = ("cognito_identity_id", "cognito_identity_pool_id")

    def __init__(self, identity: dict[str, object] | None) -> None:
        identity = identity or {}
        self.cognito_identity_id = identity.get("cognitoIdentityId")
        self.cognito_identity_pool_id = identity.get("cognitoIdentityPoolId")

    def __repr__(self) -> str:
        return (
            f"CognitoIdentity([cognito_identity_id={self.cognito_identity_id},"
            f"cognito_identity_pool_id={self.cognito_identity_pool_id}])"
        )


class Client:
    __slots__ = (
        "app_package_name",
        "app_title",
        "app_version_code",
        "app_version_name",
        "installation_id",
    )

    installation_id: object
    app_title: object
    app_version_name: object
    app_version_code: object
    app_package_name: object

    def __init__(self, client: dict[str, object]) -> None:
        for field in self.__slots__:
            setattr(self, field, client.get(field))

    def __repr__(self) -> str:
        return (
            f"Client([installation_id={self.installation_id},app_title={self.app_title},"
            f"app_version_name={self.app_version_name},"
            f"app_version_code={self.app_version_code},"
            f"app_package_name={self.app_package_name}])"
        )


class ClientContext:
    __slots__ = ("client", "custom", "env")

    def __init__(self, context: dict[str, object]) -> None:
        self.custom = context.get("custom")
        self.env = context.get("env")
        client = context.get("client")
        self.client = Client(client) if isinstance(client, dict) else None

    def __repr__(self) -> str:
        return f"ClientContext([custom={self.custom},env={self.env},client={self.client}])"


class LambdaContext:
    """Information about the invocation, the function and the execution environment."""

    def __init__(self, invocation: Invocation, config: RuntimeConfig) -> None:
        self.aws_request_id = invocation.request_id
        self.log_group_name = config.log_group_name
        self.log_stream_name = config.log_stream_name
        self.function_name = config.function_name
        self.memory_limit_in_mb = config.memory_limit_in_mb
        self.function_version = config.function_version
        self.invoked_function_arn = invocation.function_arn
        self.tenant_id = invocation.tenant_id
        # The X-Ray trace header (Lambda-Runtime-Trace-Id): the one place it is in concurrent
        # mode, where the process-wide _X_AMZN_TRACE_ID is not set.
        self.xray_trace_id = invocation.trace_id
        client_context = _parse_json_header(invocation.client_context, "Client Context")
        self._w3c_fields = _pop_w3c(client_context)
        self.client_context = (
            ClientContext(client_context) if isinstance(client_context, dict) else None
        )
        identity = _parse_json_header(invocation.cognito_identity, "Cognito Identity")
        self.identity = CognitoIdentity(identity if isinstance(identity, dict) else None)
        self._epoch_deadline_time_in_ms = invocation.deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before Lambda stops the invocation (never negative)."""
        remaining = self._epoch_deadline_time_in_ms - int(time.time() * 1000)
        return max(remaining, 0)

    def w3c(self) -> dict[str, str]:
        """The W3C trace context the caller passed in the client context, if any."""
        return dict(self._w3c_fields)

    def log(self, msg: object) -> None:
        """Write ``msg`` to the function's log, as awslambdaric's ``context.log`` does."""
        sys.stdout.write(str(msg))

    def __repr__(self) -> str:
        return (
            f"LambdaContext([aws_request_id={self.aws_request_id},"
            f"log_group_name={self.log_group_name},log_stream_name={self.log_stream_name},"
            f"function_name={self.function_name},memory_limit_in_mb={self.memory_limit_in_mb},"
            f"function_version={self.function_version},"
            f"invoked_function_arn={self.invoked_function_arn},"
            f"client_context={self.client_context},identity={self.identity},"
            f"tenant_id={self.tenant_id}])"
        )


def _parse_json_header(value: str | None, name: str) -> object:
    if not value:
        return None
    import json  # only when Lambda sends these headers: json costs cold start to import

    try:
        return json.loads(value)
    except ValueError as error:
        raise ContextUnmarshalError(f"Unable to parse {name} JSON: {error}") from None


def _pop_w3c(client_context: object) -> dict[str, str]:
    if not isinstance(client_context, dict) or "w3c" not in client_context:
        return {}
    raw = client_context.pop("w3c")
    if not isinstance(raw, dict):
        return {}
    return {key: raw[key] for key in W3C_ALLOWED_FIELDS if isinstance(raw.get(key), str)}

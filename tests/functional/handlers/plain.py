"""Buffered handlers with no dependency on lambda_streaming: run under both runtimes."""

import decimal


def return_dict(event, context):
    return {"ok": True, "echo": event, "nested": {"list": [1, 2.5, None, True]}}


def return_list(event, context):
    return [1, "two", {"three": 3}]


def return_str(event, context):
    return "plain string"


def return_none(event, context):
    return None


def return_decimal(event, context):
    return {
        "price": decimal.Decimal("1.10"),
        "nan": decimal.Decimal("NaN"),
        "big": decimal.Decimal("1e400"),
    }


def return_unicode(event, context):
    return {"greeting": "こんにちは", "emoji": "🚀", "escaped": 'tab\tquote"backslash\\'}


def return_bytes(event, context):
    return b"\x00raw bytes\xff"


def return_unserialisable(event, context):
    return {"when": object()}


def return_set(event, context):
    return {1, 2}


def raises(event, context):
    raise ValueError("boom from python handler")


def raises_custom(event, context):
    class QuotaError(Exception):
        pass

    raise QuotaError("out of quota: 日本語")


def context_fields(event, context):
    return {
        "aws_request_id": context.aws_request_id,
        "function_name": context.function_name,
        "function_version": context.function_version,
        "memory_limit_in_mb": context.memory_limit_in_mb,
        "invoked_function_arn": context.invoked_function_arn,
        "log_group_name": context.log_group_name,
        "log_stream_name": context.log_stream_name,
        "tenant_id": context.tenant_id,
        "identity": [
            context.identity.cognito_identity_id,
            context.identity.cognito_identity_pool_id,
        ],
        "client_context": None
        if context.client_context is None
        else {"custom": context.client_context.custom, "env": context.client_context.env},
        "reprs": [repr(context.identity), repr(context.client_context)],
        "w3c": context.w3c(),
        "remaining_is_int": isinstance(context.get_remaining_time_in_millis(), int),
    }


not_a_function = 42

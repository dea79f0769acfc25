"""The function's own entry points: an optional alias on a published version, and the Function
URL, on the alias when there is one (so provisioned concurrency serves the URL's requests).

CloudFront and the REST API, which sit in front of these, are in front_doors.py.
"""

from __future__ import annotations

from aws_cdk import Annotations
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

#: The id of the synth-time warning about a public Function URL (``auth_type=NONE``).
PUBLIC_URL_WARNING_ID = "@lambda-streaming/public-function-url"


def add_alias(
    scope: Construct, function: lambda_.Function, name: str, provisioned: int | None
) -> tuple[lambda_.Version, lambda_.Alias]:
    """Publish the function's current version and point alias ``name`` at it."""
    version = function.current_version
    alias = lambda_.Alias(
        scope,
        "Alias",
        alias_name=name,
        version=version,
        provisioned_concurrent_executions=provisioned,
    )
    return version, alias


def add_function_url(
    scope: Construct,
    owner: lambda_.IFunction,
    auth_type: lambda_.FunctionUrlAuthType,
    invoke_mode: lambda_.InvokeMode,
    cors: lambda_.FunctionUrlCorsOptions | None,
) -> lambda_.FunctionUrl:
    """The Function URL of ``owner``; a public one (``NONE``) gets a warning on ``scope``."""
    function_url = owner.add_function_url(auth_type=auth_type, invoke_mode=invoke_mode, cors=cors)
    if auth_type == lambda_.FunctionUrlAuthType.NONE:
        Annotations.of(scope).add_warning_v2(
            PUBLIC_URL_WARNING_ID,
            "auth_type=NONE: anyone on the internet who learns this Function URL can invoke "
            "the function and spend this account's money (Lambda time and every Bedrock "
            "token it generates). Prefer AWS_IAM (the default), or cloudfront=True with a "
            "WAF and your own auth in front.",
        )
    return function_url

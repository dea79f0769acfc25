"""Checks of StreamingPythonFunction's props, run before anything is built, with the fix in the
message; and the cdk-nag acknowledgments the construct is entitled to, each scoped to exactly
the finding it explains.

It knows Lambda's limits and which combinations of props cannot work; it builds nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import jsii
from aws_cdk import Acknowledgment, Duration, IAspect, Stack, Token, Validations
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import IConstruct

from stacks.dependency_layer import DependenciesLayer

# Lambda sets these itself and refuses them in a function's configuration (Lambda developer
# guide, "Defined runtime environment variables"); failing at synth beats failing at deploy.
RESERVED_ENVIRONMENT = frozenset(
    {
        "_HANDLER",
        "_X_AMZN_TRACE_ID",
        "AWS_DEFAULT_REGION",
        "AWS_REGION",
        "AWS_EXECUTION_ENV",
        "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_INITIALIZATION_TYPE",
        "AWS_LAMBDA_LOG_GROUP_NAME",
        "AWS_LAMBDA_LOG_STREAM_NAME",
        "AWS_ACCESS_KEY",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_LAMBDA_RUNTIME_API",
        "LAMBDA_TASK_ROOT",
        "LAMBDA_RUNTIME_DIR",
    }
)
#: Lambda's limit of layers per function (Lambda quotas page).
MAX_LAYERS = 5
#: What ``Tracing.ACTIVE`` adds on ``Resource: *`` (X-Ray has no resource-level permissions).
XRAY_ACTIONS = frozenset({"xray:PutTraceSegments", "xray:PutTelemetryRecords"})
_ALIAS_NAME = r"^(?!^[0-9]+$)[a-zA-Z0-9-_]{1,128}$"


def check_type(name: str, value: object, expected: type | str, hint: str) -> None:
    """Raise a TypeError naming the prop, what it got and what it takes.

    ``expected`` is a class, or for a CDK interface (a jsii protocol, which isinstance cannot
    check) an attribute every implementation has, e.g. ``"vpc_id"`` for ``ec2.IVpc``.
    """
    if value is None:
        return
    ok = (
        isinstance(value, expected)
        if isinstance(expected, type)
        else (not isinstance(value, (str, bytes)) and hasattr(value, expected))
    )
    if not ok:
        raise TypeError(f"{name}= takes {hint}, got {type(value).__name__} ({value!r:.80}).")


def check_resources(
    environment_encryption: object,
    role: object,
    log_group: object,
    dead_letter_queue: object,
    dependencies_layer: object,
) -> None:
    """The props that take a CDK resource got one (jsii would fail later, less clearly)."""
    check_type("environment_encryption", environment_encryption, "key_arn", "a kms.IKey")
    check_type("role", role, "role_arn", "an iam.IRole")
    check_type("log_group", log_group, "log_group_name", "a logs.ILogGroup")
    check_type("dead_letter_queue", dead_letter_queue, "queue_arn", "an sqs.IQueue")
    check_type("dependencies_layer", dependencies_layer, DependenciesLayer, "a DependenciesLayer")


def check_limits(memory_size: int, timeout: Duration, concurrency: int | None) -> None:
    """Lambda's memory, timeout and reserved concurrency ranges."""
    if isinstance(memory_size, bool) or not isinstance(memory_size, int):
        raise TypeError(f"memory_size= takes an int of MB, got {memory_size!r}.")
    if not 128 <= memory_size <= 10240:
        raise ValueError(f"memory_size={memory_size}: Lambda accepts 128 to 10240 MB.")
    if not 1 <= timeout.to_seconds() <= 900:
        raise ValueError(
            f"timeout={timeout.to_seconds()} s: Lambda accepts 1 s to 15 minutes "
            "(Duration.minutes(15))."
        )
    if concurrency is not None and (isinstance(concurrency, bool) or concurrency < 0):
        raise ValueError(
            f"reserved_concurrent_executions={concurrency} must be 0 or more "
            "(0 disables the function)."
        )


def check_environment(environment: Mapping[str, str], own: Sequence[str]) -> None:
    """Names Lambda or this construct set themselves cannot be overridden."""
    for key, value in environment.items():
        if key in RESERVED_ENVIRONMENT or key in own:
            raise ValueError(
                f"environment[{key!r}] is set by Lambda or by this construct and cannot be "
                "overridden; remove it (for a different interpreter use interpreter= or "
                "python_layer=)."
            )
        if not isinstance(value, str):
            raise TypeError(f"environment[{key!r}] must be a string, got {value!r}.")


def check_network(
    vpc: ec2.IVpc | None,
    subnets: ec2.SubnetSelection | None,
    security_groups: Sequence[ec2.ISecurityGroup] | None,
) -> None:
    """Subnets and security groups only make sense with a VPC."""
    check_type("vpc", vpc, "vpc_id", "an ec2.IVpc (e.g. ec2.Vpc.from_lookup(...))")
    if vpc is None and (subnets is not None or security_groups):
        raise ValueError(
            "vpc_subnets= and security_groups= place the function in a VPC: pass vpc= too."
        )
    for group in security_groups or ():
        check_type("security_groups", group, "security_group_id", "ec2.ISecurityGroup values")


def check_layers(layers: Sequence[lambda_.ILayerVersion], own: int) -> None:
    """Every extra layer is an ILayerVersion, and the total fits Lambda's five."""
    for layer in layers:
        check_type("layers", layer, "layer_version_arn", "lambda_.ILayerVersion values")
    if len(layers) + own > MAX_LAYERS:
        raise ValueError(
            f"layers= has {len(layers)} layers and the construct adds {own} (interpreter, "
            f"shared dependencies): Lambda allows {MAX_LAYERS} per function. Merge some."
        )


def check_alias(alias: str | None, provisioned: int | None, function_url: bool) -> None:
    """An alias name Lambda accepts; provisioned concurrency needs the alias."""

    if alias is not None and (not isinstance(alias, str) or not re.match(_ALIAS_NAME, alias)):
        raise ValueError(
            f"alias={alias!r}: 1-128 letters, digits, '-' or '_', not only digits (e.g. 'live')."
        )
    if provisioned is not None:
        if alias is None:
            raise ValueError(
                "provisioned_concurrency= is set on an alias: pass alias='live' too (the "
                "Function URL then points at the alias, so its requests use it)."
            )
        if isinstance(provisioned, bool) or provisioned < 1:
            raise ValueError(f"provisioned_concurrency={provisioned} must be 1 or more.")
    del function_url


def check_cloudfront_auth(cloudfront: bool, auth_type: lambda_.FunctionUrlAuthType) -> None:
    """CloudFront's Origin Access Control signs its requests: the URL must require IAM."""
    if cloudfront and auth_type != lambda_.FunctionUrlAuthType.AWS_IAM:
        raise ValueError(
            "cloudfront=True signs requests to the Function URL with Origin "
            "Access Control, which needs auth_type=AWS_IAM; keep the default "
            "auth_type (the distribution is the public entry point)."
        )


@jsii.implements(IAspect)
class XRayOnlyAcknowledgment:
    """Acknowledge ``AwsSolutions-IAM5[Resource::*]`` on a role's default policy only if its
    ``Resource: *`` statements are exactly X-Ray's.

    Decided at synth time, after every grant was added: a wildcard a user adds to the same
    role later (``dynamodb:DeleteTable`` on ``*``) leaves the finding unacknowledged, so cdk-nag
    fails the synth as it should.
    """

    def __init__(self, role: iam.IRole) -> None:
        self._role = role
        self._done = False

    def visit(self, node: IConstruct) -> None:
        if self._done or node is not self._role:
            return
        self._done = True
        policy = node.node.try_find_child("DefaultPolicy")
        if not isinstance(policy, iam.Policy):
            return
        document: Any = Stack.of(node).resolve(policy.document.to_json())
        star = [s for s in document.get("Statement", []) if _resources(s) == ["*"]]
        actions = {a for s in star for a in _actions(s)}
        if star and actions <= XRAY_ACTIONS and all(not s.get("Condition") for s in star):
            Validations.of(policy).acknowledge(
                Acknowledgment(
                    id="AwsSolutions::AwsSolutions-IAM5[Resource::*]",
                    reason="X-Ray tracing only: xray:PutTraceSegments and "
                    "xray:PutTelemetryRecords support no resource-level permissions, so "
                    "Resource * is their only form (checked at synth: no other action is on *).",
                )
            )


def _resources(statement: Mapping[str, Any]) -> list[str]:
    value = statement.get("Resource", [])
    return [str(v) for v in (value if isinstance(value, list) else [value])]


def _actions(statement: Mapping[str, Any]) -> list[str]:
    value = statement.get("Action", [])
    return [str(v) for v in (value if isinstance(value, list) else [value])]


def is_token(value: object) -> bool:
    """Whether ``value`` is a CDK token (resolved at deploy time)."""
    return isinstance(value, str) and Token.is_unresolved(value)

"""StreamingPythonFunction: a Python Lambda function whose responses stream, in one construct.

It builds the function (interpreter layer, streaming runtime, handler code, dependencies), a
Function URL in ``RESPONSE_STREAM`` mode, a least-privilege role, a log group and, on request,
CloudFront or an API Gateway REST API in front. Packaging lives in packaging.py, interpreter
sources in interpreter.py, Bedrock IAM in bedrock_access.py, the optional front doors in
front_doors.py, the checks of the props in function_options.py; this module wires them.
"""

from __future__ import annotations

import enum
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import (
    Acknowledgment,
    Annotations,
    Aspects,
    Duration,
    Stack,
    Validations,
    aws_cloudfront,
)
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from constructs import Construct, IValidation

from stacks import function_options as checks
from stacks import package_size, packaging
from stacks.bedrock_access import AnyProfile, invoke_statements, wildcard_model_resources
from stacks.dependencies import as_requirements
from stacks.dependency_layer import SITE_DIR, DependenciesLayer
from stacks.front_doors import DEFAULT_READ_TIMEOUT, cloudfront_distribution, streaming_rest_api
from stacks.interpreter import InterpreterSource, layer_asset_key
from stacks.interpreter import python_layer as shared_python_layer
from stacks.managed_instances import ManagedInstances, managed_instances_attach
from stacks.managed_instances import check as managed_instances_check
from stacks.target import Target

#: Environment variables this construct sets (bootstrap reads the first; Lambda the second).
PYTHON_ENV = "LAMBDA_STREAMING_PYTHON"
EXEC_WRAPPER_ENV = "AWS_LAMBDA_EXEC_WRAPPER"
PUBLIC_URL_WARNING_ID = "@lambda-streaming/public-function-url"
_VPC_POLICY = "service-role/AWSLambdaVPCAccessExecutionRole"


class RuntimeMode(enum.Enum):
    """How the function gets a Python and starts the streaming loop."""

    #: ``provided.al2023`` with CPython in a layer; bootstrap is the runtime (the default).
    PROVIDED = "provided"
    #: The managed ``python3.x`` runtime; ``AWS_LAMBDA_EXEC_WRAPPER`` makes Lambda start our
    #: bootstrap instead of its own runtime client, as Lambda Web Adapter does. Ships no
    #: interpreter and AWS patches it; that Lambda supports streaming this way is not
    #: documented by AWS.
    MANAGED = "managed"


@jsii.implements(iam.IGrantable)
class StreamingPythonFunction(Construct):
    """A Python Lambda function that can stream its response, with a streaming Function URL.

    Example::

        chat = StreamingPythonFunction(self, "Chat", entry="lambda_src",
                                       handler="stream_text.handler", alias="live")
        chat.grant_bedrock_invoke(
            inference_profiles=["us.anthropic.claude-haiku-4-5-20251001-v1:0"])
        CfnOutput(self, "ChatUrl", value=chat.url)

    Attributes: ``function``, ``version`` and ``alias`` (None without ``alias=``),
    ``invoke_target`` (the alias, else the function), ``function_url`` and ``url`` (None with
    ``function_url=False``; ``url`` is the distribution's with ``cloudfront=True``), ``role``,
    ``log_group``, ``distribution`` and ``rest_api`` (None unless requested), ``python_layer``
    (None with ``RuntimeMode.MANAGED``), ``capacity_provider`` (None without
    ``managed_instances=``). It is ``IGrantable``: ``bucket.grant_read(chat)``.
    """

    def __init__(  # noqa: PLR0915 - one place that wires every documented option, in order
        self,
        scope: Construct,
        construct_id: str,
        *,
        entry: str | os.PathLike[str],
        handler: str,
        requirements: str | os.PathLike[str] | Sequence[str] | None = None,
        python_version: str = "3.13",
        architecture: lambda_.Architecture = lambda_.Architecture.ARM_64,
        memory_size: int = 512,
        timeout: Duration | None = None,
        environment: Mapping[str, str] | None = None,
        environment_encryption: kms.IKey | None = None,
        reserved_concurrent_executions: int | None = None,
        description: str | None = None,
        runtime_mode: RuntimeMode = RuntimeMode.PROVIDED,
        interpreter: InterpreterSource | None = None,
        python_layer: lambda_.ILayerVersion | None = None,
        dependencies_layer: DependenciesLayer | None = None,
        layers: Sequence[lambda_.ILayerVersion] = (),
        exclude: Sequence[str] = packaging.DEFAULT_EXCLUDES,
        vpc: ec2.IVpc | None = None,
        vpc_subnets: ec2.SubnetSelection | None = None,
        security_groups: Sequence[ec2.ISecurityGroup] | None = None,
        role: iam.IRole | None = None,
        log_group: logs.ILogGroup | None = None,
        log_retention: logs.RetentionDays = logs.RetentionDays.ONE_MONTH,
        dead_letter_queue: sqs.IQueue | None = None,
        alias: str | None = None,
        provisioned_concurrency: int | None = None,
        function_url: bool = True,
        auth_type: lambda_.FunctionUrlAuthType = lambda_.FunctionUrlAuthType.AWS_IAM,
        invoke_mode: lambda_.InvokeMode = lambda_.InvokeMode.RESPONSE_STREAM,
        cors: lambda_.FunctionUrlCorsOptions | None = None,
        cloudfront: bool = False,
        cloudfront_read_timeout: Duration = DEFAULT_READ_TIMEOUT,
        rest_api: bool = False,
        tracing: bool = True,
        managed_instances: ManagedInstances | None = None,
    ) -> None:
        """Validate every prop, then build. Lambda's own options are passed to
        ``lambda_.Function`` unchanged; see its documentation for each.

        :param entry: directory with the handler code; copied into ``/var/task``.
        :param handler: ``module.function`` in ``entry`` (dotted packages allowed).
        :param requirements: a requirements file, ``pyproject.toml`` or ``uv.lock``, or a list
            of requirement lines. Default: the first of those three found in ``entry``.
        :param python_version: ``"3.11"`` to ``"3.14"`` (default ``"3.13"``).
        :param dependencies_layer: a :class:`DependenciesLayer` shared with other functions.
        :param layers: extra layers of yours (Lambda allows five in all).
        :param role: your own execution role (default: a new one with only what is granted).
        :param log_group: your own log group (default: a new one kept ``log_retention``).
        :param alias: publish a version and point this alias at it; the Function URL and the
            REST API then invoke the alias (so ``provisioned_concurrency`` serves them).
        :param function_url: False for no Function URL (e.g. only ``rest_api=True``).
        :param auth_type: Function URL auth: ``AWS_IAM`` (default) or ``NONE`` (public; a
            synth-time warning says what that costs).
        :param invoke_mode: ``RESPONSE_STREAM`` (default) or ``BUFFERED``.
        :param cloudfront: put a CloudFront distribution with Origin Access Control in front.
        :param cloudfront_read_timeout: CloudFront's wait for the first and each next byte
            (default 60 s, the most every account may use; up to 180 s after a quota increase).
        :param rest_api: add an API Gateway REST API streaming the function's response.
        :param tracing: X-Ray active tracing (default on).
        :param managed_instances: run on Lambda Managed Instances, many invocations per
            environment (:class:`ManagedInstances`); ``vpc=`` then places its capacity provider.
        """
        super().__init__(scope, construct_id)
        timeout = timeout or Duration.minutes(5)
        target = Target.of(
            python_version, architecture, managed=runtime_mode is RuntimeMode.MANAGED
        )
        entry_dir = Path(entry).expanduser().resolve()
        packaging.check_entry(entry_dir, handler, exclude)
        deps = as_requirements(requirements, entry_dir)
        checks.check_limits(memory_size, timeout, reserved_concurrent_executions)
        checks.check_environment(environment or {}, (PYTHON_ENV, EXEC_WRAPPER_ENV))
        checks.check_network(vpc, vpc_subnets, security_groups)
        checks.check_type("environment_encryption", environment_encryption, "key_arn", "a kms.IKey")
        checks.check_type("role", role, "role_arn", "an iam.IRole")
        checks.check_type("log_group", log_group, "log_group_name", "a logs.ILogGroup")
        checks.check_type("dead_letter_queue", dead_letter_queue, "queue_arn", "an sqs.IQueue")
        checks.check_type(
            "dependencies_layer", dependencies_layer, DependenciesLayer, "a DependenciesLayer"
        )
        checks.check_alias(alias, provisioned_concurrency, function_url)
        _check_combinations(runtime_mode, interpreter, python_layer, cloudfront, auth_type)
        managed_instances_check(
            managed_instances,
            memory_size=memory_size,
            python_version=python_version,
            managed_runtime=runtime_mode is RuntimeMode.MANAGED,
            vpc=vpc,
            reserved_concurrent_executions=reserved_concurrent_executions,
            provisioned_concurrency=provisioned_concurrency,
        )
        # On Managed Instances the network is the capacity provider's, not the function's.
        function_vpc = vpc if managed_instances is None else None
        if cloudfront and not function_url:
            raise ValueError("cloudfront=True fronts the Function URL: keep function_url=True.")
        if dependencies_layer is not None:
            dependencies_layer.check_target(target, self.node.path)
            if "PYTHONPATH" in (environment or {}):
                raise ValueError(
                    "environment['PYTHONPATH'] and dependencies_layer= both set the module "
                    f"path; drop PYTHONPATH (the layer's packages are in {SITE_DIR})."
                )
        runtime, self.python_layer, runtime_env = self._runtime(
            target, runtime_mode, interpreter, python_layer
        )
        env = {**(environment or {}), **runtime_env}
        own_layers = [layer for layer in (self.python_layer,) if layer is not None]
        if dependencies_layer is not None:
            own_layers.append(dependencies_layer.layer)
            env["PYTHONPATH"] = SITE_DIR
        checks.check_layers(layers, len(own_layers))

        self.log_group: logs.ILogGroup = log_group or logs.LogGroup(
            self, "Logs", retention=log_retention
        )
        self.role: iam.IRole = role or iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Streaming Python function: writes its own log group, nothing else "
            "unless granted",
        )
        self.log_group.grant_write(self.role)
        if function_vpc is not None:
            self._allow_network_interfaces()
        code, code_key = packaging.function_code(
            entry=entry_dir, requirements=deps, target=target, exclude=exclude
        )
        self.function = lambda_.Function(
            self,
            "Function",
            runtime=runtime,
            architecture=target.architecture,
            handler=handler,
            code=code,
            layers=[*own_layers, *layers] or None,
            memory_size=memory_size,
            timeout=timeout,
            environment=env,
            environment_encryption=environment_encryption,
            reserved_concurrent_executions=reserved_concurrent_executions,
            description=description,
            role=self.role,
            log_group=self.log_group,
            logging_format=lambda_.LoggingFormat.JSON,
            tracing=lambda_.Tracing.ACTIVE if tracing else lambda_.Tracing.DISABLED,
            vpc=function_vpc,
            vpc_subnets=vpc_subnets if function_vpc else None,
            security_groups=list(security_groups) if security_groups and function_vpc else None,
            dead_letter_queue=dead_letter_queue,
        )
        self.capacity_provider = managed_instances_attach(
            managed_instances,
            self,
            self.function,
            architecture=target.architecture,
            vpc=vpc,
            vpc_subnets=vpc_subnets,
            security_groups=security_groups or (),
        )
        Aspects.of(self).add(checks.XRayOnlyAcknowledgment(self.role))
        if runtime_mode is RuntimeMode.MANAGED:
            Validations.of(self.function).acknowledge(
                Acknowledgment(
                    id="AwsSolutions::AwsSolutions-L1",
                    reason=f"python_version={python_version} on purpose: the streaming runtime "
                    "supports CPython 3.11-3.14.",
                )
            )
        asset_keys = [code_key]
        if self.python_layer is not None and python_layer is None:
            asset_keys.append(layer_asset_key(self.python_layer))
        if dependencies_layer is not None:
            asset_keys.append(dependencies_layer.asset_key)
        self.node.add_validation(_SizeCheck(asset_keys, self.node.path))

        self.version: lambda_.Version | None = None
        self.alias: lambda_.Alias | None = None
        self.invoke_target: lambda_.IFunction = self.function
        if alias is not None:
            self.version = self.function.current_version
            self.alias = lambda_.Alias(
                self,
                "Alias",
                alias_name=alias,
                version=self.version,
                provisioned_concurrent_executions=provisioned_concurrency,
            )
            self.invoke_target = self.alias

        self.function_url: lambda_.FunctionUrl | None = None
        self.url: str | None = None
        self.distribution: aws_cloudfront.Distribution | None = None
        if function_url:
            self._add_url(auth_type, invoke_mode, cors)
        if cloudfront and self.function_url is not None:
            self.distribution = cloudfront_distribution(
                self, self.function_url, timeout, cloudfront_read_timeout
            )
            self.url = f"https://{self.distribution.distribution_domain_name}/"
        self.rest_api: apigateway.RestApi | None = None
        if rest_api:
            self.rest_api = streaming_rest_api(
                self,
                self.invoke_target,
                iam_auth=auth_type == lambda_.FunctionUrlAuthType.AWS_IAM,
                stream=invoke_mode == lambda_.InvokeMode.RESPONSE_STREAM,
            )
        self._bedrock_policy: iam.Policy | None = None
        self._grants = 0

    @property
    def grant_principal(self) -> iam.IPrincipal:
        """The execution role: what ``grant_*(this)`` of other constructs give rights to."""
        return self.role.grant_principal

    def grant_invoke_url(self, grantee: iam.IGrantable) -> iam.Grant:
        """Allow ``grantee`` to call the Function URL (SigV4, ``lambda:InvokeFunctionUrl``)."""
        if self.function_url is None:
            raise ValueError(f"{self.node.path} has no Function URL (function_url=False).")
        return self.function_url.grant_invoke_url(grantee)

    def grant_invoke(self, grantee: iam.IGrantable) -> iam.Grant:
        """Allow ``grantee`` to invoke the function (its alias, if any) directly."""
        return self.invoke_target.grant_invoke(grantee)

    def _add_url(
        self,
        auth_type: lambda_.FunctionUrlAuthType,
        invoke_mode: lambda_.InvokeMode,
        cors: lambda_.FunctionUrlCorsOptions | None,
    ) -> None:
        owner = self.alias if self.alias is not None else self.function
        self.function_url = owner.add_function_url(
            auth_type=auth_type, invoke_mode=invoke_mode, cors=cors
        )
        self.url = self.function_url.url
        if auth_type == lambda_.FunctionUrlAuthType.NONE:
            Annotations.of(self).add_warning_v2(
                PUBLIC_URL_WARNING_ID,
                "auth_type=NONE: anyone on the internet who learns this Function URL can invoke "
                "the function and spend this account's money (Lambda time and every Bedrock "
                "token it generates). Prefer AWS_IAM (the default), or cloudfront=True with a "
                "WAF and your own auth in front.",
            )

    def _allow_network_interfaces(self) -> None:
        """Lambda creates ENIs in the VPC with the role: AWS's managed policy for exactly that."""
        policy = iam.ManagedPolicy.from_aws_managed_policy_name(_VPC_POLICY)
        self.role.add_managed_policy(policy)
        Validations.of(self.role).acknowledge(
            Acknowledgment(
                id="AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:"
                f"policy/{_VPC_POLICY}]",
                reason="vpc= given: Lambda needs ec2:CreateNetworkInterface & co. to attach "
                "the function to the VPC, which AWS's managed policy grants and keeps current.",
            )
        )

    def _runtime(
        self,
        target: Target,
        mode: RuntimeMode,
        interpreter: InterpreterSource | None,
        layer: lambda_.ILayerVersion | None,
    ) -> tuple[lambda_.Runtime, lambda_.ILayerVersion | None, dict[str, str]]:
        """The Lambda runtime, the interpreter layer and the environment that selects Python."""
        if mode is RuntimeMode.MANAGED:
            return (
                target.managed_runtime,
                None,
                {
                    EXEC_WRAPPER_ENV: "/var/task/bootstrap",
                    PYTHON_ENV: f"/var/lang/bin/{target.interpreter_name}",
                },
            )
        if layer is not None:  # the user's own layout: bootstrap searches /opt/bin itself
            return lambda_.Runtime.PROVIDED_AL2023, layer, {}
        source = interpreter or InterpreterSource.python_build_standalone()
        return (
            lambda_.Runtime.PROVIDED_AL2023,
            shared_python_layer(self, target, source),
            {PYTHON_ENV: f"/opt/bin/{target.interpreter_name}"},
        )

    def grant_bedrock_invoke(
        self,
        *,
        models: Sequence[str] = (),
        inference_profiles: Sequence[AnyProfile] = (),
        region: str | None = None,
    ) -> list[iam.PolicyStatement]:
        """Allow invoking exactly these Bedrock models (buffered, streamed, Converse).

        :param models: foundation model ids called directly, e.g.
            ``"amazon.nova-lite-v1:0"``.
        :param inference_profiles: cross-Region profile ids (``"us.anthropic..."``,
            ``"global.anthropic..."``), :class:`InferenceProfile` or
            :class:`ApplicationInferenceProfile` values. Each grants the profile and its
            foundation model in any Region, only through that profile (AWS's pattern).
        :param region: the Region the function calls Bedrock in (default: the stack's).

        Returns the statements added to the role's ``BedrockInvoke`` policy.
        """
        stack = Stack.of(self)
        self._grants += 1
        statements = invoke_statements(
            stack,
            models=models,
            inference_profiles=inference_profiles,
            region=region or stack.region,
            sid_suffix="" if self._grants == 1 else str(self._grants),
        )
        if self._bedrock_policy is None:
            self._bedrock_policy = iam.Policy(self, "BedrockInvoke", roles=[self.role])
        self._bedrock_policy.add_statements(*statements)
        for resource in wildcard_model_resources(statements):
            finding = Stack.of(self).resolve(resource)
            Validations.of(self._bedrock_policy).acknowledge(
                Acknowledgment(
                    id=f"AwsSolutions::AwsSolutions-IAM5[Resource::{_nag_form(finding)}]",
                    reason="A foundation model reached through an inference profile: any "
                    "Region (Bedrock picks the destination), only with the condition "
                    "bedrock:InferenceProfileArn = that profile, as the Bedrock user guide "
                    "documents for inference profiles.",
                )
            )
        return statements


def _nag_form(resolved: Any) -> str:
    """cdk-nag's spelling of a resource in a finding id (``<AWS::Partition>`` for tokens)."""
    if isinstance(resolved, dict) and "Fn::Join" in resolved:
        separator, parts = resolved["Fn::Join"]
        return str(separator).join(
            f"<{p['Ref']}>" if isinstance(p, dict) and "Ref" in p else str(p) for p in parts
        )
    return str(resolved)


@jsii.implements(IValidation)
class _SizeCheck:
    def __init__(self, keys: list[str], path: str) -> None:
        self._keys, self._path = keys, path

    def validate(self) -> list[str]:
        return package_size.check(self._keys, what=self._path)


def _check_combinations(
    mode: RuntimeMode,
    interpreter: InterpreterSource | None,
    layer: lambda_.ILayerVersion | None,
    cloudfront: bool,
    auth_type: lambda_.FunctionUrlAuthType,
) -> None:
    if mode is RuntimeMode.MANAGED and (interpreter or layer):
        raise ValueError(
            "interpreter= and python_layer= are for RuntimeMode.PROVIDED: the "
            "managed runtime brings its own Python; drop them."
        )
    if interpreter is not None and layer is not None:
        raise ValueError("pass interpreter= or python_layer=, not both.")
    if cloudfront and auth_type != lambda_.FunctionUrlAuthType.AWS_IAM:
        raise ValueError(
            "cloudfront=True signs requests to the Function URL with Origin "
            "Access Control, which needs auth_type=AWS_IAM; keep the default "
            "auth_type (the distribution is the public entry point)."
        )

"""StreamingPythonFunction: a Python Lambda function whose responses stream, in one construct.

It builds the function (interpreter layer, streaming runtime, handler code, dependencies), a
Function URL in ``RESPONSE_STREAM`` mode, a least-privilege role, a log group and, on request,
CloudFront or an API Gateway REST API in front. Packaging lives in packaging.py, interpreter
sources in interpreter/, the choice of runtime and Python in runtime_mode.py, the role in
execution_role.py, the alias and Function URL in function_url.py, Bedrock IAM in
bedrock_access.py and bedrock_grants.py, the optional front doors in front_doors.py, the checks
of the props in function_options.py; this module wires them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import jsii
from aws_cdk import Aspects, Duration, aws_cloudfront
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from stacks import function_options as checks
from stacks import packaging
from stacks.bedrock_access import AnyProfile
from stacks.bedrock_grants import BedrockInvokePolicy
from stacks.dependencies import as_requirements
from stacks.dependency_layer import SITE_DIR, DependenciesLayer
from stacks.execution_role import execution_role
from stacks.front_doors import DEFAULT_READ_TIMEOUT, cloudfront_distribution, streaming_rest_api
from stacks.function_url import PUBLIC_URL_WARNING_ID, add_alias, add_function_url
from stacks.interpreter import InterpreterSource, layer_asset_key
from stacks.managed_instances import ManagedInstances, managed_instances_attach
from stacks.managed_instances import check as managed_instances_check
from stacks.package_size import SizeCheck
from stacks.runtime_mode import (
    EXEC_WRAPPER_ENV,
    PYTHON_ENV,
    RuntimeMode,
    acknowledge_managed_version,
    check_interpreter_choice,
    function_runtime,
)
from stacks.target import Target

# With the names that moved to modules of their own, importable from here as before.
__all__ = [
    "EXEC_WRAPPER_ENV",
    "PUBLIC_URL_WARNING_ID",
    "PYTHON_ENV",
    "RuntimeMode",
    "StreamingPythonFunction",
]


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
        checks.check_resources(
            environment_encryption, role, log_group, dead_letter_queue, dependencies_layer
        )
        checks.check_alias(alias, provisioned_concurrency, function_url)
        check_interpreter_choice(runtime_mode, interpreter, python_layer)
        checks.check_cloudfront_auth(cloudfront, auth_type)
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
            dependencies_layer.check_function(target, self.node.path, environment or {})
        runtime, self.python_layer, runtime_env = function_runtime(
            self, target, runtime_mode, interpreter, python_layer
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
        self.role: iam.IRole = execution_role(
            self, role, self.log_group, in_vpc=function_vpc is not None
        )
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
            acknowledge_managed_version(self.function, python_version)
        asset_keys = [code_key]
        if self.python_layer is not None and python_layer is None:
            asset_keys.append(layer_asset_key(self.python_layer))
        if dependencies_layer is not None:
            asset_keys.append(dependencies_layer.asset_key)
        self.node.add_validation(SizeCheck(asset_keys, self.node.path))

        self.version: lambda_.Version | None = None
        self.alias: lambda_.Alias | None = None
        self.invoke_target: lambda_.IFunction = self.function
        if alias is not None:
            self.version, self.alias = add_alias(
                self, self.function, alias, provisioned_concurrency
            )
            self.invoke_target = self.alias

        self.function_url: lambda_.FunctionUrl | None = None
        self.url: str | None = None
        self.distribution: aws_cloudfront.Distribution | None = None
        if function_url:
            self.function_url = add_function_url(
                self, self.invoke_target, auth_type, invoke_mode, cors
            )
            self.url = self.function_url.url
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
        self._bedrock = BedrockInvokePolicy(self, self.role)

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
        return self._bedrock.grant(
            models=models, inference_profiles=inference_profiles, region=region
        )

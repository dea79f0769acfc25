"""StreamingPythonFunction: a Python Lambda function whose responses stream, in one construct.

It builds the function (interpreter layer, streaming runtime, handler code, dependencies), a
Function URL in ``RESPONSE_STREAM`` mode, a least-privilege role, a log group and, on request,
CloudFront or an API Gateway REST API in front. Packaging lives in packaging.py, interpreter
sources in interpreter.py, Bedrock IAM in bedrock_access.py, the optional front doors in
front_doors.py; this module wires them and validates the props.
"""

from __future__ import annotations

import enum
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from aws_cdk import Acknowledgment, Annotations, Duration, Stack, Validations, aws_cloudfront
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from stacks import packaging
from stacks.bedrock_access import InferenceProfile, invoke_statement
from stacks.dependencies import as_requirements
from stacks.front_doors import cloudfront_distribution, streaming_rest_api
from stacks.interpreter import InterpreterSource
from stacks.interpreter import python_layer as shared_python_layer
from stacks.target import Target

# Lambda sets these itself and refuses them in a function's configuration (Lambda developer
# guide, "Defined runtime environment variables"); failing at synth beats failing at deploy.
_RESERVED_ENVIRONMENT = frozenset(
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
#: Environment variables this construct sets (bootstrap reads the first; Lambda the second).
PYTHON_ENV = "LAMBDA_STREAMING_PYTHON"
EXEC_WRAPPER_ENV = "AWS_LAMBDA_EXEC_WRAPPER"
PUBLIC_URL_WARNING_ID = "@lambda-streaming/public-function-url"


class RuntimeMode(enum.Enum):
    """How the function gets a Python and starts the streaming loop."""

    #: ``provided.al2023`` with CPython in a layer; bootstrap is the runtime (the default).
    PROVIDED = "provided"
    #: The managed ``python3.x`` runtime; ``AWS_LAMBDA_EXEC_WRAPPER`` makes Lambda start our
    #: bootstrap instead of its own runtime client, as Lambda Web Adapter does. Ships no
    #: interpreter and AWS patches it; that Lambda supports streaming this way is not
    #: documented by AWS (../shared/docs/cdk-packaging.md §1.2, option c1).
    MANAGED = "managed"


class StreamingPythonFunction(Construct):
    """A Python Lambda function that can stream its response, with a streaming Function URL.

    Example::

        chat = StreamingPythonFunction(self, "Chat", entry="lambda_src",
                                       handler="stream_text.handler")
        chat.grant_bedrock_invoke(models=["anthropic.claude-3-haiku-20240307-v1:0"])
        CfnOutput(self, "ChatUrl", value=chat.url)

    Attributes: ``function``, ``function_url``, ``log_group``, ``url`` (what clients call:
    the distribution's URL with ``cloudfront=True``, else the Function URL), ``role``,
    ``distribution`` and ``rest_api`` (None unless requested), ``python_layer`` (None with
    ``RuntimeMode.MANAGED``).
    """

    def __init__(
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
        reserved_concurrent_executions: int | None = None,
        description: str | None = None,
        runtime_mode: RuntimeMode = RuntimeMode.PROVIDED,
        interpreter: InterpreterSource | None = None,
        python_layer: lambda_.ILayerVersion | None = None,
        exclude: Sequence[str] = packaging.DEFAULT_EXCLUDES,
        auth_type: lambda_.FunctionUrlAuthType = lambda_.FunctionUrlAuthType.AWS_IAM,
        invoke_mode: lambda_.InvokeMode = lambda_.InvokeMode.RESPONSE_STREAM,
        cors: lambda_.FunctionUrlCorsOptions | None = None,
        cloudfront: bool = False,
        rest_api: bool = False,
        log_retention: logs.RetentionDays = logs.RetentionDays.ONE_MONTH,
        tracing: bool = True,
    ) -> None:
        """Validate the props, then build everything.

        :param entry: directory with the handler code; copied into ``/var/task``.
        :param handler: ``module.function`` in ``entry`` (dotted packages allowed).
        :param requirements: a requirements file, or a list of requirement lines, installed
            for the target platform. Default: ``entry/requirements.txt`` if it exists.
        :param python_version: ``"3.11"``, ``"3.12"`` or ``"3.13"`` (default).
        :param architecture: ``ARM_64`` (default, cheaper per GB-second) or ``X86_64``.
        :param memory_size: MB, 128-10240 (default 512).
        :param timeout: up to 15 minutes (default 5 minutes: long answers stream for a while).
        :param environment: extra environment variables for the handler.
        :param reserved_concurrent_executions: cap on concurrent instances (default none).
        :param description: the function's description.
        :param runtime_mode: ``RuntimeMode.PROVIDED`` (default) or ``RuntimeMode.MANAGED``.
        :param interpreter: where the layer's CPython comes from (PROVIDED only). Default:
            ``InterpreterSource.python_build_standalone()``.
        :param python_layer: your own layer with CPython as ``bin/`` + ``lib/`` instead.
        :param exclude: glob patterns of entry names left out of the asset.
        :param auth_type: Function URL auth: ``AWS_IAM`` (default, SigV4-signed callers only)
            or ``NONE`` (public; a synth-time warning says what that costs).
        :param invoke_mode: ``RESPONSE_STREAM`` (default; up to 200 MB, first byte at once) or
            ``BUFFERED`` for a handler that returns its whole answer (6 MB; the URL reads
            ``statusCode``/``headers``/``body`` from it, as for the managed runtimes).
        :param cors: CORS of the Function URL (default: none).
        :param cloudfront: put a CloudFront distribution with Origin Access Control in front.
        :param rest_api: add an API Gateway REST API streaming the function's response.
        :param log_retention: how long the log group keeps logs (default one month).
        :param tracing: X-Ray active tracing (default on).
        """
        super().__init__(scope, construct_id)
        timeout = timeout or Duration.minutes(5)
        target = Target.of(python_version, architecture)
        entry_dir = Path(entry).expanduser().resolve()
        packaging.check_entry(entry_dir, handler, exclude)
        deps = as_requirements(requirements, entry_dir)
        _check_limits(memory_size, timeout, reserved_concurrent_executions)
        _check_environment(environment or {})
        _check_combinations(runtime_mode, interpreter, python_layer, cloudfront, auth_type)
        runtime, self.python_layer, runtime_env = self._runtime(
            target, runtime_mode, interpreter, python_layer
        )
        env = {**(environment or {}), **runtime_env}

        self.log_group = logs.LogGroup(self, "Logs", retention=log_retention)
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Streaming Python function: writes its own log group, nothing else "
            "unless granted",
        )
        self.log_group.grant_write(self.role)
        self.function = lambda_.Function(
            self,
            "Function",
            runtime=runtime,
            architecture=target.architecture,
            handler=handler,
            code=packaging.function_code(
                entry=entry_dir, requirements=deps, target=target, exclude=exclude
            ),
            layers=[self.python_layer] if self.python_layer else None,
            memory_size=memory_size,
            timeout=timeout,
            environment=env,
            reserved_concurrent_executions=reserved_concurrent_executions,
            description=description,
            role=self.role,
            log_group=self.log_group,
            logging_format=lambda_.LoggingFormat.JSON,
            tracing=lambda_.Tracing.ACTIVE if tracing else lambda_.Tracing.DISABLED,
        )
        if tracing:
            Validations.of(self.role).acknowledge(
                Acknowledgment(
                    id="AwsSolutions::AwsSolutions-IAM5[Resource::*]",
                    reason="X-Ray tracing: xray:PutTraceSegments and xray:PutTelemetryRecords "
                    "support no resource-level permissions, so Resource * is the only form.",
                )
            )
        if runtime_mode is RuntimeMode.MANAGED:
            Validations.of(self.function).acknowledge(
                Acknowledgment(
                    id="AwsSolutions::AwsSolutions-L1",
                    reason=f"python_version={python_version} on purpose: the streaming runtime "
                    "supports CPython 3.11-3.13.",
                )
            )

        self.function_url = self.function.add_function_url(
            auth_type=auth_type,
            invoke_mode=invoke_mode,
            cors=cors,
        )
        if auth_type == lambda_.FunctionUrlAuthType.NONE:
            Annotations.of(self).add_warning_v2(
                PUBLIC_URL_WARNING_ID,
                "auth_type=NONE: anyone on the internet who learns this Function URL can invoke "
                "the function and spend this account's money (Lambda time and every Bedrock "
                "token it generates). Prefer AWS_IAM (the default), or cloudfront=True with a "
                "WAF and your own auth in front.",
            )
        self.distribution: aws_cloudfront.Distribution | None = None
        self.url: str = self.function_url.url
        if cloudfront:
            self.distribution = cloudfront_distribution(self, self.function_url, timeout)
            self.url = f"https://{self.distribution.distribution_domain_name}/"
        self.rest_api: apigateway.RestApi | None = None
        if rest_api:
            self.rest_api = streaming_rest_api(
                self,
                self.function,
                iam_auth=auth_type == lambda_.FunctionUrlAuthType.AWS_IAM,
                stream=invoke_mode == lambda_.InvokeMode.RESPONSE_STREAM,
            )
        self._bedrock_policy: iam.Policy | None = None

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
        inference_profiles: Sequence[str | InferenceProfile] = (),
        region: str | None = None,
    ) -> iam.PolicyStatement:
        """Allow invoking exactly these Bedrock models (buffered, streamed, Converse).

        :param models: foundation model ids, e.g. ``"anthropic.claude-3-haiku-20240307-v1:0"``.
        :param inference_profiles: cross-region profile ids (``"us.anthropic..."``) or
            :class:`InferenceProfile` values; each grants the profile and its foundation
            model in every destination Region.
        :param region: the Bedrock Region (default: the stack's).

        Returns the statement added to the function role's ``BedrockInvoke`` policy.
        """
        stack = Stack.of(self)
        statement = invoke_statement(
            stack,
            models=models,
            inference_profiles=inference_profiles,
            region=region or stack.region,
        )
        if self._bedrock_policy is None:
            self._bedrock_policy = iam.Policy(self, "BedrockInvoke", roles=[self.role])
        else:
            count = len(self._bedrock_policy.document.to_json()["Statement"])
            statement.sid = f"{statement.sid}{count + 1}"
        self._bedrock_policy.add_statements(statement)
        return statement


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


def _check_limits(memory_size: int, timeout: Duration, concurrency: int | None) -> None:
    if not 128 <= memory_size <= 10240:
        raise ValueError(f"memory_size={memory_size}: Lambda accepts 128 to 10240 MB.")
    if not 1 <= timeout.to_seconds() <= 900:
        raise ValueError(
            f"timeout={timeout.to_seconds()} s: Lambda accepts 1 s to 15 minutes "
            "(Duration.minutes(15))."
        )
    if concurrency is not None and concurrency < 0:
        raise ValueError(
            f"reserved_concurrent_executions={concurrency} must be 0 or more "
            "(0 disables the function)."
        )


def _check_environment(environment: Mapping[str, str]) -> None:
    for key in environment:
        if key in _RESERVED_ENVIRONMENT or key in (PYTHON_ENV, EXEC_WRAPPER_ENV):
            raise ValueError(
                f"environment[{key!r}] is set by Lambda or by this construct and cannot be "
                "overridden; remove it (for a different interpreter use interpreter= or "
                "python_layer=)."
            )

"""The demo stack: the article's five Bedrock functions and two more, each StreamingPythonFunction.

| construct       | handler                  | URL mode        | shows                           |
|-----------------|--------------------------|-----------------|---------------------------------|
| Buffered        | buffered.handler         | BUFFERED        | InvokeModel, whole JSON at once |
| Aggregated      | aggregated.handler       | BUFFERED        | the stream aggregated to text   |
| StreamText      | stream_text.handler      | RESPONSE_STREAM | the stream as plain text        |
| StreamSse       | stream_sse.handler       | RESPONSE_STREAM | the same as Server-Sent Events  |
| StreamLangchain | stream_langchain.handler | RESPONSE_STREAM | LangChain's streamed answer     |
| FastapiApp      | fastapi_app.handler      | RESPONSE_STREAM | a FastAPI app via asgi_handler  |
| OpenaiCompat    | openai_compat.handler    | RESPONSE_STREAM | OpenAI API and AI SDK streams   |

Every function may invoke exactly the configured model and nothing else in Bedrock. The stack
is the only place with outputs (the URLs). app.py reads its settings from CDK context.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aws_cdk import Acknowledgment, CfnOutput, Stack, Validations
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from stacks.bedrock_access import is_inference_profile_id
from stacks.demo.settings import DEFAULTS, LAMBDA_SRC
from stacks.interpreter import InterpreterSource
from stacks.managed_instances import shared_capacity
from stacks.streaming_function import RuntimeMode, StreamingPythonFunction

_STREAM, _BUFFER = lambda_.InvokeMode.RESPONSE_STREAM, lambda_.InvokeMode.BUFFERED
#: (construct id, handler, Function URL mode as in the article, requirements file in
#: lambda_src or None for lambda_src/requirements.txt).
DEMO_FUNCTIONS = (
    ("Buffered", "buffered.handler", _BUFFER, None),
    ("Aggregated", "aggregated.handler", _BUFFER, None),
    ("StreamText", "stream_text.handler", _STREAM, None),
    ("StreamSse", "stream_sse.handler", _STREAM, None),
    ("StreamLangchain", "stream_langchain.handler", _STREAM, "requirements-langchain.txt"),
    ("FastapiApp", "fastapi_app.handler", _STREAM, "requirements-fastapi.txt"),
    ("OpenaiCompat", "openai_compat.handler", _STREAM, None),
)


@dataclass(frozen=True, slots=True)
class DemoSettings:
    """What the demo deploys; app.py builds it from CDK context, defaults from
    lambda_src/demo_settings.json."""

    model_id: str = DEFAULTS.model_id
    bedrock_region: str = DEFAULTS.region
    max_tokens: int = DEFAULTS.max_tokens
    architecture: lambda_.Architecture = field(default=lambda_.Architecture.ARM_64)
    interpreter: InterpreterSource | None = None
    runtime_mode: RuntimeMode = RuntimeMode.PROVIDED
    public: bool = False
    cloudfront: bool = False
    rest_api: bool = False
    entry: Path = LAMBDA_SRC
    managed_instances: int = 0  # > 0: on Lambda Managed Instances, this many per environment


class StreamingDemoStack(Stack):
    """The article's functions on the streaming runtime, with their URLs as outputs.

    Attributes: ``functions``, a dict from construct id (e.g. ``"StreamSse"``) to its
    :class:`StreamingPythonFunction`.
    """

    def __init__(
        self, scope: Construct, construct_id: str, *, settings: DemoSettings, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.functions: dict[str, StreamingPythonFunction] = {}
        lmi: dict[str, Any] = {}
        if settings.managed_instances:
            option, props = shared_capacity(self, settings.architecture, settings.managed_instances)
            lmi = {"managed_instances": option, **props}
        for name, handler, invoke_mode, requirements in DEMO_FUNCTIONS:
            function = StreamingPythonFunction(
                self,
                name,
                entry=settings.entry,
                handler=handler,
                invoke_mode=invoke_mode,
                requirements=settings.entry / requirements if requirements else None,
                architecture=settings.architecture,
                runtime_mode=settings.runtime_mode,
                interpreter=settings.interpreter,
                environment={
                    "MODEL_ID": settings.model_id,
                    "BEDROCK_REGION": settings.bedrock_region,
                    "MAX_TOKENS": str(settings.max_tokens),
                },
                auth_type=lambda_.FunctionUrlAuthType.NONE
                if settings.public
                else lambda_.FunctionUrlAuthType.AWS_IAM,
                cloudfront=settings.cloudfront,
                rest_api=settings.rest_api,
                description=f"lambda-streaming demo: {handler}",
                **lmi,
            )
            if is_inference_profile_id(settings.model_id):
                function.grant_bedrock_invoke(
                    inference_profiles=[settings.model_id], region=settings.bedrock_region
                )
            else:
                function.grant_bedrock_invoke(
                    models=[settings.model_id], region=settings.bedrock_region
                )
            assert function.url is not None  # every demo function has its Function URL
            CfnOutput(
                self,
                f"{name}Url",
                value=function.url,
                description=f"{handler} ({'public' if settings.public else 'SigV4'})",
            )
            if function.rest_api is not None:
                CfnOutput(self, f"{name}RestApiUrl", value=function.rest_api.url)
            if name == "OpenaiCompat" and settings.public:
                _require_api_key(self, function)
            self.functions[name] = function
        _acknowledge_demo_choices(self, settings)


def _require_api_key(stack: Stack, function: StreamingPythonFunction) -> None:
    """A public OpenAI-compatible URL asks for a bearer key (lambda_src/api_key.py): a
    generated one in Secrets Manager, readable by that function only."""
    secret = secretsmanager.Secret(
        stack,
        "OpenaiCompatApiKey",
        description="Bearer key of the public OpenAI-compatible demo (openai_compat.handler)",
        generate_secret_string=secretsmanager.SecretStringGenerator(
            exclude_punctuation=True, password_length=48
        ),
    )
    secret.grant_read(function.function)
    function.function.add_environment("API_KEY_SECRET_ID", secret.secret_arn)
    CfnOutput(
        stack,
        "OpenaiCompatApiKeySecret",
        value=secret.secret_arn,
        description="aws secretsmanager get-secret-value --secret-id <this> gives the API key",
    )
    Validations.of(secret).acknowledge(
        Acknowledgment(
            id="AwsSolutions::AwsSolutions-SMG4",
            reason="A demo's key, rotated by deleting and redeploying; a rotation Lambda would "
            "need the clients' key changed in step anyway.",
        )
    )


def _acknowledge_demo_choices(stack: Stack, settings: DemoSettings) -> None:
    """cdk-nag findings the demo accepts on purpose, each with its reason."""
    acknowledgments: list[tuple[str, str]] = []
    if settings.cloudfront:
        acknowledgments += [
            ("AwsSolutions-CFR1", "A demo for any visitor: no geo restriction."),
            (
                "AwsSolutions-CFR2",
                "A WAF web ACL costs money monthly; add one for production "
                "(Distribution web_acl_id).",
            ),
            (
                "AwsSolutions-CFR3",
                "Access logs need a log bucket; the function's own log group "
                "records every request that reaches it.",
            ),
            (
                "AwsSolutions-CFR4",
                "The default *.cloudfront.net certificate; TLS 1.2+ needs a "
                "custom domain and ACM certificate.",
            ),
        ]
    if settings.rest_api:
        acknowledgments += [
            (
                "AwsSolutions-APIG1",
                "API Gateway logging needs the account-wide CloudWatch role "
                "(AWS::ApiGateway::Account), which a demo must not take over.",
            ),
            ("AwsSolutions-APIG6", "Same as APIG1: execution logging needs the account role."),
            ("AwsSolutions-APIG2", "A Lambda proxy integration: the handler validates its input."),
            ("AwsSolutions-APIG3", "A WAF web ACL costs money monthly; add one for production."),
        ]
        if settings.public:
            acknowledgments.append(
                (
                    "AwsSolutions-APIG4",
                    "public=true was asked for: anyone may call the demo (see the synth warning).",
                )
            )
        acknowledgments.append(
            (
                "AwsSolutions-COG4",
                "Callers authenticate with IAM (SigV4) or "
                "the API is public on request; no Cognito.",
            )
        )
    for rule, reason in acknowledgments:
        Validations.of(stack).acknowledge(Acknowledgment(id=f"AwsSolutions::{rule}", reason=reason))

#!/usr/bin/env python3
"""CDK app: the streaming demo stack, configured from context, checked by cdk-nag.

    npx cdk deploy                  # defaults from lambda_src/demo_settings.json (model, Region)
    npx cdk deploy -c model_id=global.anthropic.claude-haiku-4-5-20251001-v1:0 -c public=true
    npx cdk synth -c interpreter=/path/to/cpython3.13 -c interpreter_check=warn   # offline

Context keys (all optional): model_id, region, bedrock_region, max_tokens, architecture
(arm64|x86_64), interpreter (python-build-standalone|lambda-image|<CPython prefix>),
interpreter_check (strict|warn: a <CPython prefix> whose shared libraries Lambda lacks fails
the synth, or only warns), runtime_mode (provided|managed), public, cloudfront, rest_api
(true|false). docs/deploy.md explains each one.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_lambda as lambda_
from cdk_nag import AwsSolutionsChecks

from stacks.demo import DEFAULTS, DemoSettings, StreamingDemoStack
from stacks.interpreter import InterpreterSource
from stacks.streaming_function import RuntimeMode

_ARCHITECTURES = {"arm64": lambda_.Architecture.ARM_64, "x86_64": lambda_.Architecture.X86_64}


def _context(app: cdk.App, key: str, default: str) -> str:
    value = app.node.try_get_context(key)
    return default if value is None else str(value)


def _choice(app: cdk.App, key: str, default: str, choices: tuple[str, ...]) -> str:
    value = _context(app, key, default)
    if value not in choices:
        raise SystemExit(
            f"context {key}={value!r}: use one of {', '.join(choices)} "
            f"(e.g. -c {key}={choices[0]})."
        )
    return value


def _flag(app: cdk.App, key: str) -> bool:
    return _choice(app, key, "false", ("true", "false")) == "true"


def _interpreter(value: str, *, allow_missing_libraries: bool) -> InterpreterSource:
    if value == "python-build-standalone":
        return InterpreterSource.python_build_standalone()
    if value == "lambda-image":
        return InterpreterSource.lambda_image()
    return InterpreterSource.directory(value, allow_missing_libraries=allow_missing_libraries)


def build(app: cdk.App) -> StreamingDemoStack:
    """Add the demo stack, configured from ``app``'s context, and the cdk-nag checks."""
    region = _context(app, "region", DEFAULTS.region)
    max_tokens = _context(app, "max_tokens", str(DEFAULTS.max_tokens))
    if not max_tokens.isdigit() or int(max_tokens) < 1:
        raise SystemExit(f"context max_tokens={max_tokens!r}: use a positive integer.")
    runtime_mode = RuntimeMode(_choice(app, "runtime_mode", "provided", ("provided", "managed")))
    interpreter = app.node.try_get_context("interpreter")
    settings = DemoSettings(
        model_id=_context(app, "model_id", DEFAULTS.model_id),
        bedrock_region=_context(app, "bedrock_region", region),
        max_tokens=int(max_tokens),
        architecture=_ARCHITECTURES[_choice(app, "architecture", "arm64", ("arm64", "x86_64"))],
        interpreter=None
        if interpreter is None
        else _interpreter(
            str(interpreter),
            allow_missing_libraries=_choice(app, "interpreter_check", "strict", ("strict", "warn"))
            == "warn",
        ),
        runtime_mode=runtime_mode,
        public=_flag(app, "public"),
        cloudfront=_flag(app, "cloudfront"),
        rest_api=_flag(app, "rest_api"),
        managed_instances=_managed_instances(app),
    )
    if settings.interpreter is not None and runtime_mode is RuntimeMode.MANAGED:
        raise SystemExit(
            "context interpreter= is for runtime_mode=provided: the managed "
            "runtime brings its own Python."
        )
    stack = StreamingDemoStack(
        app, "LambdaStreamingDemo", settings=settings, env=cdk.Environment(region=region)
    )
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return stack


def _managed_instances(app: cdk.App) -> int:
    """``-c managed_instances=N``: Lambda Managed Instances, N invocations per environment."""
    value = _context(app, "managed_instances", "0")
    if not value.isdigit() or int(value) > 1600:
        raise SystemExit(
            f"context managed_instances={value!r}: use 0 (classic Lambda) or the invocations "
            "per environment on Lambda Managed Instances, 1 to 1600."
        )
    return int(value)


def main() -> None:
    """Build and synthesize the app (what ``npx cdk synth|deploy`` runs)."""
    app = cdk.App()
    build(app)
    app.synth()


if __name__ == "__main__":
    main()

"""How a StreamingPythonFunction gets a Python and starts the streaming loop.

``RuntimeMode.PROVIDED`` runs ``provided.al2023`` with CPython in a layer (interpreter/), and
``bootstrap`` is the runtime; ``RuntimeMode.MANAGED`` runs the managed ``python3.x`` runtime and
makes Lambda start ``bootstrap`` through ``AWS_LAMBDA_EXEC_WRAPPER``. This module picks the Lambda
runtime, the interpreter layer and the environment variables that tell bootstrap which Python
to run.
"""

from __future__ import annotations

import enum

from aws_cdk import Acknowledgment, Validations
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from stacks.interpreter import InterpreterSource, python_layer
from stacks.target import Target

#: Environment variables this construct sets (bootstrap reads the first; Lambda the second).
PYTHON_ENV = "LAMBDA_STREAMING_PYTHON"
EXEC_WRAPPER_ENV = "AWS_LAMBDA_EXEC_WRAPPER"


class RuntimeMode(enum.Enum):
    """How the function gets a Python and starts the streaming loop."""

    #: ``provided.al2023`` with CPython in a layer; bootstrap is the runtime (the default).
    PROVIDED = "provided"
    #: The managed ``python3.x`` runtime; ``AWS_LAMBDA_EXEC_WRAPPER`` makes Lambda start our
    #: bootstrap instead of its own runtime client, as Lambda Web Adapter does. Ships no
    #: interpreter and AWS patches it; that Lambda supports streaming this way is not
    #: documented by AWS.
    MANAGED = "managed"


def check_interpreter_choice(
    mode: RuntimeMode,
    interpreter: InterpreterSource | None,
    layer: lambda_.ILayerVersion | None,
) -> None:
    """``interpreter=`` and ``python_layer=`` exclude each other and the managed runtime."""
    if mode is RuntimeMode.MANAGED and (interpreter or layer):
        raise ValueError(
            "interpreter= and python_layer= are for RuntimeMode.PROVIDED: the "
            "managed runtime brings its own Python; drop them."
        )
    if interpreter is not None and layer is not None:
        raise ValueError("pass interpreter= or python_layer=, not both.")


def function_runtime(
    scope: Construct,
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
        python_layer(scope, target, source),
        {PYTHON_ENV: f"/opt/bin/{target.interpreter_name}"},
    )


def acknowledge_managed_version(function: lambda_.Function, python_version: str) -> None:
    """cdk-nag's "not the latest runtime" finding, for a python_version chosen on purpose."""
    Validations.of(function).acknowledge(
        Acknowledgment(
            id="AwsSolutions::AwsSolutions-L1",
            reason=f"python_version={python_version} on purpose: the streaming runtime "
            "supports CPython 3.11-3.14.",
        )
    )

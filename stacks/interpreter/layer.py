"""The interpreter layer of a stack: one ``LayerVersion`` per CPython version, CPU and kind of
source, shared by every function that asks for it, with the source's warnings attached."""

from __future__ import annotations

import weakref

from aws_cdk import Annotations, Stack
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from stacks.interpreter.sources import InterpreterSource
from stacks.layer_layout import InterpreterLayoutError
from stacks.target import Target

#: The id of the synth-time warning about an interpreter Lambda cannot start.
INTERPRETER_WARNING_ID = "@lambda-streaming/interpreter-glibc"

_LAYERS: weakref.WeakKeyDictionary[Stack, dict[str, tuple[str, lambda_.LayerVersion]]] = (
    weakref.WeakKeyDictionary()
)


_LAYER_KEYS: weakref.WeakKeyDictionary[lambda_.ILayerVersion, str] = weakref.WeakKeyDictionary()


def layer_asset_key(layer: lambda_.ILayerVersion) -> str:
    """The asset key of a layer python_layer() built ("" if it was not built locally)."""
    return _LAYER_KEYS.get(layer, "")


def python_layer(
    scope: Construct, target: Target, source: InterpreterSource
) -> lambda_.LayerVersion:
    """The stack-wide interpreter layer for ``target`` from ``source``: created once, then shared.

    Its construct id names only the version, CPU and kind of source, so logical ids do not
    depend on the build machine's paths.
    """
    stack = Stack.of(scope)
    layers = _LAYERS.setdefault(stack, {})
    # The class names (_PythonBuildStandalone, _LambdaImage, _Directory) are in logical ids.
    kind = type(source).__name__.strip("_")
    layer_id = f"CPython{target.abi[2:]}{target.machine.capitalize()}{kind}"
    if layer_id in layers:
        key, layer = layers[layer_id]
        if key != source.key:
            raise InterpreterLayoutError(
                f"this stack already has a CPython {target.python_version} ({target.machine}) "
                f"layer from {layers[layer_id][1].node.path}, built from another {kind} source; "
                "use the same interpreter source for every function of a stack."
            )
        return layer
    warnings = source.validate(target, bundling=stack.bundling_required)
    layer = lambda_.LayerVersion(
        stack,
        layer_id,
        code=source.layer_code(target),
        compatible_runtimes=[lambda_.Runtime.PROVIDED_AL2023],
        compatible_architectures=[target.architecture],
        description=f"CPython {target.python_version} ({target.machine}) as /opt/bin + /opt/lib, "
        f"from {source.built_from(target)}"[:256],
    )
    asset_key = source.asset_key(target)
    if asset_key is not None:
        _LAYER_KEYS[layer] = asset_key
    for warning in warnings:
        Annotations.of(layer).add_warning_v2(INTERPRETER_WARNING_ID, warning)
    layers[layer_id] = (source.key, layer)
    return layer

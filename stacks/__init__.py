"""CDK constructs for streaming Python on AWS Lambda.

The public API is :class:`StreamingPythonFunction` and the types its props take. The demo stack
lives in :mod:`stacks.demo` (not shipped by ``pip install``) and is not imported here.
"""

from stacks.bedrock_access import ApplicationInferenceProfile, InferenceProfile
from stacks.dependency_layer import DependenciesLayer
from stacks.interpreter import InterpreterSource
from stacks.managed_instances import ManagedInstances
from stacks.streaming_function import RuntimeMode, StreamingPythonFunction

__all__ = [
    "ApplicationInferenceProfile",
    "DependenciesLayer",
    "InferenceProfile",
    "InterpreterSource",
    "ManagedInstances",
    "RuntimeMode",
    "StreamingPythonFunction",
]

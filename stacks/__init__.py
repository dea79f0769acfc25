"""CDK constructs for streaming Python on AWS Lambda.

The public API is :class:`StreamingPythonFunction` and the types its props take. The demo stack
lives in :mod:`stacks.demo_stack` and is not imported here.
"""

from stacks.bedrock_access import InferenceProfile
from stacks.interpreter import InterpreterSource
from stacks.streaming_function import RuntimeMode, StreamingPythonFunction

__all__ = ["InferenceProfile", "InterpreterSource", "RuntimeMode", "StreamingPythonFunction"]

"""Stream responses from Python handlers on AWS Lambda.

The package has three layers, one folder (or module) each:

- ``internals/``: the runtime itself (``python -m lambda_streaming``, started by ``bootstrap``):
  configuration, the HTTP wire, the Runtime API client, the invocation loop, dispatch and logs.
  Nothing in it is public.
- ``api/``: what a handler touches: the response stream, ``streamify_response``, HTTP metadata,
  ``pipeline()``, the context and the errors. Re-exported here; import it from here.
- integrations, public modules of their own: ``bedrock`` (typed Bedrock stream events),
  ``sse``, ``asgi`` and ``wsgi`` (web apps), ``openai`` and ``aisdk`` (client protocols).

>>> from lambda_streaming import streamify_response
>>> @streamify_response
... def handler(event, response_stream, context):
...     response_stream.write("hello ")
...     response_stream.end("world")
"""

from .api.context import LambdaContext
from .api.errors import (
    InvalidStreamingOperation,
    StreamingRuntimeError,
    StreamInterrupted,
    error_type,
)
from .api.streamify import streamify_response

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .api.http_response import HttpMetadata, HttpResponseStream
    from .api.pipeline import pipeline
    from .api.stream import ResponseStream
    from .bedrock import (
        BedrockStreamError,
        TextStream,
        Usage,
        converse_events,
        converse_text,
        deadline_guard,
        invoke_events,
        invoke_text,
    )
    from .sse import sse_event, sse_stream

# Load on first use (PEP 562): a buffered function never needs the stream's modules, and the
# Bedrock and SSE helpers import json and typing; neither should cost it cold start.
_LAZY = {
    "HttpMetadata": "api.http_response",
    "HttpResponseStream": "api.http_response",
    "ResponseStream": "api.stream",
    "pipeline": "api.pipeline",
    "BedrockStreamError": "bedrock",
    "TextStream": "bedrock",
    "Usage": "bedrock",
    "converse_events": "bedrock",
    "converse_text": "bedrock",
    "deadline_guard": "bedrock",
    "invoke_events": "bedrock",
    "invoke_text": "bedrock",
    "sse_event": "sse",
    "sse_stream": "sse",
}


def __getattr__(name: str) -> object:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(f".{_LAZY[name]}", __name__), name)
    globals()[name] = value
    return value


__all__ = [
    "BedrockStreamError",
    "HttpMetadata",
    "HttpResponseStream",
    "InvalidStreamingOperation",
    "LambdaContext",
    "ResponseStream",
    "StreamInterrupted",
    "StreamingRuntimeError",
    "TextStream",
    "Usage",
    "converse_events",
    "converse_text",
    "deadline_guard",
    "error_type",
    "invoke_events",
    "invoke_text",
    "pipeline",
    "sse_event",
    "sse_stream",
    "streamify_response",
]

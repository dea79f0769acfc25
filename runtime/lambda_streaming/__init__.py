"""Stream responses from Python handlers on AWS Lambda.

The handler-facing API. The runtime itself (``python -m lambda_streaming``, started by
``bootstrap``) lives in the other modules and is not part of it.

>>> from lambda_streaming import streamify_response
>>> @streamify_response
... def handler(event, response_stream, context):
...     response_stream.write("hello ")
...     response_stream.end("world")
"""

from .context import LambdaContext
from .errors import InvalidStreamingOperation, StreamingRuntimeError
from .http_response import HttpMetadata, HttpResponseStream
from .pipeline import pipeline
from .stream import ResponseStream
from .streamify import streamify_response

__all__ = [
    "HttpMetadata",
    "HttpResponseStream",
    "InvalidStreamingOperation",
    "LambdaContext",
    "ResponseStream",
    "StreamingRuntimeError",
    "pipeline",
    "streamify_response",
]

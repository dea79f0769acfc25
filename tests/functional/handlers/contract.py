"""Handlers for the Runtime API contract tests: each reports the process it ran in."""

import os

from lambda_streaming import HttpResponseStream, streamify_response
from lambda_streaming.sse import sse_stream


def process(event, context):
    """Buffered: which process served this."""
    return {"pid": os.getpid()}


@streamify_response
def stream_bytes(event, response_stream, context):
    """Streams ``count`` chunks of ``size`` bytes, then this process's pid."""
    for _ in range(event.get("count", 0)):
        response_stream.write(b"x" * event["size"])
    response_stream.end(f"pid={os.getpid()}")


@streamify_response
def stream_pid(event, response_stream, context):
    response_stream.end(f"pid={os.getpid()}")


@streamify_response
def content_type_after_from_stream(event, response_stream, context):
    stream = HttpResponseStream.from_stream(response_stream, {"statusCode": 200})
    stream.set_content_type("text/plain")
    stream.end("never sent")


class HTTP2_error(Exception):  # a class name Lambda's old pattern would mangle
    pass


@streamify_response(content_type="text/event-stream")
def sse_fails(event, context):
    def texts():
        yield "one"
        raise HTTP2_error("the upstream broke")

    yield from sse_stream(texts())


@streamify_response
def fails_mid_stream(event, response_stream, context):
    response_stream.write("first")
    raise RuntimeError("after the first byte")


def from_layer(event, context):
    import layer_module  # only on the import path through /opt/python...

    return {"layer": layer_module.WHERE}


@streamify_response
def returns_a_value(event, response_stream, context):
    response_stream.write("x")
    return "ignored"  # the runtime warns: streaming handlers ignore return values

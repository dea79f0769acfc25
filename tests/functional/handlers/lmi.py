"""Handlers for the runtime's concurrent mode (AWS_LAMBDA_MAX_CONCURRENCY > 1) tests.

Each answer names its own request id, so a test sees that no bytes crossed between invocations;
each logs through ``logging`` and ``print``, so a test sees every record carry its request id.
"""

import asyncio
import logging
import os
import time

from lambda_streaming import streamify_response

log = logging.getLogger("concurrent-handler")


@streamify_response
async def async_stream(event, response_stream, context):
    response_stream.set_content_type("text/plain")
    request_id = context.aws_request_id
    log.warning("first chunk of %s", request_id)
    print(f"print from {request_id}")
    response_stream.write(f"first {request_id}\n".encode())
    await asyncio.sleep(float(event.get("wait", 1)))
    response_stream.write(f"second {request_id} {os.getpid()}\n".encode())


@streamify_response
def sync_stream(event, response_stream, context):
    response_stream.set_content_type("text/plain")
    request_id = context.aws_request_id
    log.warning("first chunk of %s", request_id)
    response_stream.write(f"first {request_id}\n".encode())
    if event.get("crash"):
        os._exit(3)  # this worker dies mid-stream; the others must go on
    time.sleep(float(event.get("wait", 1)))
    response_stream.write(f"second {request_id} {os.getpid()}\n".encode())


def sync_buffered(event, context):
    time.sleep(float(event.get("wait", 1)))
    return {"requestId": context.aws_request_id, "pid": os.getpid()}


def trace_and_env(event, context):
    return {
        "trace_env": os.environ.get("_X_AMZN_TRACE_ID"),
        "trace_context": getattr(context, "xray_trace_id", None),
        "requestId": context.aws_request_id,
    }


@streamify_response
async def async_blocking(event, response_stream, context):
    """Writes, then waits 1.5 s in a blocking call or off the loop, then writes again."""
    request_id = context.aws_request_id
    response_stream.write(f"first {request_id}\n".encode())
    if event.get("how") == "blocking":
        time.sleep(1.5)  # holds the one event loop: every other invocation waits
    else:
        await asyncio.to_thread(time.sleep, 1.5)  # the loop serves the others meanwhile
    response_stream.write(f"second {request_id}\n".encode())

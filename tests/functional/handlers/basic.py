"""Handlers for the runtime's functional tests: one per behaviour under test."""

import contextlib
import decimal
import os
import time
from pathlib import Path

from lambda_streaming import HttpMetadata, HttpResponseStream, pipeline, streamify_response


def echo(event, context):
    return {"event": event, "request_id": context.aws_request_id}


def remaining_ms(event, context):
    return context.get_remaining_time_in_millis()


def trace_id(event, context):
    return os.environ.get("_X_AMZN_TRACE_ID")


def decimal_value(event, context):
    return {"price": decimal.Decimal("1.10")}


def raises(event, context):
    raise ValueError("boom from handler")


def _wait_for(path):
    # The test releases the handler by creating this file: arrival order is then provable.
    deadline = time.monotonic() + 10
    while not Path(path).exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"the test never created {path}")
        time.sleep(0.002)


@streamify_response
def node_style(event, response_stream, context):
    if event.get("gate_before_first_write"):
        Path(event["started"]).touch()
        _wait_for(event["gate_before_first_write"])
    response_stream.set_content_type("text/plain; charset=utf-8")
    for index, part in enumerate(event["parts"]):
        response_stream.write(part)
        if event.get("gate") and index == 0:
            _wait_for(event["gate"])
    response_stream.end()


@streamify_response
def http_response(event, response_stream, context):
    stream = HttpResponseStream.from_stream(
        response_stream,
        {
            "statusCode": 201,
            "headers": {"Content-Type": "text/plain", "X-Custom": "yes"},
            "cookies": ["a=1; Path=/", "b=2"],
        },
    )
    with stream:
        for part in event.get("parts", []):
            stream.write(part)


@streamify_response
def generator(event, context):
    yield HttpMetadata(status_code=200, headers={"content-type": "text/event-stream"})
    yield from event["parts"]
    if event.get("fail"):
        raise RuntimeError("generator failed mid-stream")


@streamify_response(content_type="text/event-stream")
async def async_generator(event, context):
    for part in event["parts"]:
        yield part


@streamify_response
async def async_node_style(event, response_stream, context):
    response_stream.write("async ")
    response_stream.end("node")


@streamify_response
def fails_before_first_byte(event, response_stream, context):
    raise KeyError("prompt")


@streamify_response
def fails_mid_stream(event, response_stream, context):
    response_stream.write("partial ")
    raise ValueError("boom mid-stream")


@streamify_response
def write_after_end(event, response_stream, context):
    response_stream.end("done")
    response_stream.write("again")


@streamify_response
def empty_http(event, response_stream, context):
    HttpResponseStream.from_stream(response_stream, {"statusCode": 204})
    response_stream.end()


@streamify_response
def pipeline_sync(event, response_stream, context):
    pipeline(iter(event["parts"]), response_stream)


def _failing_source(parts):
    yield from parts
    raise ConnectionError("upstream went away")


@streamify_response
def pipeline_failing(event, response_stream, context):
    # The handler swallows the source's failure: the stream must still report it.
    with contextlib.suppress(ConnectionError):
        pipeline(_failing_source(event["parts"]), response_stream)


async def _async_parts(parts):
    for part in parts:
        yield part


@streamify_response
async def pipeline_async(event, response_stream, context):
    await pipeline(_async_parts(event["parts"]), response_stream)


@streamify_response
def pipeline_not_awaited(event, response_stream, context):
    # The article's mistake, in Python: the awaitable is dropped. The runtime still runs it.
    pipeline(_async_parts(event["parts"]), response_stream)


@streamify_response
def big_chunks(event, response_stream, context):
    block = b"x" * event["size"]
    for _ in range(event["count"]):
        response_stream.write(block)

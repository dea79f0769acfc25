"""Tiny handlers the emulator's end-to-end tests run through the real runtime/bootstrap.

Parameters come from the event: a Function URL's query string, or an Invoke payload's keys.
Anything that must happen "later" waits for a release file the test creates, never a sleep.
"""

import os
import time
from pathlib import Path
from typing import Any

from lambda_streaming import HttpResponseStream, streamify_response

ENV_KEYS = [
    "AWS_LAMBDA_RUNTIME_API",
    "_HANDLER",
    "LAMBDA_TASK_ROOT",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_LAMBDA_LOG_GROUP_NAME",
    "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "TZ",
    "LANG",
    "EXTRA",
]


def param(event: dict[str, Any], name: str) -> str:
    query = event.get("queryStringParameters") or {}
    return str(query.get(name, event.get(name, "")))


def wait_for(path: str) -> None:
    for _ in range(600):  # hang guard: 30 s
        if Path(path).exists():
            return
        time.sleep(0.05)
    raise TimeoutError(f"release file {path} never appeared")


def echo(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {
        "event": event,
        "function_name": context.function_name,
        "memory": context.memory_limit_in_mb,
        "arn": context.invoked_function_arn,
        "remaining_ms": context.get_remaining_time_in_millis(),
        "env": {key: os.environ.get(key) for key in ENV_KEYS},
    }


def http_shape(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {
        "statusCode": 201,
        "headers": {"content-type": "text/plain", "x-custom": "yes"},
        "cookies": ["a=1; Path=/", "b=2"],
        "body": "created",
    }


@streamify_response
def slow_stream(event: dict[str, Any], response_stream: Any, context: Any) -> None:
    response_stream.set_content_type("text/plain")
    response_stream.write("first\n")
    wait_for(param(event, "release"))
    response_stream.write("second\n")
    for _ in range(int(param(event, "tail_kb") or 0)):
        response_stream.write(b"z" * 1024)
    response_stream.end()
    if param(event, "finished"):
        Path(param(event, "finished")).touch()


@streamify_response
def http_stream(event: dict[str, Any], response_stream: Any, context: Any) -> None:
    stream = HttpResponseStream.from_stream(
        response_stream,
        {
            "statusCode": 418,
            "headers": {"content-type": "text/plain", "x-teapot": "yes"},
            "cookies": ["session=abc; Path=/; HttpOnly", "theme=dark"],
        },
    )
    stream.write("short and stout\n")
    stream.end()


@streamify_response
def chunks(event: dict[str, Any], response_stream: Any, context: Any) -> None:
    response_stream.set_content_type("application/octet-stream")
    for index in range(5):
        response_stream.write(f"chunk-{index};")


@streamify_response
def fail_mid_stream(event: dict[str, Any], response_stream: Any, context: Any) -> None:
    response_stream.write("partial ")
    raise ValueError("broke after the first byte")


def fail_before(event: dict[str, Any], context: Any) -> None:
    raise KeyError("missing")


def big_buffered(event: dict[str, Any], context: Any) -> str:
    return "x" * int(param(event, "size"))


@streamify_response
def big_stream(event: dict[str, Any], response_stream: Any, context: Any) -> None:
    remaining = int(param(event, "size"))
    piece = b"y" * 65536
    while remaining > 0:
        response_stream.write(piece[:remaining])
        remaining -= len(piece)


def lifecycle(event: dict[str, Any], context: Any) -> int:
    """Return the sandbox's pid; or sleep past any test timeout; or crash."""
    if param(event, "do") == "sleep":
        time.sleep(60)
    if param(event, "do") == "crash":
        os._exit(3)
    return os.getpid()


@streamify_response
def crash_mid_stream(event: dict[str, Any], response_stream: Any, context: Any) -> None:
    response_stream.write("before the crash ")
    wait_for(param(event, "release"))
    os._exit(3)


def pid(event: dict[str, Any], context: Any) -> int:
    release = param(event, "release")
    if release:
        Path(param(event, "started")).touch()
        wait_for(release)
    return os.getpid()


def touch(event: dict[str, Any], context: Any) -> None:
    Path(param(event, "path")).write_text(context.aws_request_id)


def log_and_return(event: dict[str, Any], context: Any) -> str:
    print("hello from the handler")
    return "logged"


@streamify_response
def exit_after_end(event: dict[str, Any], response_stream: Any, context: Any) -> None:
    """Answer in full, then end the runtime process before it can poll /next again."""
    response_stream.write(str(os.getpid()))
    response_stream.end()
    os._exit(0)

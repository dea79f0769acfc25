"""The handler-facing surface is pinned, documented, and cheap to import."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import NoReturn

import pytest

import lambda_streaming
from lambda_streaming import (
    HttpMetadata,
    HttpResponseStream,
    InvalidStreamingOperation,
    streamify_response,
)
from lambda_streaming.api.stream import ResponseStream
from lambda_streaming.internals.response import Response

RUNTIME = Path(__file__).resolve().parents[2] / "runtime"

CORE_API = {
    "HttpMetadata",
    "HttpResponseStream",
    "InvalidStreamingOperation",
    "LambdaContext",
    "ResponseStream",
    "StreamingRuntimeError",
    "pipeline",
    "streamify_response",
}


def test_all_lists_exactly_the_public_names() -> None:
    public = {name for name in dir(lambda_streaming) if not name.startswith("_")} | set(
        lambda_streaming._LAZY
    )
    modules = {
        name for name in public if type(getattr(lambda_streaming, name)).__name__ == "module"
    }
    assert set(lambda_streaming.__all__) == public - modules - {"TYPE_CHECKING"}
    assert set(lambda_streaming.__all__) >= CORE_API


@pytest.mark.parametrize("name", sorted(lambda_streaming.__all__))
def test_every_public_name_has_a_docstring(name: str) -> None:
    assert getattr(lambda_streaming, name).__doc__


@pytest.mark.parametrize("entry", ["import lambda_streaming", "import lambda_streaming.__main__"])
def test_startup_imports_stay_cheap(entry: str) -> None:
    # http.client/email/ssl cost ~27 ms at cold start on these machines; asyncio ~23 ms,
    # logging ~9 ms, inspect/dataclasses ~10 ms: none may load before a handler asks for them.
    code = f"{entry}; import sys, json; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, check=True, cwd=RUNTIME, text=True
    )
    loaded = set(json.loads(out.stdout))
    heavy = {
        "http.client",
        "email",
        "ssl",
        "asyncio",
        "logging",
        "inspect",
        "dataclasses",
        "typing",
        "boto3",
        "botocore",
    }
    assert loaded & heavy == set()


def test_streamify_accepts_the_two_shapes_and_refuses_others() -> None:
    @streamify_response
    def node(event, response_stream, context): ...

    @streamify_response(content_type="text/plain")
    def generator(event, context):
        yield "x"

    assert node.takes_stream and not generator.takes_stream
    assert generator.content_type == "text/plain"
    assert generator({}, None) is not None  # still callable as the original function
    with pytest.raises(TypeError, match=r"handler\(event, response_stream, context\)"):

        @streamify_response
        def wrong(event): ...

    with pytest.raises(TypeError, match=r"a generator handler is handler\(event, context\)"):

        @streamify_response
        def generator_with_stream(event, response_stream, context):
            yield "x"

    with pytest.raises(TypeError, match=r"async generator|async def"):

        @streamify_response
        async def ambiguous(event, context): ...


def _no_wire(content_type: str) -> NoReturn:
    raise AssertionError("a refused call must not open the response")


@pytest.mark.parametrize(
    ("metadata", "message"),
    [
        ({"statusCode": 99}, "statusCode must be an int from 100 to 599"),
        ({"statusCode": "200"}, "statusCode must be an int"),
        ({"headers": {"x": 1}}, "headers must map str to str"),
        ({"cookies": "a=1"}, "cookies must be a list of str"),
        ({"status": 200}, "unsupported HTTP response metadata"),
    ],
)
def test_bad_http_metadata_says_what_to_fix(metadata: dict[str, object], message: str) -> None:
    stream = ResponseStream(Response(_no_wire, "id"))
    with pytest.raises(ValueError, match=message):
        HttpResponseStream.from_stream(stream, metadata)


def test_stream_refuses_bad_chunk_types_before_any_io() -> None:
    stream = ResponseStream(Response(_no_wire, "id"))
    with pytest.raises(TypeError, match=r"write\(\) takes bytes or str, not dict"):
        stream.write({"a": 1})  # type: ignore[arg-type]
    assert (
        repr(HttpMetadata(201, {"a": "b"}, ["c=d"]))
        == "HttpMetadata(status_code=201, headers={'a': 'b'}, cookies=['c=d'])"
    )
    assert issubclass(InvalidStreamingOperation, lambda_streaming.StreamingRuntimeError)

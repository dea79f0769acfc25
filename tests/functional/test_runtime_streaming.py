"""The real bootstrap streaming to a loopback Runtime API: the bytes, in order, with trailers."""

from __future__ import annotations

import base64
import json
import time

import pytest

from tests.functional.fake_runtime_api import FakeRuntimeApi

TRAILER_NAMES = {"lambda-runtime-function-error-type", "lambda-runtime-function-error-body"}


def _decode_error_body(value: str) -> dict[str, object]:
    return json.loads(base64.b64decode(value, validate=True))


def test_node_style_stream_headers_chunks_and_clean_end(api: FakeRuntimeApi, start_runtime) -> None:
    request_id = api.push({"parts": ["hello ", "wörld", "!"]})
    runtime = start_runtime("basic.node_style")
    (post,) = api.wait_for("POST", f"/{request_id}/response")
    assert post.header("lambda-runtime-function-response-mode") == "streaming"
    assert post.header("transfer-encoding") == "chunked"
    assert post.header("content-type") == "text/plain; charset=utf-8"
    declared = {name.strip().lower() for name in post.header("trailer").split(",")}
    assert declared == TRAILER_NAMES
    assert [data for data, _ in post.chunks] == [b"hello ", "wörld".encode(), b"!"]
    assert post.trailers == []
    runtime.stop()


def test_each_write_arrives_before_the_handler_goes_on(
    api: FakeRuntimeApi, start_runtime, tmp_path
) -> None:
    gate = tmp_path / "release"
    request_id = api.push({"parts": ["first", "second"], "gate": str(gate)})
    runtime = start_runtime("basic.node_style")
    # The handler blocks after its first write until the gate file exists: the first chunk
    # must already be here while the handler is still running.
    post = api.wait_for_chunks(f"/{request_id}/response", 1)
    assert [data for data, _ in post.chunks] == [b"first"]
    assert not post.complete
    gate.touch()
    (post,) = api.wait_for("POST", f"/{request_id}/response")
    assert [data for data, _ in post.chunks] == [b"first", b"second"]
    runtime.stop()


def test_the_response_post_opens_only_at_the_first_byte(
    api: FakeRuntimeApi, start_runtime, tmp_path
) -> None:
    gate, started = tmp_path / "release", tmp_path / "started"
    request_id = api.push(
        {"parts": ["late"], "gate_before_first_write": str(gate), "started": str(started)}
    )
    runtime = start_runtime("basic.node_style")
    deadline = time.monotonic() + 10
    while not started.exists():
        assert time.monotonic() < deadline, "the handler never started"
        time.sleep(0.005)
    # The handler runs but has not written. A runtime that opened the POST at dispatch would
    # have sent its head before calling the handler; give such a head time to land, then
    # check that none did (so a failure now could still go to /error).
    time.sleep(0.2)
    assert [r.method for r in api.requests] == ["GET"]
    gate.touch()
    (post,) = api.wait_for("POST", f"/{request_id}/response")
    assert [data for data, _ in post.chunks] == [b"late"]
    runtime.stop()


def test_http_response_stream_sends_prelude_as_its_own_chunk(
    api: FakeRuntimeApi, start_runtime
) -> None:
    request_id = api.push({"parts": ["part 0\n", "part 1\n"]})
    runtime = start_runtime("basic.http_response")
    (post,) = api.wait_for("POST", f"/{request_id}/response")
    assert post.header("content-type") == "application/vnd.awslambda.http-integration-response"
    prelude, *body = [data for data, _ in post.chunks]
    assert prelude.endswith(b"\x00" * 8)
    assert json.loads(prelude[:-8]) == {
        "statusCode": 201,
        "headers": {"Content-Type": "text/plain", "X-Custom": "yes"},
        "cookies": ["a=1; Path=/", "b=2"],
    }
    assert body == [b"part 0\n", b"part 1\n"]
    runtime.stop()


def test_empty_http_body_still_sends_prelude_and_terminates(
    api: FakeRuntimeApi, start_runtime
) -> None:
    request_id = api.push({})
    runtime = start_runtime("basic.empty_http")
    (post,) = api.wait_for("POST", f"/{request_id}/response")
    assert [data for data, _ in post.chunks] == [b'{"statusCode":204}' + b"\x00" * 8]
    assert post.complete
    runtime.stop()


def test_generator_handler_with_metadata_and_empty_yield(
    api: FakeRuntimeApi, start_runtime
) -> None:
    request_id = api.push({"parts": ["data: a\n\n", "", "data: b\n\n"]})
    runtime = start_runtime("basic.generator")
    (post,) = api.wait_for("POST", f"/{request_id}/response")
    chunks = [data for data, _ in post.chunks]
    assert json.loads(chunks[0][:-8])["headers"] == {"content-type": "text/event-stream"}
    # The empty yield produced no chunk (an empty chunk would end the body early).
    assert chunks[1:] == [b"data: a\n\n", b"data: b\n\n"]
    assert post.trailers == []
    runtime.stop()


@pytest.mark.parametrize(
    "handler",
    [
        "basic.async_generator",
        "basic.pipeline_async",
        "basic.pipeline_not_awaited",
        "basic.pipeline_sync",
    ],
)
def test_async_and_pipeline_handlers_stream_every_part(
    api: FakeRuntimeApi, start_runtime, handler: str
) -> None:
    request_id = api.push({"parts": ["one ", "two ", "three"]})
    runtime = start_runtime(handler)
    (post,) = api.wait_for("POST", f"/{request_id}/response")
    assert [data for data, _ in post.chunks] == [b"one ", b"two ", b"three"]
    assert post.trailers == []
    runtime.stop()


def test_async_node_style(api: FakeRuntimeApi, start_runtime) -> None:
    request_id = api.push({})
    runtime = start_runtime("basic.async_node_style")
    (post,) = api.wait_for("POST", f"/{request_id}/response")
    assert post.body == b"async node"
    runtime.stop()


def test_error_before_first_byte_goes_to_error_endpoint(api: FakeRuntimeApi, start_runtime) -> None:
    request_id = api.push({})
    runtime = start_runtime("basic.fails_before_first_byte")
    (error,) = api.wait_for("POST", f"/{request_id}/error")
    assert error.header("lambda-runtime-function-error-type") == "Function.KeyError"
    payload = error.json
    assert payload["errorType"] == "KeyError"
    assert payload["errorMessage"] == "'prompt'"
    assert payload["requestId"] == request_id
    assert "in fails_before_first_byte" in "".join(payload["stackTrace"])
    assert not [r for r in api.requests if r.target.endswith("/response")]
    output = runtime.stop()
    assert "[ERROR] KeyError: 'prompt'" in output


def test_error_mid_stream_goes_to_trailers(api: FakeRuntimeApi, start_runtime) -> None:
    request_id = api.push({})
    runtime = start_runtime("basic.fails_mid_stream")
    (post,) = api.wait_for("POST", f"/{request_id}/response")
    assert post.body == b"partial "
    assert post.trailer("lambda-runtime-function-error-type") == "Function.ValueError"
    body = _decode_error_body(post.trailer("lambda-runtime-function-error-body"))
    assert body["errorType"] == "ValueError"
    assert body["errorMessage"] == "boom mid-stream"
    assert body["requestId"] == request_id
    assert "in fails_mid_stream" in "".join(body["stackTrace"])
    assert not [r for r in api.requests if r.target.endswith("/error")]
    # The runtime goes on to the next event only after the 202.
    api.wait_for("GET", "/next", count=2)
    assert "[ERROR] ValueError: boom mid-stream" in runtime.stop()


def test_swallowed_pipeline_failure_still_reaches_trailers(
    api: FakeRuntimeApi, start_runtime
) -> None:
    request_id = api.push({"parts": ["a", "b"]})
    runtime = start_runtime("basic.pipeline_failing")
    (post,) = api.wait_for("POST", f"/{request_id}/response")
    assert post.body == b"ab"
    assert post.trailer("lambda-runtime-function-error-type") == "Function.ConnectionError"
    assert (
        _decode_error_body(post.trailer("lambda-runtime-function-error-body"))["errorMessage"]
        == "upstream went away"
    )
    runtime.stop()


def test_write_after_end_is_logged_clearly(api: FakeRuntimeApi, start_runtime) -> None:
    request_id = api.push({})
    runtime = start_runtime("basic.write_after_end")
    (post,) = api.wait_for("POST", f"/{request_id}/response")
    assert post.body == b"done"
    assert post.trailers == []
    api.wait_for("GET", "/next", count=2)
    output = runtime.stop()
    assert "InvalidStreamingOperation: write() in state 'ended': the response is over" in output

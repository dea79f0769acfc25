"""One kept-alive connection to the Runtime API, streamed responses included, and when it is left.

Each connection the runtime opens is a separate entry of ``FakeRuntimeApi.raw`` (every byte the
server received on it), so these tests count connections on the wire and find which one carried
each request. Why streamed responses may share the connection: docs/runtime.md, "One connection".
"""

from __future__ import annotations

import time

from tests.functional.fake_runtime_api import FakeRuntimeApi


def _connection_of(api: FakeRuntimeApi, request_id: str) -> int:
    """The connection whose bytes carry the POST answering ``request_id``."""
    needle = f"/{request_id}/response".encode()
    (index,) = [index for index, raw in api.raw.items() if needle in raw]
    return index


def _wait_for_next(api: FakeRuntimeApi, count: int) -> None:
    """Wait until the runtime has asked for its ``count``-th event (it is idle then)."""
    deadline = time.monotonic() + 10
    while sum(raw.count(b"GET /2018-06-01/runtime/invocation/next") for raw in api.raw.values()) < (
        count
    ):
        assert time.monotonic() < deadline, "the runtime did not ask for the next event"
        time.sleep(0.01)


def test_streamed_and_buffered_answers_share_one_kept_alive_connection(
    api: FakeRuntimeApi, start_runtime
) -> None:
    ids = [api.push({}) for _ in range(4)]
    runtime = start_runtime("contract.stream_pid")
    posts = [api.wait_for("POST", f"/{request_id}/response")[0] for request_id in ids]
    assert all(post.complete for post in posts)
    _wait_for_next(api, len(ids) + 1)
    assert len(api.raw) == 1, "each streamed response opened a connection of its own"
    assert "Runtime.ApiError" not in runtime.stop()


def test_a_stream_lambda_refused_is_followed_by_a_fresh_connection(
    api: FakeRuntimeApi, start_runtime
) -> None:
    refused, after = api.push({}), api.push({})
    api.answers[("POST", f"/{refused}/response")] = (410, b'{"errorType":"InvokeTimeout"}')
    runtime = start_runtime("contract.stream_pid")
    api.wait_for("POST", f"/{after}/response")
    # Lambda answered the first stream with 410: it may not have read it all, so the runtime
    # must not send the next request after it on the same connection.
    assert _connection_of(api, refused) != _connection_of(api, after)
    output = runtime.stop()
    assert "refused the streamed response with 410" in output


def test_a_stream_cut_by_the_api_is_followed_by_a_fresh_connection(
    api: FakeRuntimeApi, start_runtime
) -> None:
    api.reset_after_chunks = 1
    cut = api.push({"size": 1024, "count": 50})
    runtime = start_runtime("contract.stream_bytes")
    api.wait_for("POST", f"/{cut}/response")
    api.reset_after_chunks = None
    after = api.push({})
    (post,) = api.wait_for("POST", f"/{after}/response")
    assert post.complete
    assert _connection_of(api, cut) != _connection_of(api, after)
    runtime.stop()

"""Every handler example in the README's "Write a streaming handler" section runs as shown."""

from __future__ import annotations

import re

import pytest

from tests.functional.conftest import REPO
from tests.functional.fake_runtime_api import FakeRuntimeApi


def _examples() -> list[str]:
    readme = (REPO / "README.md").read_text()
    section = readme.split("## Write a streaming handler", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)


EXPECTED_BODIES = [
    b"Hello streaming world",
    b"data: Hello\n\ndata:  streaming\n\ndata:  world\n\n",
    b"created\n",
    b"one two three",
    b"ready",  # on_init ran during init, before the first event
]


def test_the_section_has_the_examples_this_test_expects() -> None:
    assert len(_examples()) == len(EXPECTED_BODIES)


@pytest.mark.parametrize(("index", "expected"), list(enumerate(EXPECTED_BODIES)))
def test_readme_example_streams_its_body(
    index: int, expected: bytes, api: FakeRuntimeApi, start_runtime, tmp_path
) -> None:
    (tmp_path / "example.py").write_text(_examples()[index])
    request_id = api.push({})
    runtime = start_runtime("example.handler", env={"LAMBDA_TASK_ROOT": str(tmp_path)})
    (post,) = api.wait_for("POST", f"/{request_id}/response")
    body = post.body
    if post.header("content-type") == "application/vnd.awslambda.http-integration-response":
        body = body.split(b"\x00" * 8, 1)[1]
    assert body == expected
    assert post.trailers == []
    runtime.stop()


def test_readme_generator_metadata_example(api: FakeRuntimeApi, start_runtime, tmp_path) -> None:
    (tmp_path / "example.py").write_text(_examples()[2])
    request_id = api.push({})
    runtime = start_runtime("example.generator_handler", env={"LAMBDA_TASK_ROOT": str(tmp_path)})
    (post,) = api.wait_for("POST", f"/{request_id}/response")
    prelude, body = post.body.split(b"\x00" * 8, 1)
    assert prelude == b'{"statusCode":404,"headers":{"content-type":"text/plain"}}'
    assert body == b"not found"
    runtime.stop()

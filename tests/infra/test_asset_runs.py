"""The synthesized assets run: cdk.out's function and layer directories, as Lambda mounts them.

For each demo function, the asset directory synth wrote (conftest.cli_synth, the pinned CLI
offline) is mapped read-only to ``/var/task`` and its layer to ``/opt`` in a bubblewrap root that
holds nothing else but the OS (isolation.py: no repo, no virtual environment, no other Python).
The emulator (``emulator.server.Emulator``) serves the Runtime API and the Function URL and
starts, as its bootstrap, a launcher that enters that root and execs ``/var/task/bootstrap``
with the environment the template gives the function. The handler then talks to the fake
Bedrock on loopback and streams its answer back through the Function URL.

This catches what template assertions cannot: a missing file, a wrong path, a lost
executable bit, a dependency built for the wrong CPU or only importable from the build
machine. It does not emulate Amazon Linux 2023 itself (the OS libraries are this machine's).
"""

from __future__ import annotations

import json
import shlex
import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from emulator.bedrock import FakeBedrock
from emulator.config import FunctionConfig
from emulator.rest_api import BUFFERED, STREAM, RestApiEmulator
from emulator.server import Emulator
from stacks.demo import DEFAULTS
from tests.functional.bedrock.e2e import JA_ANSWER, UrlResponse, parse_sse, post, prompt
from tests.infra.conftest import CloudAssembly
from tests.infra.isolation import isolated

#: Lambda's LD_LIBRARY_PATH for OS-only runtimes (aws-lambda-base-images, provided.al2023).
LAMBDA_LD_LIBRARY_PATH = (
    "/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib"
)


def launcher(directory: Path, task: Path, layer: Path) -> Path:
    """A bootstrap stand-in for the emulator: enter the isolated root, exec the real one."""
    command = isolated(
        ["/var/task/bootstrap"],
        read_only={task: "/var/task", layer: "/opt"},
        env={
            "LAMBDA_TASK_ROOT": "/var/task",
            "LAMBDA_RUNTIME_DIR": "/var/runtime",
            "LD_LIBRARY_PATH": LAMBDA_LD_LIBRARY_PATH,
        },
        cwd="/var/task",
        inherit_env=True,  # the emulator's Lambda environment (Runtime API address, _HANDLER...)
    )
    script = directory / "enter-isolated-root"
    script.write_text(f"#!/bin/sh\nexec {shlex.join(command)}\n")
    script.chmod(0o755)
    return script


@pytest.fixture(scope="module")
def bedrock() -> Iterator[FakeBedrock]:
    with FakeBedrock() as fake:
        yield fake


@pytest.fixture(scope="module")
def deployed(
    cli_synth: CloudAssembly, bedrock: FakeBedrock, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Emulator]]:
    """Each demo function from cdk.out, in the emulator, started on first use."""
    started: dict[str, Emulator] = {}
    directory = tmp_path_factory.mktemp("launchers")

    def get(handler: str) -> Emulator:
        if handler not in started:
            function = cli_synth.function(f"{handler}.handler")
            properties = function["Properties"]
            url = next(
                r["Properties"]
                for r in cli_synth.template["Resources"].values()
                if r["Type"] == "AWS::Lambda::Url"
                and r["Properties"]["TargetFunctionArn"]["Fn::GetAtt"][0]
                == _logical_id(cli_synth, function)
            )
            task = cli_synth.asset_dir(properties["Code"])
            (directory / handler).mkdir()
            emulator = Emulator(
                FunctionConfig(
                    handler=properties["Handler"],
                    code_dir=task,
                    bootstrap=launcher(directory / handler, task, cli_synth.layer_dir(function)),
                    timeout=30,
                    init_timeout=60,
                    env={
                        **properties["Environment"]["Variables"],  # exactly the template's
                        "BEDROCK_ENDPOINT_URL": bedrock.url,
                        "BEDROCK_MAX_ATTEMPTS": "1",
                    },
                ),
                invoke_mode=url["InvokeMode"],
                max_sandboxes=1,
            )
            emulator.start()
            started[handler] = emulator
        return started[handler]

    yield get  # type: ignore[misc]
    for emulator in started.values():
        emulator.close()


def _logical_id(cli_synth: CloudAssembly, function: dict[str, Any]) -> str:
    return next(k for k, v in cli_synth.template["Resources"].items() if v is function)


def test_the_isolated_root_hides_the_build_machine(cli_synth: CloudAssembly) -> None:
    function = cli_synth.function("stream_text.handler")
    task = cli_synth.asset_dir(function["Properties"]["Code"])
    probe = (
        "import os, sys; print(sys.executable, sys.prefix, "
        "os.path.exists('/work'), os.path.exists('/root'), os.path.exists('/usr/local/bin'))"
    )
    result = subprocess.run(
        isolated(
            ["/opt/bin/python3.13", "-I", "-c", probe],
            read_only={task: "/var/task", cli_synth.layer_dir(function): "/opt"},
            env={"LD_LIBRARY_PATH": LAMBDA_LD_LIBRARY_PATH, "PATH": "/usr/bin:/bin:/opt/bin"},
        ),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert result.stdout.split() == ["/opt/bin/python3.13", "/opt", "False", "False", "False"]
    other = subprocess.run(
        isolated(["/bin/sh", "-c", "command -v python3 python"], env={"PATH": "/usr/bin:/bin"}),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert other.stdout == ""  # no interpreter but the layer's


def test_streamed_text_arrives_while_bedrock_is_still_generating(
    deployed: Any, bedrock: FakeBedrock
) -> None:
    bedrock.hold()
    response = UrlResponse(
        deployed("stream_text"),
        prompt("こんにちは [[bedrock:hold-after=3]]"),
        {"content-type": "application/json"},
        timeout=60,
    )
    try:
        assert response.status == 200
        assert response.headers["content-type"] == "text/plain; charset=utf-8"
        early = response.read_until("は!")  # three tokens, then the fake waits for release()
        assert "ロー" not in early
        bedrock.release()
        rest, complete = response.read_rest()
    finally:
        bedrock.release()
        response.close()
    assert complete
    assert early + rest.decode() == JA_ANSWER


def test_sse_events_from_the_asset(deployed: Any) -> None:
    status, headers, body, complete = post(deployed("stream_sse"), prompt("こんにちは"))
    assert (status, complete) == (200, True)
    assert headers["content-type"].startswith("text/event-stream")
    events = parse_sse(body.decode())
    assert "".join(data for kind, data in events if kind == "message") == JA_ANSWER
    assert events[-1][0] == "done"


def test_langchain_and_its_native_dependencies_run_from_the_asset(deployed: Any) -> None:
    status, _, body, complete = post(deployed("stream_langchain"), prompt("こんにちは"))
    assert (status, complete) == (200, True)
    assert body.decode() == JA_ANSWER


@pytest.mark.parametrize(
    ("handler", "expected"),
    [
        ("aggregated", {"content": JA_ANSWER}),
        ("buffered", None),
    ],
)
def test_buffered_functions_answer_from_the_asset(
    deployed: Any, bedrock: FakeBedrock, handler: str, expected: Any
) -> None:
    status, _, body, complete = post(deployed(handler), prompt("こんにちは"))
    assert (status, complete) == (200, True)
    answer = json.loads(body)
    if expected is not None:
        assert answer == expected
    else:
        assert answer["content"] == [{"type": "text", "text": JA_ANSWER}]
        assert bedrock.requests[-1]["modelId"] == DEFAULTS.model_id


@pytest.fixture(scope="module")
def deployed_rest(
    cli_synth: CloudAssembly, bedrock: FakeBedrock, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Any]:
    """Each demo function from cdk.out behind the emulated REST API (``-c rest_api=true``):
    STREAM integrations for the streaming handlers, the classic proxy for the others."""
    started: list[RestApiEmulator] = []
    directory = tmp_path_factory.mktemp("rest-launchers")

    def get(handler: str) -> RestApiEmulator:
        function = cli_synth.function(f"{handler}.handler")
        properties = function["Properties"]
        task = cli_synth.asset_dir(properties["Code"])
        (directory / handler).mkdir()
        door = RestApiEmulator(
            FunctionConfig(
                handler=properties["Handler"],
                code_dir=task,
                bootstrap=launcher(directory / handler, task, cli_synth.layer_dir(function)),
                timeout=30,
                init_timeout=60,
                env={
                    **properties["Environment"]["Variables"],
                    "BEDROCK_ENDPOINT_URL": bedrock.url,
                    "BEDROCK_MAX_ATTEMPTS": "1",
                },
            ),
            transfer_mode=STREAM if handler.startswith("stream_") else BUFFERED,
            max_sandboxes=1,
        )
        door.start()
        started.append(door)
        return door

    yield get
    for door in started:
        door.close()


@pytest.mark.parametrize(
    "handler", ["buffered", "aggregated", "stream_text", "stream_sse", "stream_langchain"]
)
def test_every_asset_answers_through_the_rest_api(deployed_rest: Any, handler: str) -> None:
    door = deployed_rest(handler)
    request = urllib.request.Request(
        door.url + "chat",
        data=prompt("こんにちは").encode(),
        headers={"content-type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        status, body = response.status, response.read().decode()
        content_type = response.headers["content-type"]
    assert status == 200, body
    if handler == "stream_sse":
        assert content_type.startswith("text/event-stream")
        events = parse_sse(body)
        assert "".join(data for kind, data in events if kind == "message") == JA_ANSWER
    elif handler.startswith("stream_"):
        assert body == JA_ANSWER
    else:
        assert JA_ANSWER in body

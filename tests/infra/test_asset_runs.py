"""The synthesized assets run: cdk.out's function and layer directories, as Lambda mounts them.

For each demo function (stacks.demo.DEMO_FUNCTIONS, so a new one is covered), the asset
directory synth wrote (conftest.cli_synth, the pinned CLI offline) is mapped read-only to
``/var/task`` and its layer to ``/opt`` in a bubblewrap root that holds nothing else but the OS
(isolation.py: no repo, no virtual environment, no other Python).
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
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import openai
import pytest
from aws_cdk import aws_lambda as lambda_

from emulator.bedrock import FakeBedrock
from emulator.config import FunctionConfig
from emulator.rest_api import BUFFERED, STREAM, RestApiEmulator
from emulator.server import Emulator
from stacks.demo import DEFAULTS, DEMO_FUNCTIONS
from tests.functional.asgi.served import Exchange, fetch
from tests.functional.bedrock.e2e import JA_ANSWER, UrlResponse, parse_sse, post, prompt
from tests.infra.conftest import CloudAssembly
from tests.infra.isolation import isolated

#: Lambda's LD_LIBRARY_PATH for OS-only runtimes (aws-lambda-base-images, provided.al2023).
LAMBDA_LD_LIBRARY_PATH = (
    "/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib"
)
#: The module of each demo function, and whether its Function URL streams.
MODULES = {
    handler.removesuffix(".handler"): mode == lambda_.InvokeMode.RESPONSE_STREAM
    for _, handler, mode, _ in DEMO_FUNCTIONS
}
HELLO = prompt("こんにちは")
OPENAI_HELLO = json.dumps(
    {"model": DEFAULTS.model_id, "messages": [{"role": "user", "content": "こんにちは"}]},
    ensure_ascii=False,
)


def sse_text(body: str) -> str:
    return "".join(data for kind, data in parse_sse(body) if kind == "message")


#: How to ask each demo function for the fake Bedrock's answer to こんにちは: the path, the JSON
#: body, and how to read the answer's text from the response body. A demo function missing here
#: fails the tests that use it, with the name to add.
ASKS: dict[str, tuple[str, str, Callable[[str], str]]] = {
    "buffered": ("/chat", HELLO, lambda body: json.loads(body)["content"][0]["text"]),
    "aggregated": ("/chat", HELLO, lambda body: json.loads(body)["content"]),
    "stream_text": ("/chat", HELLO, str),
    "stream_sse": ("/chat", HELLO, sse_text),
    "stream_langchain": ("/chat", HELLO, str),
    "fastapi_app": ("/chat", HELLO, str),
    "openai_compat": (
        "/v1/chat/completions",
        OPENAI_HELLO,
        lambda body: json.loads(body)["choices"][0]["message"]["content"],
    ),
}


def ask(module: str) -> tuple[str, str, Callable[[str], str]]:
    if module not in ASKS:
        pytest.fail(f"the demo function {module} has no entry in ASKS: add how to ask it")
    return ASKS[module]


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
    # Not exec: bwrap --die-with-parent is killed when the *thread* that forked it ends, and the
    # emulator cold-starts sandboxes from the thread of the request's connection; the shell, as
    # bwrap's parent, lives as long as the sandbox (the emulator kills its process group).
    script.write_text(f"#!/bin/sh\n{shlex.join(command)}\n")
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


@pytest.mark.parametrize("module", MODULES)
def test_every_demo_function_imports_in_the_isolated_root(
    cli_synth: CloudAssembly, module: str
) -> None:
    # Its dependencies (native ones included: pydantic-core, jiter...) come from the asset only.
    function = cli_synth.function(f"{module}.handler")
    task = cli_synth.asset_dir(function["Properties"]["Code"])
    probe = (
        "import importlib, sys; sys.path.insert(0, '/var/task'); "
        "module = importlib.import_module(sys.argv[1]); "
        "print(callable(module.handler), module.__file__)"
    )
    result = subprocess.run(
        isolated(
            ["/opt/bin/python3.13", "-I", "-c", probe, module],
            read_only={task: "/var/task", cli_synth.layer_dir(function): "/opt"},
            env={
                **function["Properties"]["Environment"]["Variables"],
                "LD_LIBRARY_PATH": LAMBDA_LD_LIBRARY_PATH,
            },
            cwd="/var/task",
        ),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", f"/var/task/{module}.py"]


@pytest.mark.parametrize("module", MODULES)
def test_every_demo_function_answers_from_its_asset(
    deployed: Any, bedrock: FakeBedrock, module: str
) -> None:
    path, body, answer_of = ask(module)
    status, _, data, complete = fetch(
        deployed(module), "POST", path, body.encode(), **{"Content-Type": "application/json"}
    )
    assert (status, complete) == (200, True), data
    assert answer_of(data.decode()) == JA_ANSWER
    assert bedrock.requests[-1]["modelId"] == DEFAULTS.model_id


def test_fastapi_app_streams_and_routes_from_the_asset(deployed: Any) -> None:
    exchange = Exchange(
        deployed("fastapi_app"),
        "POST",
        "/chat",
        HELLO.encode(),
        {"Content-Type": "application/json"},
    )
    try:
        assert exchange.status == 200
        assert exchange.headers["content-type"] == "text/plain; charset=utf-8"
        pieces = [piece for _, piece in exchange.pieces()]
    finally:
        exchange.close()
    assert b"".join(pieces).decode() == JA_ANSWER
    assert len(pieces) > 1  # token by token from the asset too
    status, _, body, _ = fetch(deployed("fastapi_app"), "GET", "/health")
    assert (status, json.loads(body)) == (200, {"status": "ok", "model": DEFAULTS.model_id})


def test_openai_compat_streams_to_the_openai_sdk_from_the_asset(deployed: Any) -> None:
    url = deployed("openai_compat").function_url.rstrip("/")
    with openai.OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0) as client:
        chunks = list(
            client.chat.completions.create(
                model=DEFAULTS.model_id,
                messages=[{"role": "user", "content": "こんにちは"}],
                stream=True,
            )
        )
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == JA_ANSWER
    assert chunks[-1].choices[0].finish_reason == "stop"


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
            transfer_mode=STREAM if MODULES[handler] else BUFFERED,
            max_sandboxes=1,
        )
        door.start()
        started.append(door)
        return door

    yield get
    for door in started:
        door.close()


@pytest.mark.parametrize("module", MODULES)
def test_every_asset_answers_through_the_rest_api(deployed_rest: Any, module: str) -> None:
    path, body, answer_of = ask(module)
    door = deployed_rest(module)
    request = urllib.request.Request(
        door.url + path.removeprefix("/"),
        data=body.encode(),
        headers={"content-type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        status, text = response.status, response.read().decode()
        content_type = response.headers["content-type"]
    assert status == 200, text
    if module == "stream_sse":
        assert content_type.startswith("text/event-stream")
    assert answer_of(text) == JA_ANSWER

"""The OpenAI-compatible demo (lambda_src/openai_compat.py) in the emulator, on a fake Bedrock."""

from collections.abc import Callable, Iterator

import pytest

from emulator.bedrock import FakeBedrock
from emulator.config import FunctionConfig
from emulator.server import Emulator
from tests.functional.bedrock.e2e import LAMBDA_SRC

Start = Callable[..., Emulator]


def start(bedrock_url: str, **env: str) -> Emulator:
    emulator = Emulator(
        FunctionConfig(
            handler="openai_compat.handler",
            code_dir=LAMBDA_SRC,
            timeout=20,
            env={"BEDROCK_ENDPOINT_URL": bedrock_url, "BEDROCK_MAX_ATTEMPTS": "1", **env},
        ),
        invoke_mode="RESPONSE_STREAM",  # as the demo stack deploys it
        max_sandboxes=2,
    )
    emulator.start()
    return emulator


@pytest.fixture(scope="module")
def bedrock() -> Iterator[FakeBedrock]:
    with FakeBedrock() as fake:
        yield fake


@pytest.fixture(scope="module")
def function(bedrock: FakeBedrock) -> Iterator[Start]:
    """``function(**env)``: the handler in the emulator, started once per environment."""
    started: dict[tuple[tuple[str, str], ...], Emulator] = {}

    def get(**env: str) -> Emulator:
        key = tuple(sorted(env.items()))
        if key not in started:
            started[key] = start(bedrock.url, **env)
        return started[key]

    yield get
    for emulator in started.values():
        emulator.close()


@pytest.fixture(scope="module")
def url(function: Start) -> str:
    """The Function URL of the default deployment (no API key), without its trailing slash."""
    return function().function_url.rstrip("/")

"""Fixtures: a fake Bedrock on loopback and the unmodified boto3 client pointed at it."""

from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config

from emulator.bedrock import FakeBedrock
from emulator.server import Emulator

from . import e2e


@pytest.fixture
def fake_bedrock() -> Iterator[FakeBedrock]:
    with FakeBedrock() as fake:
        yield fake


def bedrock_client(url: str) -> Any:
    """boto3's bedrock-runtime client with only the endpoint changed (and dummy credentials)."""
    return boto3.client(
        "bedrock-runtime",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="AKIDFAKE",
        aws_secret_access_key="fake-secret",
        config=Config(retries={"max_attempts": 1}, read_timeout=30, connect_timeout=5),
    )


@pytest.fixture
def client(fake_bedrock: FakeBedrock) -> Iterator[Any]:
    client = bedrock_client(fake_bedrock.url)
    yield client
    client.close()  # its pooled sockets, or Python warns about them at exit


@pytest.fixture(scope="module")
def shared_bedrock() -> Iterator[FakeBedrock]:
    """One fake Bedrock for a whole module of end-to-end tests (streams are independent)."""
    with FakeBedrock() as fake:
        yield fake


@pytest.fixture(scope="module")
def function(shared_bedrock: FakeBedrock) -> Iterator[Callable[..., Emulator]]:
    """``function("stream_text", MAX_TOKENS="5")``: that demo handler in the emulator, started
    on first use and reused by the module's tests (its sandboxes stay warm, as on Lambda)."""
    started: dict[tuple[Any, ...], Emulator] = {}

    def get(handler: str, *, timeout: float = 10.0, **env: str) -> Emulator:
        key = (handler, timeout, *sorted(env.items()))
        if key not in started:
            started[key] = e2e.start(handler, shared_bedrock.url, timeout=timeout, **env)
        return started[key]

    yield get
    for emulator in started.values():
        emulator.close()

"""Fixtures: a fake Bedrock on loopback and the unmodified boto3 client pointed at it."""

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config

from emulator.bedrock import FakeBedrock


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

"""Unmodified boto3 clients pointed at the local emulator, shared by the functional tests."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config

from emulator.server import Emulator


def lambda_client(emulator: Emulator) -> Any:
    """Unmodified boto3, pointed at the emulator (no retries: a failure shows as it is)."""
    return boto3.client(
        "lambda",
        endpoint_url=emulator.invoke_endpoint,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
        config=Config(retries={"max_attempts": 1}, read_timeout=30),
    )

"""Fixtures for the emulator's end-to-end tests: the emulator in-process, the real bootstrap
in its sandboxes, tiny handlers from ./handlers."""

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from emulator.config import FunctionConfig
from emulator.server import Emulator
from tests.functional.aws_clients import lambda_client

HANDLERS = Path(__file__).resolve().parent / "handlers"
StartEmulator = Callable[..., Emulator]


@pytest.fixture
def start_emulator() -> Iterator[StartEmulator]:
    started: list[Emulator] = []

    def start(
        handler: str,
        *,
        invoke_mode: str = "RESPONSE_STREAM",
        max_sandboxes: int = 4,
        **config: Any,
    ) -> Emulator:
        emulator = Emulator(
            FunctionConfig(
                handler=f"emu_handlers.{handler}" if "." not in handler else handler,
                code_dir=HANDLERS,
                **config,
            ),
            invoke_mode=invoke_mode,
            max_sandboxes=max_sandboxes,
        )
        emulator.start()
        started.append(emulator)
        return emulator

    yield start
    for emulator in started:
        emulator.close()


@contextlib.contextmanager
def closing_client(emulator: Emulator) -> Iterator[Any]:
    client = lambda_client(emulator)
    try:
        yield client
    finally:
        client.close()

"""One emulator per (handler, invoke mode), started on first use and shared by a module."""

from collections.abc import Callable, Iterator

import pytest

from emulator.server import Emulator

from . import served


@pytest.fixture(scope="module")
def function() -> Iterator[Callable[..., Emulator]]:
    started: dict[tuple[str, str], Emulator] = {}

    def get(handler: str, invoke_mode: str = "RESPONSE_STREAM") -> Emulator:
        if (handler, invoke_mode) not in started:
            started[handler, invoke_mode] = served.start(handler, invoke_mode=invoke_mode)
        return started[handler, invoke_mode]

    yield get
    for emulator in started.values():
        emulator.close()

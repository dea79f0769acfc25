"""The README's "Your FastAPI app, streaming" example runs as shown, on the real runtime behind
the emulator's Function URL: the JSON route answers and /count streams 1, 2, 3 apart."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from emulator.config import FunctionConfig
from emulator.server import Emulator
from tests.functional.asgi.served import Exchange, fetch
from tests.functional.conftest import REPO


def _example() -> str:
    readme = (REPO / "README.md").read_text()
    section = readme.split("## Your FastAPI app, streaming", 1)[1].split("\n## ", 1)[0]
    (code,) = re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)
    return code


@pytest.fixture(scope="module")
def readme_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    code_dir: Path = tmp_path_factory.mktemp("readme_fastapi")
    (code_dir / "app.py").write_text(_example())
    emulator = Emulator(FunctionConfig(handler="app.handler", code_dir=code_dir, timeout=10))
    emulator.start()
    yield emulator
    emulator.close()


def test_the_readme_fastapi_example_answers_json(readme_app: Emulator) -> None:
    status, _, body, _ = fetch(readme_app, "GET", "/items/5?q=hi")
    assert (status, json.loads(body)) == (200, {"item_id": 5, "q": "hi"})


def test_the_readme_fastapi_example_streams(readme_app: Emulator) -> None:
    exchange = Exchange(readme_app, "GET", "/count")
    try:
        pieces = list(exchange.pieces())
    finally:
        exchange.close()
    assert b"".join(piece for _, piece in pieces) == b"1\n2\n3\n"
    assert pieces[-1][0] - pieces[0][0] >= 0.9  # two 0.5 s pauses: not one piece at the end

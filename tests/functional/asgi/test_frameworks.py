"""Starlette (ASGI), Flask (WSGI) and an MCP server (the official SDK, stateless Streamable HTTP,
called by the SDK's own client) on the real runtime behind the emulator's Function URL."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from emulator.server import Emulator
from tests.functional.asgi.served import Exchange, fetch

Function = Callable[..., Emulator]


def test_starlette_streams_until_the_gate_then_finishes(function: Function, tmp_path: Path) -> None:
    emulator = function("starlette_app.handler")
    gate = tmp_path / "gate"
    exchange = Exchange(emulator, "GET", f"/countdown?release={gate}")
    try:
        assert (exchange.status, exchange.headers["x-count"]) == (200, "down")
        assert exchange.read_until(b"3\n") == b"3\n"
        gate.touch()
        assert exchange.read_rest() == (b"2\n1\n", True)
    finally:
        exchange.close()


def test_starlette_mounts_and_urls_under_the_function_url(function: Function) -> None:
    emulator = function("starlette_app.handler")
    status, _, body, _ = fetch(emulator, "GET", "/api/where")
    assert status == 200
    # Starlette's Mount adds "/api" to root_path; the scheme is the front door's X-Forwarded-Proto.
    assert body.decode() == f"http://127.0.0.1:{emulator.port}/api/where /api"


def test_flask_generator_streams_item_by_item(function: Function, tmp_path: Path) -> None:
    emulator = function("flask_app.handler")
    gate = tmp_path / "gate"
    exchange = Exchange(emulator, "GET", f"/stream?name=lambda&release={gate}")
    try:
        assert exchange.status == 200
        assert exchange.headers["x-flask"] == "yes"
        assert exchange.headers["content-type"] == "text/plain; charset=utf-8"
        assert exchange.read_until(b"\n") == b"hello lambda\n"
        assert not gate.exists()
        gate.touch()
        assert exchange.read_rest() == (b"after the gate\n", True)
    finally:
        exchange.close()


@pytest.mark.parametrize(
    ("handler", "mode"),
    [("flask_app.handler", "RESPONSE_STREAM"), ("flask_app.buffered_handler", "BUFFERED")],
)
def test_flask_json_body_query_cookies_both_modes(
    function: Function, handler: str, mode: str
) -> None:
    emulator = function(handler, mode)
    status, headers, body, _ = fetch(
        emulator,
        "POST",
        "/echo?x=1&x=2",
        b'{"hello": "\xe4\xb8\x96\xe7\x95\x8c"}',
        **{"Content-Type": "application/json", "Cookie": "a=1; b=2"},
    )
    assert status == 200
    echoed = json.loads(body)
    assert echoed["json"] == {"hello": "世界"}
    assert echoed["path"] == "/echo"
    assert echoed["query"] == {"x": ["1", "2"]}
    assert echoed["cookies"] == {"a": "1", "b": "2"}
    assert echoed["remote_addr"] == "127.0.0.1"
    assert echoed["request_id"] == headers["x-amzn-requestid"]
    assert headers.get_all("set-cookie") == ["flask=1; Path=/", "other=2; Path=/"]


def test_flask_exception_is_a_500_and_a_mid_stream_one_cuts_the_stream(function: Function) -> None:
    emulator = function("flask_app.handler")
    status, _, body, complete = fetch(emulator, "GET", "/boom")
    assert status == 500  # Flask answers its own 500 page; the traceback stays in the log
    assert b"flask secret" not in body
    assert complete
    status, _, body, complete = fetch(emulator, "GET", "/fail-mid-stream")
    assert (status, body, complete) == (200, b"partial ", False)


def test_mcp_client_lists_tools_and_receives_progress_while_the_tool_runs(
    function: Function, tmp_path: Path
) -> None:
    from mcp import Client

    emulator = function("mcp_app.handler")
    gate = tmp_path / "gate"
    progress: list[tuple[float, str | None]] = []
    first_progress = threading.Event()

    async def on_progress(value: float, total: float | None, message: str | None) -> None:
        progress.append((value, message))
        first_progress.set()

    async def session() -> tuple[list[str], int, str, bool]:
        async with Client(f"{emulator.function_url}mcp") as client:
            tools = sorted(tool.name for tool in (await client.list_tools()).tools)
            added = await client.call_tool("add", {"a": 2, "b": 40})
            opener = asyncio.get_running_loop().run_in_executor(None, open_gate)
            counted = await client.call_tool(
                "count", {"to": 3, "release": str(gate)}, progress_callback=on_progress
            )
            gated = await opener
            return tools, int(added.content[0].text), counted.content[0].text, gated

    def open_gate() -> bool:
        # The tool waits at the gate after its first progress report: receiving that report
        # before opening the gate proves the tool's response streams.
        seen = first_progress.wait(20)
        gate.touch()
        return seen

    tools, added, counted, progress_before_gate = asyncio.run(session())
    assert tools == ["add", "count"]
    assert added == 42
    assert counted == "counted to 3"
    assert progress_before_gate
    assert progress == [(1, "step 1"), (2, "step 2"), (3, "step 3")]

"""One event loop for the process, created the first time an async handler needs it.

``asyncio`` costs ~23 ms to import, so it is imported only then. The loop is kept between
invocations (as ``asyncio.Runner`` intends) so that clients bound to it, such as an aiohttp
session created at init, stay usable.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    import asyncio
    from collections.abc import Awaitable

_runner: asyncio.Runner | None = None


def run(awaitable: Awaitable[object]) -> object:
    """Run ``awaitable`` to completion on the process's event loop."""
    global _runner  # noqa: PLW0603  # one loop per process is the point
    if _runner is None:
        import asyncio

        _runner = asyncio.Runner()
    return _runner.run(_as_coroutine(awaitable))


async def _as_coroutine(awaitable: Awaitable[object]) -> object:
    # Runner.run() takes only coroutines; pipeline() hands back a plain awaitable.
    return await awaitable

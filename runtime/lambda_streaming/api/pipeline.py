"""``pipeline(source, response_stream)``: write every item of a source, then end the stream.

Node's ``stream.pipeline`` loses errors when it is not awaited (the reference article does
exactly that). Here a failing source always fails the stream (error trailers once bytes are
out) and re-raises, and an async pipeline the handler forgot to ``await`` is still run by the
runtime when the handler returns.
"""

from __future__ import annotations

from collections.abc import AsyncIterable

from .stream import response_of

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Generator, Iterable

    from .stream import ResponseStream

    Chunk = bytes | bytearray | memoryview | str


class Pipeline:
    """The awaitable ``pipeline()`` returns; already finished for synchronous sources."""

    __slots__ = ("_source", "_stream")

    def __init__(self, source: AsyncIterable[Chunk] | None, stream: ResponseStream) -> None:
        self._source = source
        self._stream = stream

    def __await__(self) -> Generator[object, None, None]:
        source, self._source = self._source, None
        if source is None:
            return None
        response = response_of(self._stream)
        if response.pending is self:
            response.pending = None
        return (yield from _drain_async(source, self._stream).__await__())


def pipeline(
    source: Iterable[Chunk] | AsyncIterable[Chunk], response_stream: ResponseStream
) -> Pipeline:
    """Write each item of ``source`` to ``response_stream`` as a chunk, then end the stream.

    A synchronous iterable is written at once; an async iterable is written when the result
    is awaited (``await pipeline(agen, stream)``).

    >>> pipeline(["hello, ", "world"], response_stream)  # doctest: +SKIP
    """
    if isinstance(source, AsyncIterable):
        pending = Pipeline(source, response_stream)
        response_of(response_stream).pending = pending
        return pending
    try:
        for chunk in source:
            response_stream.write(chunk)
    except BaseException as error:
        response_of(response_stream).record(error)
        raise
    response_stream.end()
    return Pipeline(None, response_stream)


async def _drain_async(source: AsyncIterable[Chunk], stream: ResponseStream) -> None:
    try:
        async for chunk in source:
            stream.write(chunk)
    except BaseException as error:
        response_of(stream).record(error)
        raise
    stream.end()

"""The iterator of typed events over one Bedrock event stream, whatever the API.

Owns: ``BedrockEvents``: reading a boto3 event stream once, turning each raw event into typed
events with the API's reader, raising Bedrock's in-stream exceptions as ``BedrockStreamError``
(and botocore's own errors mapped the same way), and closing the connection when the stream
fails or the caller stops early.
"""

from __future__ import annotations

from .errors import BedrockStreamError, bedrock_error, close_source, raise_in_band_exception

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Generator, Iterable, Mapping
    from typing import Any

    from .events import BedrockEvent

    Reader = Callable[[Mapping[str, Any]], Iterable[BedrockEvent]]


class BedrockEvents:
    """An iterator of ``BedrockEvent`` over one stream; iterate it once.

    ``close()`` stops reading and closes the underlying event stream (botocore's
    ``EventStream.close``); a failure closes it too. Errors: ``BedrockStreamError`` for an
    exception Bedrock sent, ``UnknownShapeError`` for an event no reader knows, ``TypeError``
    for a response that is not a stream.
    """

    __slots__ = ("_events", "_source")

    def __init__(
        self,
        source: Iterable[Any],
        read: Reader,
        finish: Callable[[], Iterable[BedrockEvent]],
        operation: str,
    ) -> None:
        self._source = source
        self._events = _generate(source, read, finish, operation)

    def __iter__(self) -> BedrockEvents:
        return self

    def __next__(self) -> BedrockEvent:
        return next(self._events)

    def close(self) -> None:
        """Stop reading: close the underlying event stream and this iterator.

        Safe from another thread than the one iterating (``sse_stream``'s keep-alive reads in
        a thread): closing the connection first makes that thread's read end.
        """
        close_source(self._source)
        try:  # noqa: SIM105 (contextlib is not loaded otherwise: cold start)
            self._events.close()
        except ValueError:  # "generator already executing" in the reading thread
            pass


def _generate(
    source: Iterable[Any],
    read: Reader,
    finish: Callable[[], Iterable[BedrockEvent]],
    operation: str,
) -> Generator[BedrockEvent, None, None]:
    try:
        for event in source:
            if not isinstance(event, dict):
                raise TypeError(
                    f"expected Bedrock stream events as dicts, got {type(event).__name__}: "
                    f"pass the response of {operation}(), not of invoke_model()/converse()"
                )
            raise_in_band_exception(event)
            yield from read(event)
        yield from finish()
    except BedrockStreamError:
        close_source(source)  # nothing more will come: release the connection now
        raise
    except GeneratorExit:
        raise
    except Exception as error:
        close_source(source)
        mapped = bedrock_error(error)
        if mapped is None:
            raise
        raise mapped from error

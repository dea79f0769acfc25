"""Ending a stream cleanly before the function times out, instead of being cut mid-sentence.

Owns: ``DeadlineGuard``/``deadline_guard`` and the margin and note they use by default;
``DeadlineReached`` and ``until_deadline`` for streams whose protocol ends with an in-band error
(the OpenAI and AI SDK streams) rather than a note.
"""

from __future__ import annotations

from typing import Generic, Protocol, TypeVar

from .errors import close_source

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

_T = TypeVar("_T")

DEFAULT_DEADLINE_MARGIN_MS = 1000
DEFAULT_DEADLINE_NOTE = "\n\n[stopped early: the function is about to reach its timeout]\n"
DEADLINE_MESSAGE = "stopped early: the function is about to reach its timeout"


class DeadlineReached(TimeoutError):
    """The stream stopped ``margin_ms`` before the function's timeout (its type in the error
    trailers and logs: ``Function.DeadlineReached``)."""

    error_type = "Function.DeadlineReached"

    def __init__(self, message: str = DEADLINE_MESSAGE) -> None:
        super().__init__(message)


class LambdaContextLike(Protocol):
    """What the deadline guard needs from the handler's ``context``."""

    def get_remaining_time_in_millis(self) -> int: ...


class DeadlineGuard(Generic[_T]):
    """Pass items through until the function is about to time out, then end cleanly.

    Before each item it asks ``context.get_remaining_time_in_millis()``; once ``margin_ms`` or
    less remain, it closes the source (which stops reading Bedrock), yields ``note`` if given,
    and ends, so the client gets a complete response with a clear note instead of a stream cut
    mid-sentence by the timeout. ``expired`` tells afterwards whether it stopped early.

    It checks between items: one item that never arrives is not interrupted, so keep the
    client's read timeout (boto3 ``Config(read_timeout=...)``) below the margin you need.
    """

    def __init__(
        self,
        items: Iterable[_T],
        context: LambdaContextLike,
        *,
        margin_ms: int = DEFAULT_DEADLINE_MARGIN_MS,
        note: _T | None = None,
    ) -> None:
        self._source = items
        self._items = iter(items)
        self._context = context
        self._margin_ms = margin_ms
        self._note = note
        self._done = False
        self.expired = False

    def __iter__(self) -> DeadlineGuard[_T]:
        return self

    def __next__(self) -> _T:
        if self._done:
            raise StopIteration
        if self._context.get_remaining_time_in_millis() <= self._margin_ms:
            self._done = self.expired = True
            close_source(self._source)
            if self._note is not None:
                return self._note
            raise StopIteration
        try:
            return next(self._items)
        except StopIteration:
            self._done = True
            raise


def deadline_guard(
    items: Iterable[str],
    context: LambdaContextLike,
    *,
    margin_ms: int = DEFAULT_DEADLINE_MARGIN_MS,
    note: str | None = DEFAULT_DEADLINE_NOTE,
) -> DeadlineGuard[str]:
    """Text ``items`` until ``margin_ms`` before the timeout, then ``note`` and the end.

    >>> class Context:
    ...     remaining = [5000, 5000, 900]
    ...     def get_remaining_time_in_millis(self):
    ...         return self.remaining.pop(0)
    >>> list(deadline_guard(["a", "b", "c"], Context(), note="[timeout]"))
    ['a', 'b', '[timeout]']
    """
    return DeadlineGuard(items, context, margin_ms=margin_ms, note=note)


def until_deadline(
    items: Iterable[_T], context: LambdaContextLike, *, margin_ms: int = DEFAULT_DEADLINE_MARGIN_MS
) -> Iterator[_T]:
    """``items`` until ``margin_ms`` before the timeout, then ``DeadlineReached`` (checked
    before each item; the caller closes ``items``). For a stream whose protocol reports the
    end as an error: the translators turn it into their in-band error event.

    >>> class Context:
    ...     remaining = [5000, 900]
    ...     def get_remaining_time_in_millis(self):
    ...         return self.remaining.pop(0)
    >>> stream = until_deadline(["a", "b"], Context())
    >>> next(stream)
    'a'
    >>> try:
    ...     next(stream)
    ... except DeadlineReached as stopped:
    ...     print(stopped.error_type, stopped)
    Function.DeadlineReached stopped early: the function is about to reach its timeout
    """
    iterator = iter(items)
    while True:  # checked before each read: a read may wait for Bedrock
        if context.get_remaining_time_in_millis() <= margin_ms:
            raise DeadlineReached
        try:
            item = next(iterator)
        except StopIteration:
            return
        yield item

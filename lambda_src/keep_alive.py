"""SSE keep-alive comments while a stream has nothing to send (the OpenAI and AI SDK routes).

A model writing a long tool call, or thinking, can be silent for minutes; proxies and
CloudFront drop a connection idle for their read timeout. ``with_keep_alive(lines, seconds)``
reads the stream's SSE text in a helper thread and, after ``seconds`` without any, sends
``: keep-alive`` (a comment: the ``openai`` SDK's SSE decoder and the AI SDK's
``eventsource-parser`` skip it). The translators stay pure; this wraps their output.

With the Lambda ``context`` it also ends the stream ``margin_ms`` before the function's timeout
with the protocol's in-band error (``expired``), even while the model is silent: the
translators' own deadline check runs between Bedrock events only, and a silence longer than the
function's time left would otherwise end in a cut connection.
"""

import queue
import threading
import time
from collections.abc import Iterable, Iterator
from typing import Any

from lambda_streaming.bedrock import DEFAULT_DEADLINE_MARGIN_MS

KEEP_ALIVE = ": keep-alive\n\n"
_END = object()


def with_keep_alive(
    lines: Iterable[str],
    seconds: float | None,
    *,
    context: Any = None,
    expired: str = "",
    margin_ms: int = DEFAULT_DEADLINE_MARGIN_MS,
) -> Iterator[str]:
    """``lines`` as they come, and ``KEEP_ALIVE`` after each ``seconds`` of silence.

    ``None`` or ``0`` (and no ``context``): ``lines`` unchanged, read in the caller's thread.
    An exception ``lines`` raises is raised here, in the caller's thread. Closing this iterator
    (the client left) closes ``lines`` once its thread is done with the item in hand. With
    ``context`` (the Lambda context): once ``margin_ms`` or less of the function's time is
    left, ``expired`` (the protocol's error event) and the end, whatever ``lines`` is doing.
    """
    if not seconds and context is None:
        yield from lines
        return
    items: queue.SimpleQueue[tuple[object, BaseException | None]] = queue.SimpleQueue()
    stop = threading.Event()

    def pump() -> None:
        iterator = iter(lines)
        try:
            for line in iterator:
                items.put((line, None))
                # Let the waiting consumer take the GIL now: otherwise this thread keeps it
                # while it reads on (up to the 5 ms switch interval), and the line waits.
                time.sleep(0)
                if stop.is_set():
                    break
            items.put((_END, None))
        except BaseException as error:  # handed to the caller's thread, raised there
            items.put((_END, error))
        finally:
            close = getattr(iterator, "close", None)
            if stop.is_set() and callable(close):
                close()  # in this thread: a generator cannot be closed from another one

    threading.Thread(target=pump, name="keep-alive", daemon=True).start()
    try:
        while True:
            wait = seconds or None
            if context is not None:
                left_s = (context.get_remaining_time_in_millis() - margin_ms) / 1000
                if left_s <= 0:
                    yield expired
                    return  # the finally stops the pump; it closes lines after its read
                wait = left_s if wait is None else min(wait, left_s)
            try:
                line, error = items.get(timeout=wait)
            except queue.Empty:
                if context is None or wait == seconds:
                    yield KEEP_ALIVE
                continue
            if error is not None:
                raise error
            if line is _END:
                return
            assert isinstance(line, str)
            yield line
    finally:
        stop.set()

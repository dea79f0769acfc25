"""SSE keep-alive comments while a stream has nothing to send (the OpenAI and AI SDK routes).

A model writing a long tool call, or thinking, can be silent for minutes; proxies and
CloudFront drop a connection idle for their read timeout. ``with_keep_alive(lines, seconds)``
reads the stream's SSE text in a helper thread and, after ``seconds`` without any, sends
``: keep-alive`` (a comment: the ``openai`` SDK's SSE decoder and the AI SDK's
``eventsource-parser`` skip it). The translators stay pure; this wraps their output.
"""

import queue
import threading
from collections.abc import Iterable, Iterator

KEEP_ALIVE = ": keep-alive\n\n"
_END = object()


def with_keep_alive(lines: Iterable[str], seconds: float | None) -> Iterator[str]:
    """``lines`` as they come, and ``KEEP_ALIVE`` after each ``seconds`` of silence.

    ``None`` or ``0``: ``lines`` unchanged, read in the caller's thread. An exception ``lines``
    raises is raised here, in the caller's thread. Closing this iterator (the client left)
    closes ``lines`` once its thread is done with the item in hand.
    """
    if not seconds:
        yield from lines
        return
    items: queue.SimpleQueue[tuple[object, BaseException | None]] = queue.SimpleQueue()
    stop = threading.Event()

    def pump() -> None:
        iterator = iter(lines)
        try:
            for line in iterator:
                items.put((line, None))
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
            try:
                line, error = items.get(timeout=seconds)
            except queue.Empty:
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

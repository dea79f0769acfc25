"""Server-Sent Events framing for streamed text (``Content-Type: text/event-stream``).

Owns: turning text into SSE events as the WHATWG HTML "server-sent events" section parses
them, and the stream shape browsers of our handlers can rely on: one ``message`` event per text
delta (``reasoning``, ``tool_use``, ``citation`` events too when fed typed Bedrock events), then
exactly one ``event: done`` (JSON: stop reason, usage, guardrail, tool calls), or an
``event: error`` (JSON: errorType, errorMessage) when the source fails; ``: keep-alive``
comments while the source is silent. A Function URL has already sent status 200 by
then, so the in-band error event is the only way a browser learns the stream failed; the
exception is re-raised too, so the runtime still reports it in the error trailers. For an HTTP
caller (Function URL, API Gateway) pass ``reraise=False``: the error event is its answer, and a
response cut by the re-raise lets browsers drop the bytes they have not read yet, that very
event (``lambda_src/stream_sse.py`` decides by the event's shape). Keep the default for
``InvokeWithResponseStream`` callers, who read the error trailers.

Does not: write to a socket or choose headers; yield its strings from a generator handler
(``@streamify_response(content_type="text/event-stream")``) or ``write()`` them.

>>> print(sse_event("line 1\\nline 2"), end="")
data: line 1
data: line 2
<BLANKLINE>
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from .api.errors import error_type
from .bedrock import DEFAULT_DEADLINE_MARGIN_MS, LambdaContextLike
from .bedrock.events import Citation, ReasoningDelta, TextDelta, ToolUseStop
from .bedrock.summary import StreamSummary

SSE_CONTENT_TYPE = "text/event-stream"
SSE_HEADERS = {"content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache"}
"""Response headers for an SSE stream (``no-cache`` keeps proxies from holding it back)."""

DEADLINE_STOP_REASON = "deadline"
DEFAULT_KEEP_ALIVE_S = 15.0
KEEP_ALIVE = ": keep-alive\n\n"
"""The comment sent after ``keep_alive`` seconds of silence (ignored by SSE parsers)."""
_SILENT, _END, _RECHECK = object(), object(), object()
_ITEM, _ERROR = 0, 1


def sse_event(data: str, *, event: str | None = None, id: str | None = None) -> str:
    """One SSE event. Each line of ``data`` becomes a ``data:`` line (browsers join them with
    ``\\n``), splitting at ``\\r\\n``, ``\\r`` and ``\\n`` as the SSE parser does.

    >>> sse_event('{"a": 1}', event="done")
    'event: done\\ndata: {"a": 1}\\n\\n'
    """
    lines = []
    if event is not None:
        lines.append(f"event: {_field_value('event', event)}")
    if id is not None:
        lines.append(f"id: {_field_value('id', id)}")
    # The space after the colon is the one the parser strips, so leading spaces in the text
    # survive; any other line break character (e.g. U+2028) is ordinary data in SSE.
    lines.extend(
        f"data: {line}" for line in data.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    )
    return "\n".join(lines) + "\n\n"


def sse_comment(text: str = "") -> str:
    """A comment line (``: text``), ignored by browsers; useful as a keep-alive."""
    return f": {_field_value('comment', text)}\n\n"


def sse_stream(
    source: Iterable[object],
    *,
    context: LambdaContextLike | None = None,
    margin_ms: int = DEFAULT_DEADLINE_MARGIN_MS,
    done: Callable[[], Mapping[str, Any]] | None = None,
    reraise: bool = True,
    keep_alive: float | None = DEFAULT_KEEP_ALIVE_S,
) -> Iterator[str]:
    """Frame ``source`` as SSE: an event per text, then ``event: done``.

    ``source`` yields ``str`` (each a ``data:`` message event; a ``TextStream`` works) or typed
    Bedrock events (``converse_events``/``invoke_events``): ``TextDelta`` -> message event,
    reasoning text -> ``event: reasoning``, a complete tool call -> ``event: tool_use`` (JSON
    ``{toolUseId, name, input}``), a citation -> ``event: citation``; the rest is summarised.

    The ``done`` event's data is JSON: ``done()`` if given, else the stream's summary
    (``{"stopReason", "usage", "guardrail", "toolUses"}`` as known: ``StreamSummary.to_json``).
    With a ``context``, the stream ends ``margin_ms`` before the function's timeout with
    ``{"stopReason": "deadline", "note": ...}``. If ``source`` raises, an ``event: error`` with
    ``{"errorType", "errorMessage"}`` is sent, then the exception is re-raised (unless
    ``reraise=False``) so the runtime marks the stream failed in its error trailers.

    ``keep_alive``: after that many seconds without anything to send (default 15), a comment
    (``: keep-alive``) goes out, which browsers ignore and idle-timeout proxies count as
    traffic; the source is then read in a helper thread. ``None`` turns it off.

    >>> list(sse_stream(["Hi", " there"], keep_alive=None))
    ['data: Hi\\n\\n', 'data:  there\\n\\n', 'event: done\\ndata: {}\\n\\n']
    """
    reading = _Reading(source, keep_alive)
    try:
        yield from reading.frames(context, margin_ms)
    except Exception as error:
        reading.finished = True
        yield sse_event(_json(_error_data(error)), event="error")
        if reraise:
            raise
        return
    finally:
        if not reading.finished:
            reading.close()  # stopped early (client gone, deadline): stop reading Bedrock
    if reading.expired:
        data: Mapping[str, Any] = {
            "stopReason": DEADLINE_STOP_REASON,
            "note": "stopped early: the function is about to reach its timeout",
        }
    elif done is not None:
        data = done()
    elif reading.observed:
        data = reading.summary.to_json()
    else:
        data = _summary_of(source)
    yield sse_event(_json(data), event="done")


class _Reading:
    """One ``sse_stream`` call's source, read directly or through a ``_Pump``."""

    def __init__(self, source: Iterable[object], keep_alive: float | None) -> None:
        self.source = source
        self.keep_alive = keep_alive
        self.pump = _Pump(source) if keep_alive is not None else None
        self.items = iter(source) if keep_alive is None else None
        self.summary = StreamSummary()
        self.observed = self.expired = self.finished = False

    def frames(self, context: LambdaContextLike | None, margin_ms: int) -> Iterator[str]:
        while True:
            left_ms = None if context is None else context.get_remaining_time_in_millis()
            if left_ms is not None and left_ms <= margin_ms:
                self.expired = True
                return  # not finished: close() stops the source
            item = self._next(None if left_ms is None else (left_ms - margin_ms) / 1000)
            if item is _SILENT:
                yield KEEP_ALIVE
            elif item is _END:
                self.finished = True
                return
            elif isinstance(item, str):
                if item:
                    yield sse_event(item)
            elif item is not _RECHECK:
                self.observed = True
                self.summary.observe(item)  # type: ignore[arg-type]
                frame = _event_frame(item)
                if frame is not None:
                    yield frame

    def _next(self, left_s: float | None) -> object:
        """The next item; ``_SILENT`` after ``keep_alive`` s without one; ``_RECHECK`` when
        the deadline may have come first."""
        if self.pump is None:
            assert self.items is not None
            return next(self.items, _END)
        assert self.keep_alive is not None
        if left_s is None or left_s >= self.keep_alive:
            return self.pump.get(self.keep_alive)
        item = self.pump.get(max(0.0, left_s))
        return _RECHECK if item is _SILENT else item

    def close(self) -> None:
        if self.pump is not None:
            self.pump.stop()
        close = getattr(self.source, "close", None)
        if callable(close):
            close()


def _event_frame(event: object) -> str | None:
    """The SSE frame of a typed Bedrock event, or ``None`` for events only summarised."""
    if isinstance(event, TextDelta):
        return sse_event(event.text)
    if isinstance(event, ReasoningDelta):
        return sse_event(event.text, event="reasoning") if event.text else None
    if isinstance(event, ToolUseStop):
        tool = {"toolUseId": event.tool_use_id, "name": event.name, "input": event.input}
        return sse_event(_json(tool), event="tool_use")
    if isinstance(event, Citation):
        cited = {"title": event.title, "source": event.source, "citedText": event.cited_text}
        return sse_event(_json(cited), event="citation")
    return None


class _Pump:
    """Reads an iterable in a daemon thread, so its consumer can wait with a timeout."""

    def __init__(self, source: Iterable[object]) -> None:
        import queue
        import threading

        self._source = source
        self._queue: queue.SimpleQueue[tuple[int, object]] = queue.SimpleQueue()
        self._empty = queue.Empty
        self._thread = threading.Thread(target=self._run, name="sse-source", daemon=True)
        self._started = False
        self._stopped = False

    def get(self, timeout: float) -> object:
        """The next item, ``_END`` at the end, ``_SILENT`` after ``timeout`` s without one."""
        if not self._started:
            self._started = True
            self._thread.start()
        try:
            kind, value = self._queue.get(timeout=timeout)
        except self._empty:
            return _SILENT
        if kind == _ERROR:
            assert isinstance(value, BaseException)
            raise value
        return value

    def stop(self) -> None:
        self._stopped = True

    def _run(self) -> None:
        from time import sleep

        try:
            for item in self._source:
                if self._stopped:
                    return
                self._queue.put((_ITEM, item))
                # Hand the GIL to the waiting consumer now: otherwise this thread keeps it
                # while it reads on (up to the 5 ms switch interval), and the item waits.
                sleep(0)
            self._queue.put((_ITEM, _END))
        except BaseException as error:  # handed to the consumer's thread, raised there
            self._queue.put((_ERROR, error))


def _summary_of(texts: object) -> dict[str, Any]:
    summary = getattr(texts, "summary", None)
    if isinstance(summary, StreamSummary):
        return summary.to_json()
    data: dict[str, Any] = {}
    stop_reason = getattr(texts, "stop_reason", None)
    if stop_reason is not None:
        data["stopReason"] = stop_reason
    usage = getattr(texts, "usage", None)
    if usage is not None:
        data["usage"] = {
            "inputTokens": usage.input_tokens,
            "outputTokens": usage.output_tokens,
            "totalTokens": usage.total_tokens,
        }
    return data


def _error_data(error: BaseException) -> dict[str, str]:
    # The same type the stream's error trailer carries (lambda_streaming.error_type).
    return {"errorType": error_type(error), "errorMessage": str(error)}


def _json(data: Mapping[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def _field_value(name: str, value: str) -> str:
    if "\n" in value or "\r" in value:
        raise ValueError(f"an SSE {name} cannot contain a line break: {value!r}")
    return value

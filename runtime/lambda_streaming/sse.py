"""Server-Sent Events framing for streamed text (``Content-Type: text/event-stream``).

Owns: turning text into SSE events as the WHATWG HTML "server-sent events" section parses
them, and the stream shape browsers of our handlers can rely on: one ``message`` event per text
delta, then exactly one ``event: done`` (JSON: stop reason, usage), or an ``event: error`` (JSON:
errorType, errorMessage) when the source fails. A Function URL has already sent status 200 by
then, so the in-band error event is the only way a browser learns the stream failed; the
exception is re-raised too, so the runtime still reports it in the error trailers.

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
from .bedrock import DEFAULT_DEADLINE_MARGIN_MS, DeadlineGuard, LambdaContextLike

SSE_CONTENT_TYPE = "text/event-stream"
SSE_HEADERS = {"content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache"}
"""Response headers for an SSE stream (``no-cache`` keeps proxies from holding it back)."""

DEADLINE_STOP_REASON = "deadline"


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
    texts: Iterable[str],
    *,
    context: LambdaContextLike | None = None,
    margin_ms: int = DEFAULT_DEADLINE_MARGIN_MS,
    done: Callable[[], Mapping[str, Any]] | None = None,
    reraise: bool = True,
) -> Iterator[str]:
    """Frame ``texts`` as SSE: a ``data:`` event per non-empty text, then ``event: done``.

    The ``done`` event's data is JSON: ``done()`` if given, else ``{"stopReason": ...,
    "usage": {...}}`` read from ``texts`` when it has them (a ``TextStream`` does). With a
    ``context``, the stream ends ``margin_ms`` before the function's timeout with
    ``{"stopReason": "deadline", "note": ...}``. If ``texts`` raises, an ``event: error``
    with ``{"errorType", "errorMessage"}`` is sent, then the exception is re-raised (unless
    ``reraise=False``) so the runtime marks the stream failed in its error trailers.

    >>> list(sse_stream(["Hi", " there"]))
    ['data: Hi\\n\\n', 'data:  there\\n\\n', 'event: done\\ndata: {}\\n\\n']
    """
    guard = None
    source: Iterable[str] = texts
    if context is not None:
        guard = source = DeadlineGuard(texts, context, margin_ms=margin_ms)
    try:
        for text in source:
            if text:
                yield sse_event(text)
    except Exception as error:
        yield sse_event(_json(_error_data(error)), event="error")
        if reraise:
            raise
        return
    if guard is not None and guard.expired:
        summary: Mapping[str, Any] = {
            "stopReason": DEADLINE_STOP_REASON,
            "note": "stopped early: the function is about to reach its timeout",
        }
    else:
        summary = done() if done is not None else _summary_of(texts)
    yield sse_event(_json(summary), event="done")


def _summary_of(texts: object) -> dict[str, Any]:
    summary: dict[str, Any] = {}
    stop_reason = getattr(texts, "stop_reason", None)
    if stop_reason is not None:
        summary["stopReason"] = stop_reason
    usage = getattr(texts, "usage", None)
    if usage is not None:
        summary["usage"] = {
            "inputTokens": usage.input_tokens,
            "outputTokens": usage.output_tokens,
            "totalTokens": usage.total_tokens,
        }
    return summary


def _error_data(error: BaseException) -> dict[str, str]:
    # The same type the stream's error trailer carries (lambda_streaming.error_type).
    return {"errorType": error_type(error), "errorMessage": str(error)}


def _json(data: Mapping[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def _field_value(name: str, value: str) -> str:
    if "\n" in value or "\r" in value:
        raise ValueError(f"an SSE {name} cannot contain a line break: {value!r}")
    return value

"""Amazon Bedrock streams as plain text: the generated text only, then stop reason and usage.

Owns: reading the event stream of a ``converse_stream`` response or of an
``invoke_model_with_response_stream`` response (Anthropic Claude Messages, Amazon Nova and Meta
Llama chunk shapes), mapping Bedrock's in-stream exceptions to one error with a Lambda error
type, and a deadline guard that ends a stream cleanly before the function times out.

Does not: call Bedrock or import boto3/botocore. You make the call with your own client and pass
its response; anything shaped like boto3's answer works (a dict whose ``"stream"`` or ``"body"``
is an iterable of event dicts), which is also how the unit tests feed recorded events.

>>> events = [{"contentBlockDelta": {"delta": {"text": "Hel"}, "contentBlockIndex": 0}},
...           {"contentBlockDelta": {"delta": {"text": "lo"}, "contentBlockIndex": 0}},
...           {"messageStop": {"stopReason": "end_turn"}}]
>>> text = converse_text({"stream": events})
>>> "".join(text), text.stop_reason
('Hello', 'end_turn')
"""

from __future__ import annotations

import json
from collections.abc import Generator, Iterable, Mapping
from typing import Any, Generic, NamedTuple, Protocol, TypeVar

_T = TypeVar("_T")

# The exception members of the ConverseStreamOutput and ResponseStream unions in botocore's
# bedrock-runtime service model (2023-09-30). botocore yields them as event keys or raises them.
STREAM_EXCEPTIONS = frozenset(
    {
        "internalServerException",
        "modelStreamErrorException",
        "modelTimeoutException",
        "serviceUnavailableException",
        "throttlingException",
        "validationException",
    }
)
DEFAULT_DEADLINE_MARGIN_MS = 1000
DEFAULT_DEADLINE_NOTE = "\n\n[stopped early: the function is about to reach its timeout]\n"


class LambdaContextLike(Protocol):
    """What the deadline guard needs from the handler's ``context``."""

    def get_remaining_time_in_millis(self) -> int: ...


class Usage(NamedTuple):
    """Token counts reported by Bedrock at the end of a stream (``None`` when not reported)."""

    input_tokens: int | None
    output_tokens: int | None

    @property
    def total_tokens(self) -> int | None:
        if self.input_tokens is None or self.output_tokens is None:
            return None
        return self.input_tokens + self.output_tokens


class BedrockStreamError(Exception):
    """An exception Bedrock reported inside the stream, e.g. ``throttlingException``.

    ``code`` is Bedrock's name for it; ``error_type`` (``Function.ThrottlingException``) is what
    the runtime puts in the stream's error trailer, so ``InvokeWithResponseStream`` callers see
    which failure ended the stream. ``original_status_code`` and ``original_message`` are set
    for ``modelStreamErrorException``.
    """

    def __init__(
        self,
        code: str,
        message: str,
        *,
        original_status_code: int | None = None,
        original_message: str | None = None,
    ) -> None:
        super().__init__(f"Bedrock {code}: {message}" if message else f"Bedrock {code}")
        self.code = code
        self.message = message
        self.original_status_code = original_status_code
        self.original_message = original_message
        # Read by lambda_streaming.error_type, which names the failure on every channel.
        self.error_type = f"Function.{code[:1].upper()}{code[1:]}" if code else "Function.Bedrock"

    @property
    def retryable(self) -> bool:
        """Whether asking again later may succeed (throttling, timeouts, 5xx-like failures)."""
        return self.code != "validationException"


class TextStream:
    """The text deltas of one Bedrock stream; after iterating, its stop reason and usage.

    Iterate it once (it is an iterator, like a file or a generator): every item is a non-empty
    ``str``. Events without text (message start/stop, tool use, reasoning, metadata) are
    skipped; the stop reason and token usage they carry are kept in ``stop_reason`` and
    ``usage``, complete once iteration has ended. A Bedrock exception in the stream raises
    ``BedrockStreamError``. ``close()`` closes the underlying event stream (botocore's
    ``EventStream.close``) when you stop early.
    """

    def __init__(self, events: Iterable[Any], read_event: _EventReader) -> None:
        self._events = events
        self._read_event = read_event
        self._texts = self._generate()
        self.stop_reason: str | None = None
        self.input_tokens: int | None = None
        self.output_tokens: int | None = None
        self.metrics: dict[str, Any] = {}

    @property
    def usage(self) -> Usage | None:
        """Token usage, or ``None`` when the stream reported none (yet)."""
        if self.input_tokens is None and self.output_tokens is None:
            return None
        return Usage(self.input_tokens, self.output_tokens)

    def __iter__(self) -> TextStream:
        return self

    def __next__(self) -> str:
        return next(self._texts)

    def read(self) -> str:
        """All remaining text, joined (what the article's "aggregated" handler builds)."""
        return "".join(self)

    def close(self) -> None:
        """Stop reading: close this iterator and the underlying event stream."""
        self._texts.close()
        close = getattr(self._events, "close", None)
        if callable(close):
            close()

    def _generate(self) -> Generator[str, None, None]:
        try:
            for event in self._events:
                if not isinstance(event, Mapping):
                    raise TypeError(
                        f"expected Bedrock stream events as dicts, got {type(event).__name__}: "
                        "pass the response of converse_stream() or "
                        "invoke_model_with_response_stream(), not of invoke_model()/converse()"
                    )
                _raise_in_band_exception(event)
                text = self._read_event(self, event)
                if text:
                    yield text
        except BedrockStreamError:
            _close(self._events)  # nothing more will come: release the connection now
            raise
        except Exception as error:
            _close(self._events)
            mapped = bedrock_error(error)
            if mapped is None:
                raise
            raise mapped from error


class _EventReader(Protocol):
    def __call__(self, stream: TextStream, event: Mapping[str, Any], /) -> str | None: ...


def converse_text(response: Mapping[str, Any]) -> TextStream:
    """The text of a ``converse_stream`` response (any model Converse supports).

    ``stop_reason`` comes from ``messageStop``, ``usage`` and ``metrics`` from ``metadata``::

        response = client.converse_stream(modelId=MODEL_ID, messages=[...])
        text = converse_text(response)
        for delta in text:
            response_stream.write(delta)
        print(text.stop_reason, text.usage)
    """
    return TextStream(_events_of(response, "stream", "converse_stream"), _read_converse_event)


def invoke_text(response: Mapping[str, Any]) -> TextStream:
    """The text of an ``invoke_model_with_response_stream`` response.

    Reads the JSON in each ``chunk.bytes`` in the native shape of the model family: Anthropic
    Claude Messages (``content_block_delta``/``text_delta``, ``message_delta``), Amazon Nova
    (``contentBlockDelta``, ``messageStop``, ``metadata``) and Meta Llama (``generation``,
    ``stop_reason``). Bedrock's ``amazon-bedrock-invocationMetrics`` fill ``usage`` and
    ``metrics``. Chunks of other shapes are skipped.
    """
    return TextStream(
        _events_of(response, "body", "invoke_model_with_response_stream"), _read_chunk
    )


def bedrock_error(error: BaseException) -> BedrockStreamError | None:
    """``error`` as a ``BedrockStreamError`` if it is a Bedrock service error, else ``None``.

    Recognises botocore's ``EventStreamError``/``ClientError`` by duck typing (their
    ``.response["Error"]["Code"]``), so this module never imports botocore.
    """
    if isinstance(error, BedrockStreamError):
        return error
    response = getattr(error, "response", None)
    if not isinstance(response, Mapping):
        return None
    details = response.get("Error")
    if not isinstance(details, Mapping) or not details.get("Code"):
        return None
    return BedrockStreamError(str(details["Code"]), str(details.get("Message") or ""))


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
            _close(self._source)
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


def _close(source: object) -> None:
    close = getattr(source, "close", None)
    if callable(close):
        close()


def _events_of(response: Mapping[str, Any], key: str, operation: str) -> Iterable[Any]:
    if not isinstance(response, Mapping) or key not in response:
        raise TypeError(f"expected the response of {operation}(), a dict with {key!r}")
    events = response[key]
    if isinstance(events, str | bytes) or not hasattr(events, "__iter__"):
        raise TypeError(
            f"response[{key!r}] is {type(events).__name__}, not an event stream: "
            f"pass the response of {operation}()"
        )
    return events  # type: ignore[no-any-return]


def _raise_in_band_exception(event: Mapping[str, Any]) -> None:
    for code in STREAM_EXCEPTIONS.intersection(event):
        details = event[code] if isinstance(event[code], Mapping) else {}
        status = details.get("originalStatusCode")
        raise BedrockStreamError(
            code,
            str(details.get("message") or details.get("Message") or ""),
            original_status_code=status if isinstance(status, int) else None,
            original_message=details.get("originalMessage"),
        )


def _read_converse_event(stream: TextStream, event: Mapping[str, Any]) -> str | None:
    """One ConverseStreamOutput event; the Nova native chunks have the same shapes."""
    if "contentBlockDelta" in event:
        delta = event["contentBlockDelta"].get("delta") or {}
        text = delta.get("text")
        return text if isinstance(text, str) else None
    if "messageStop" in event:
        stream.stop_reason = event["messageStop"].get("stopReason")
    elif "metadata" in event:
        metadata = event["metadata"]
        usage = metadata.get("usage") or {}
        stream.input_tokens = usage.get("inputTokens", stream.input_tokens)
        stream.output_tokens = usage.get("outputTokens", stream.output_tokens)
        stream.metrics.update(metadata.get("metrics") or {})
    return None


def _read_chunk(stream: TextStream, event: Mapping[str, Any]) -> str | None:
    """One ResponseStream event: ``{"chunk": {"bytes": b'<model-native JSON>'}}``."""
    chunk = event.get("chunk")
    if not isinstance(chunk, Mapping) or "bytes" not in chunk:
        return None
    raw = chunk["bytes"]
    try:
        body = json.loads(raw)
    except ValueError as error:
        raise ValueError(f"a Bedrock chunk is not JSON: {raw[:80]!r}") from error
    if not isinstance(body, Mapping):
        return None
    metrics = body.get("amazon-bedrock-invocationMetrics")
    text: str | None
    if "type" in body:
        text = _read_anthropic(stream, body)
    elif "generation" in body:
        text = _read_llama(stream, body)
    else:
        text = _read_converse_event(stream, body)  # Amazon Nova: Converse-shaped chunks
    if isinstance(metrics, Mapping):
        # Bedrock's own count, added to the last chunk of every model family: authoritative.
        stream.input_tokens = metrics.get("inputTokenCount", stream.input_tokens)
        stream.output_tokens = metrics.get("outputTokenCount", stream.output_tokens)
        stream.metrics.update(metrics)
    return text


def _read_anthropic(stream: TextStream, body: Mapping[str, Any]) -> str | None:
    """Anthropic Claude Messages API streaming events, as Bedrock relays them."""
    kind = body["type"]
    if kind == "content_block_delta":
        delta = body.get("delta") or {}
        # thinking_delta, signature_delta and input_json_delta are not answer text.
        if delta.get("type") == "text_delta" and isinstance(delta.get("text"), str):
            return str(delta["text"])
    elif kind == "message_start":
        usage = (body.get("message") or {}).get("usage") or {}
        stream.input_tokens = usage.get("input_tokens", stream.input_tokens)
        stream.output_tokens = usage.get("output_tokens", stream.output_tokens)
    elif kind == "message_delta":
        stream.stop_reason = (body.get("delta") or {}).get("stop_reason") or stream.stop_reason
        stream.output_tokens = (body.get("usage") or {}).get("output_tokens", stream.output_tokens)
    elif kind == "error":
        error = body.get("error") or {}
        raise BedrockStreamError(str(error.get("type") or "error"), str(error.get("message", "")))
    return None


def _read_llama(stream: TextStream, body: Mapping[str, Any]) -> str | None:
    """Meta Llama native chunks: ``generation`` text, counts, ``stop_reason`` on the last."""
    if body.get("prompt_token_count") is not None:
        stream.input_tokens = body["prompt_token_count"]
    if body.get("generation_token_count") is not None:
        stream.output_tokens = body["generation_token_count"]
    if body.get("stop_reason"):
        stream.stop_reason = body["stop_reason"]
    text = body.get("generation")
    return text if isinstance(text, str) else None

"""Events in, buffered results out: JSON exactly as the managed Python runtime reads and writes it.

Results are encoded by awslambdaric's encoder (simplejson, Decimal and NaN handling) rather than
a re-derivation. awslambdaric picks ``ensure_ascii`` from ``AWS_EXECUTION_ENV``, which Lambda
sets only on managed runtimes; this runtime always encodes as the managed python3.12+ runtimes
do (UTF-8 as is), since that is what users moving from them expect.

Start-up cost decides the rest. ``simplejson`` imports ``decimal`` and ``re`` (~40 M
instructions, about a third of a cold start), so:

- events are decoded by the C scanner of the standard library's ``json`` (``_json``, no ``re``),
  which accepts exactly what ``simplejson.loads`` accepts apart from three cases it refuses and
  hands to ``simplejson``: a byte-order mark, ``NaN``/``Infinity`` (simplejson 3.19+ refuses
  them), and anything else it does not parse. So a decoded event, and the message of a
  ``Runtime.UnmarshalError``, are simplejson's;
- the encoder is imported by ``preload_encoder()`` at init for a buffered handler (it answers every
  invocation through it, so that is not work saved, only moved) and on first use otherwise (a
  streaming handler needs it only to report an error);
- each result goes through the encoder's C core (``c_make_encoder``) built once with the very
  arguments ``JSONEncoder.iterencode`` passes it on every call, instead of rebuilding it per
  call: the same bytes for ~20,000 fewer instructions per invocation.
"""

from __future__ import annotations

import _thread
from _json import make_scanner

from lambda_streaming.api.errors import FaultError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable


def _refuse_constant(name: str) -> object:
    raise ValueError(name)  # NaN, Infinity: simplejson decides (and refuses them)


class _ScannerContext:
    """The settings ``_json.make_scanner`` reads: simplejson's ``loads`` defaults."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    parse_constant = staticmethod(_refuse_constant)


_scan = make_scanner(_ScannerContext)  # type: ignore[arg-type]  # typeshed wants a scanner
_WHITESPACE = " \t\n\r"  # JSON's, the only whitespace either decoder skips


def unmarshal_event(body: bytes, content_type: str) -> object:
    """The event as the handler receives it: parsed JSON, or raw bytes for other types."""
    if content_type != "application/json":
        return body
    try:
        text = body.decode()
        start = len(text) - len(text.lstrip(_WHITESPACE))
        event, end = _scan(text, start)
        if end == len(text) or not text[end:].strip(_WHITESPACE):
            return event
    except Exception:  # StopIteration, ValueError, RecursionError ...: simplejson decides
        pass
    return _slow_loads(body)


def _slow_loads(body: bytes) -> object:
    import simplejson

    try:
        return simplejson.loads(body)
    except Exception as error:  # simplejson raises several types; all mean "not JSON"
        raise FaultError(
            f"Unable to unmarshal input: {error}", error_type="Runtime.UnmarshalError"
        ) from None


def marshal_result(result: object) -> tuple[bytes, str]:
    """The response body and its content type for a buffered handler's return value."""
    if isinstance(result, bytes):
        return result, "application/unknown"
    try:
        encoded = (_encode or _load_encoder())(result)
    except Exception as error:  # TypeError, ValueError, RecursionError, ... from user objects
        raise FaultError(
            f"Unable to marshal response: {error}", error_type="Runtime.MarshalError"
        ) from None
    return encoded.encode("utf-8"), "application/json"


def preload_encoder() -> None:
    """Import the encoder now (at init), not on the first invocation."""
    if _encode is None:
        _load_encoder()


_encode: Callable[[object], str] | None = None


def _load_encoder() -> Callable[[object], str]:
    global _encode  # noqa: PLW0603  # set once, on first use
    _encode = _managed_runtime_encoder()
    return _encode


def _managed_runtime_encoder() -> Callable[[object], str]:
    import decimal

    import simplejson
    from awslambdaric.lambda_runtime_marshaller import Encoder
    from simplejson import encoder as simplejson_encoder

    class ManagedRuntimeEncoder(Encoder):  # type: ignore[misc]  # awslambdaric is untyped
        def __init__(self) -> None:
            simplejson.JSONEncoder.__init__(
                self, use_decimal=False, ensure_ascii=False, allow_nan=True
            )

    encoder = ManagedRuntimeEncoder()
    make_encoder = simplejson_encoder.c_make_encoder
    if make_encoder is None:  # simplejson without its C speedups
        return encoder.encode  # type: ignore[no-any-return]
    markers: dict[int, object] = {}
    key_memo: dict[object, str] = {}
    # JSONEncoder.iterencode's call, argument for argument (simplejson 4.3.0, pinned; a
    # function's own simplejson may shadow it, hence the fallback below).
    try:
        iterencode = make_encoder(
            markers if encoder.check_circular else None,
            encoder.default,
            simplejson_encoder.encode_basestring,
            encoder.indent,
            encoder.key_separator,
            encoder.item_separator,
            encoder.sort_keys,
            encoder.skipkeys,
            encoder.allow_nan,
            key_memo,
            encoder.use_decimal,
            encoder.namedtuple_as_object,
            encoder.tuple_as_array,
            53 if encoder.bigint_as_string else encoder.int_as_string_bitcount,
            encoder.item_sort_key,
            encoder.encoding,
            encoder.for_json,
            encoder.ignore_nan,
            decimal.Decimal,
            encoder.iterable_as_array,
        )
    except TypeError:  # another simplejson whose C core takes other arguments
        return encoder.encode  # type: ignore[no-any-return]
    # One encoding at a time may use the shared markers and memo (threads in concurrent mode
    # take the plain path meanwhile).
    lock = _thread.allocate_lock()
    plain = encoder.encode

    def encode(result: object) -> str:
        if isinstance(result, str) or not lock.acquire(blocking=False):
            return plain(result)  # type: ignore[no-any-return]
        try:
            return "".join(iterencode(result, 0))
        finally:
            markers.clear()  # belt and braces: the C encoder unwinds its markers on errors
            key_memo.clear()
            lock.release()

    return encode

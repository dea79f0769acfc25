"""HTTP/1.1 bytes the runtime sends to the Lambda Runtime API, as pure functions.

Sans-IO: every function takes values and returns ``bytes``; nothing here touches a socket, so
the framing can be property-tested against an independent parser (tests use h11). The I/O lives
in ``runtime_api``. The byte layout follows the Lambda custom-runtime docs, "Response streaming"
(docs/lambda-streaming-protocol.md §1.3-1.5 in the shared notes).
"""

from __future__ import annotations

from _json import encode_basestring, make_encoder
from binascii import b2a_base64

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

CRLF = b"\r\n"

# Trailer names Lambda reads after the last chunk of a streamed response.
ERROR_TYPE_TRAILER = "Lambda-Runtime-Function-Error-Type"
ERROR_BODY_TRAILER = "Lambda-Runtime-Function-Error-Body"

# "To attach trailing headers, the runtime must set the Trailer header value at the beginning of
# the HTTP request" (Lambda docs). Declared on every streamed response, since an error may come
# at any time.
STREAMING_HEADERS = (
    ("Lambda-Runtime-Function-Response-Mode", "streaming"),
    ("Transfer-Encoding", "chunked"),
    ("Trailer", f"{ERROR_TYPE_TRAILER}, {ERROR_BODY_TRAILER}"),
)

HTTP_INTEGRATION_CONTENT_TYPE = "application/vnd.awslambda.http-integration-response"
# The JSON prelude and the body are separated by exactly eight NUL bytes.
PRELUDE_DELIMITER = b"\x00" * 8
# API Gateway requires the delimiter "within the first 16KB of stream data".
MAX_PRELUDE_BYTES = 16 * 1024 - len(PRELUDE_DELIMITER)

LAST_CHUNK = b"0\r\n\r\n"


def request_head(
    method: str, target: str, host: str, headers: Iterable[tuple[str, str]] = ()
) -> bytes:
    """The request line and header block, ending with the blank line."""
    lines = [f"{method} {target} HTTP/1.1", f"Host: {host}"]
    lines.extend(f"{name}: {value}" for name, value in headers)
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


# Size lines of small chunks, made once each: token-sized writes repeat a few sizes, and
# formatting the line is a good part of a chunk's own cost. Bounded: at most 1024 entries.
SIZE_LINES: dict[int, bytes] = {}
_CACHED_SIZES = 1024


def chunk_size_line(size: int) -> bytes:
    """``<size in hex>\r\n``, the line that opens an HTTP chunk."""
    line = SIZE_LINES.get(size)
    if line is None:
        line = b"%X\r\n" % size
        if size < _CACHED_SIZES:
            SIZE_LINES[size] = line
    return line


def chunk_frame(data: bytes | bytearray | memoryview) -> tuple[bytes | bytearray | memoryview, ...]:
    """The pieces of one HTTP chunk carrying ``data``: size line, data, CRLF.

    Returned as separate buffers so the caller can send them in one ``sendmsg`` without copying
    a large chunk. Empty data gives no chunk at all: ``0\r\n`` is the last-chunk marker, and
    writing it for an empty write would end the message early (h11's ``ChunkedWriter`` guards
    the same edge).
    """
    size = len(data)
    if not size:
        return ()
    return (chunk_size_line(size), data, CRLF)


def last_chunk(trailers: Iterable[tuple[str, str]] = ()) -> bytes:
    """The terminating zero-size chunk, with optional trailer fields."""
    fields = b"".join(f"{name}: {value}\r\n".encode("latin-1") for name, value in trailers)
    return b"0\r\n" + fields + CRLF


def error_trailers(error_type: str, payload: Mapping[str, object]) -> tuple[tuple[str, str], ...]:
    """Trailer fields reporting a failure after the first body byte.

    The body is standard base64 (with padding) of compact JSON: a trailer value may hold neither
    CR nor LF, and Lambda decodes it with Go's ``base64.StdEncoding``.
    """
    body = compact_json(payload).encode()
    return (
        (ERROR_TYPE_TRAILER, error_type),
        (ERROR_BODY_TRAILER, b2a_base64(body, newline=False).decode("ascii")),
    )


def http_prelude(metadata: Mapping[str, object]) -> bytes:
    """The HTTP-integration prelude: compact JSON status/headers/cookies + 8 NUL bytes.

    JSON escapes U+0000 as ``\\u0000``, so the JSON itself can never contain the delimiter.
    """
    encoded = compact_json(metadata).encode()
    if len(encoded) > MAX_PRELUDE_BYTES:
        raise ValueError(
            f"the HTTP response metadata is {len(encoded)} bytes of JSON; Lambda's limit is "
            f"{MAX_PRELUDE_BYTES} (16 KiB with the delimiter). Send fewer or shorter headers."
        )
    return encoded + PRELUDE_DELIMITER


def compact_json(value: object) -> str:
    """``json.dumps(value, separators=(",", ":"), ensure_ascii=False)``, byte for byte.

    Built from the C encoder ``json.dumps`` itself calls, with the arguments it passes: the
    ``json`` package imports ``re`` (~27 M instructions of cold start), its C core does not.
    """
    encode = make_encoder(
        {}, _not_serializable, encode_basestring, None, ":", ",", False, False, True
    )
    return "".join(encode(value, 0))


def _not_serializable(value: object) -> object:
    # json.JSONEncoder.default's error, word for word.
    raise TypeError(f"Object of type {value.__class__.__name__} is not JSON serializable")

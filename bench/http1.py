"""HTTP/1.1 pieces the bench's servers and clients share: blocking readers and canned replies.

Owns: reading a request (or response) head, a ``Content-Length`` body, and a chunked body chunk
by chunk with each chunk's arrival time (``time.monotonic_ns()``, CLOCK_MONOTONIC: the clock the
handlers stamp their writes with). Written for the bench, independently of ``runtime/``.
"""

import io
import time
from collections.abc import Iterator
from dataclasses import dataclass

HEAD_BYTES = 64  # bytes kept from the start of each chunk: the handlers' timestamps live there
PRELUDE_TYPE = "application/vnd.awslambda.http-integration-response"
DELIMITER = b"\0" * 8
ACCEPTED = (
    b"HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: 15\r\n\r\n"
    b'{"status":"OK"}'
)
MAX_LINE = 65536


@dataclass(slots=True)
class Chunk:
    arrival_ns: int
    size: int
    head: bytes  # the first HEAD_BYTES bytes
    prelude: bool = False  # part of an http-integration prelude (JSON + 8 NUL), not payload


def reply(status: int, body: bytes) -> bytes:
    return (
        b"HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
        % (status, len(body))
        + body
    )


def parse_header(line: bytes, into: dict[str, str], *, lower: bool = True) -> None:
    name, _, value = line.decode("latin-1").partition(":")
    into[name.strip().lower() if lower else name.strip()] = value.strip()


def read_head(rfile: io.BufferedReader) -> tuple[str, str, dict[str, str]] | None:
    """Read one request (or response) head: (method, target, lower-case headers), None at EOF."""
    line = rfile.readline(MAX_LINE + 1)
    while line in (b"\r\n", b"\n"):
        line = rfile.readline(MAX_LINE + 1)
    if not line:
        return None
    first, second, _ = line.decode("latin-1").split(" ", 2)
    headers: dict[str, str] = {}
    while True:
        line = rfile.readline(MAX_LINE + 1)
        if line in (b"\r\n", b"\n", b""):
            return first, second, headers
        parse_header(line, headers)


def read_body(rfile: io.BufferedReader, headers: dict[str, str]) -> bytes:
    return rfile.read(int(headers.get("content-length", "0")))


def iter_chunks(
    rfile: io.BufferedReader, trailers: dict[str, str], *, prelude: bool = False
) -> Iterator[Chunk]:
    """Yield each chunk of a chunked body as it completes; fill ``trailers`` at the end.

    Only the first HEAD_BYTES of a chunk are kept (a 64 KiB chunk is read into a scratch
    buffer), except while an http-integration prelude is open: it is kept whole until its
    8-NUL delimiter, and those chunks are marked ``prelude``.
    """
    scratch = memoryview(bytearray(1 << 20))
    seen = b""
    while True:
        line = rfile.readline(1024)
        if not line:
            raise ValueError("body cut off")
        size = int(line.split(b";", 1)[0], 16)
        if size == 0:
            while True:
                line = rfile.readline(MAX_LINE + 1)
                if line in (b"\r\n", b"\n", b""):
                    return
                parse_header(line, trailers, lower=False)
        if prelude or size <= HEAD_BYTES:
            data = rfile.read(size)
            head = data[:HEAD_BYTES]
        else:
            head = rfile.read(HEAD_BYTES)
            left = size - HEAD_BYTES
            while left:
                got = rfile.readinto(scratch[: min(left, len(scratch))])
                if not got:
                    raise ValueError("body cut off")
                left -= got
        if rfile.read(2) != b"\r\n":
            raise ValueError("chunk not followed by CRLF")
        arrival = time.monotonic_ns()
        if prelude:
            seen += data
            yield Chunk(arrival, size, head, prelude=True)
            prelude = DELIMITER not in seen
        else:
            yield Chunk(arrival, size, head)

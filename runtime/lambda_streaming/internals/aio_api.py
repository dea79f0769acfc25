"""The Runtime API client on asyncio, for concurrent mode: one connection per worker.

A worker long-polls ``GET /next`` on its own kept-alive connection, then answers on that same
connection: a buffered ``POST /response`` or ``/error``, or a streamed ``POST /response`` whose
chunks ``ConnectionWire`` writes without awaiting (so ``ResponseStream.write`` stays a plain
call inside an async handler). After a streamed answer the connection is closed, as the docs
ask ("close the underlying connection after it has successfully written the response",
https://docs.aws.amazon.com/lambda/latest/dg/runtimes-custom.html#runtimes-custom-response-streaming),
and the next ``/next`` opens a fresh one. Bytes on the wire are ``wire.py``'s, the same as the
classic client's; statuses are returned, never raised, as in ``runtime_api.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket

from .http_connection import (
    MAX_HEAD_LINE,
    ClosedBeforeAnswer,
    HttpConnectionError,
    HttpResponse,
    resolve,
)
from .runtime_api import EARLY_ANSWER_SECONDS, AnswerLost, RuntimeApiError
from .wire import LAST_CHUNK, chunk_frame, last_chunk, request_head

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable

    Buffer = bytes | bytearray | memoryview


class Endpoint:
    """``AWS_LAMBDA_RUNTIME_API`` resolved once (every worker's connections go there)."""

    __slots__ = ("address", "host", "port")

    def __init__(self, address: str) -> None:
        host, sep, port = address.rpartition(":")
        if not sep or not port.isdigit():
            raise RuntimeApiError(f"AWS_LAMBDA_RUNTIME_API={address!r} is not host:port")
        try:
            _, (self.host, self.port) = resolve(host.strip("[]"), int(port))
        except OSError as error:
            raise RuntimeApiError(
                f"cannot resolve AWS_LAMBDA_RUNTIME_API={address}: {error}"
            ) from None
        self.address = address


class AsyncConnection:
    """One worker's connection, opened on first use and again after each close."""

    __slots__ = ("_endpoint", "_reader", "_writer")

    def __init__(self, endpoint: Endpoint) -> None:
        self._endpoint = endpoint
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def exchange(
        self,
        method: str,
        path: str,
        headers: Iterable[tuple[str, str]],
        body: bytes,
        *,
        timeout: float | None,
    ) -> HttpResponse:
        """Send one request and read its answer; a GET whose kept-alive connection the server
        had closed is sent once more on a fresh one (RFC 9112, section 9.3.1)."""
        head = request_head(method, path, self._endpoint.address, headers)
        if self._reader is not None and self._reader.at_eof():
            self.close()  # the server closed this idle keep-alive connection meanwhile
        reused = self._writer is not None
        try:
            await self._send((head, body) if body else (head,))
            return await self.read_response(timeout)
        except (ClosedBeforeAnswer, ConnectionResetError, BrokenPipeError):
            self.close()
            if not reused or method != "GET":
                raise
            await self._send((head,))
            return await self.read_response(timeout)

    def start_stream(self, path: str, headers: Iterable[tuple[str, str]]) -> ConnectionWire:
        """A streamed ``POST`` on this (open) connection; the head leaves with the first chunk."""
        if self._writer is None or self._writer.is_closing():
            raise AnswerLost(f"POST {path} (streaming): the connection is closed", None)
        return ConnectionWire(
            self, path, request_head("POST", path, self._endpoint.address, headers)
        )

    async def read_response(self, timeout: float | None) -> HttpResponse:
        if self._reader is None:
            raise HttpConnectionError("no request was sent on this connection")
        async with asyncio.timeout(timeout):
            response = await _read_response(self._reader)
        if response.headers.get("connection", "").lower() == "close":
            self.close()
        return response

    def write_now(self, buffers: Iterable[Buffer]) -> bool:
        """Queue bytes without waiting; False if the connection is gone."""
        writer = self._writer
        if writer is None or writer.is_closing():
            return False
        writer.writelines(buffers)
        return True

    async def drain(self) -> None:
        """Wait while the kernel's send buffer is full (backpressure from Lambda)."""
        if self._writer is not None and not self._writer.is_closing():
            with contextlib.suppress(OSError):  # the reply (or its absence) tells what happened
                await self._writer.drain()

    def close(self) -> None:
        writer, self._writer, self._reader = self._writer, None, None
        if writer is not None:
            writer.close()

    async def _send(self, buffers: tuple[bytes, ...]) -> None:
        if self._writer is None or self._writer.is_closing():
            await self._open()
        assert self._writer is not None
        self._writer.writelines(buffers)
        await self._writer.drain()

    async def _open(self) -> None:
        self.close()
        self._reader, self._writer = await asyncio.open_connection(
            self._endpoint.host, self._endpoint.port
        )
        sock = self._writer.get_extra_info("socket")
        if sock is not None:  # each chunk leaves at once (no Nagle delay)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class ConnectionWire:
    """The transport of one streamed response for ``response.Response``: ``send`` and
    ``finish`` queue bytes and return at once; ``reply()`` then awaits Lambda's answer."""

    __slots__ = ("_connection", "_head", "_path", "lost")

    def __init__(self, connection: AsyncConnection, path: str, head: bytes) -> None:
        self._connection = connection
        self._path = path
        self._head: bytes | None = head
        self.lost = False

    def send(self, data: Buffer) -> None:
        frame = chunk_frame(data)
        if frame or self._head is not None:
            self._write(frame)

    def finish(self, trailers: tuple[tuple[str, str], ...]) -> None:
        self._write((last_chunk(trailers) if trailers else LAST_CHUNK,))

    def abort(self) -> None:
        self.lost = True
        self._connection.close()

    async def reply(self, timeout: float) -> HttpResponse | AnswerLost:
        """Lambda's answer to the whole stream (or to its first part, when it cut it short)."""
        wait = EARLY_ANSWER_SECONDS if self.lost else timeout
        try:
            return await self._connection.read_response(wait)
        except TimeoutError:
            if self.lost:
                return AnswerLost(f"POST {self._path} (streaming): the connection broke", None)
            raise RuntimeApiError(
                f"POST {self._path} (streaming): no answer before the invocation's deadline"
            ) from None
        except (OSError, HttpConnectionError) as error:
            return AnswerLost(f"POST {self._path} (streaming) failed: {error}", None)
        finally:
            self._connection.close()

    def _write(self, frame: tuple[Buffer, ...]) -> None:
        if self._head is not None:
            frame = (self._head, *frame)
            self._head = None
        if not self._connection.write_now(frame):
            # Lambda stops reading a response it refuses (size cap, deadline) and may close;
            # its status, if it sent one, is read by reply().
            self.lost = True
            raise AnswerLost(f"POST {self._path} (streaming): the Runtime API closed it", None)


async def _read_response(reader: asyncio.StreamReader) -> HttpResponse:
    try:
        first = await reader.readline()
    except ConnectionResetError:
        first = b""
    if not first:
        raise ClosedBeforeAnswer("the connection closed before the answer began")
    status = _status(first)
    headers: dict[str, str] = {}
    while line := _line(await reader.readline()):
        name, sep, value = line.partition(b":")
        if not sep:
            raise HttpConnectionError(f"malformed response header line {line[:80]!r}")
        headers[name.strip().lower().decode("latin-1")] = value.strip().decode("latin-1")
    if "chunked" in headers.get("transfer-encoding", "").lower():
        body = await _read_chunked(reader)
    elif (length := headers.get("content-length")) is not None:
        if not length.isdigit():
            raise HttpConnectionError(f"malformed Content-Length {length!r}")
        body = await _exact(reader, int(length))
    else:
        body = await reader.read()
        headers["connection"] = "close"
    return HttpResponse(status, headers, body)


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    out = bytearray()
    while True:
        size_field = _line(await reader.readline()).split(b";", 1)[0].strip()
        try:
            size = int(size_field, 16)
        except ValueError:
            raise HttpConnectionError(f"malformed chunk size {size_field[:20]!r}") from None
        if size == 0:
            while _line(await reader.readline()):
                pass
            return bytes(out)
        out += await _exact(reader, size)
        _line(await reader.readline())


async def _exact(reader: asyncio.StreamReader, size: int) -> bytes:
    try:
        return await reader.readexactly(size)
    except asyncio.IncompleteReadError as error:
        raise HttpConnectionError(
            f"the connection closed after {len(error.partial)} of {size} body bytes"
        ) from None


def _line(line: bytes) -> bytes:
    if not line.endswith(b"\n"):
        if len(line) >= MAX_HEAD_LINE:
            raise HttpConnectionError("response header line too long")
        raise HttpConnectionError("the connection closed in the middle of a response")
    return line.rstrip(b"\r\n")


def _status(line: bytes) -> int:
    parts = _line(line).split(None, 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or not parts[1].isdigit():
        raise HttpConnectionError(f"malformed status line {line[:80]!r}")
    return int(parts[1])

"""A sendmsg that stops short still delivers every byte, in order (the slow path of a chunk)."""

from __future__ import annotations

import socket
import threading

from lambda_streaming.internals.http_connection import HttpConnection
from lambda_streaming.internals.runtime_api import StreamingResponse


def test_short_sendmsg_is_completed_in_order() -> None:
    sender, receiver = socket.socketpair()
    sender.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    # With a timeout, CPython sends once per writability wake-up: sendmsg returns short
    # whenever the small buffer fills, which is what a signal can also cause on Lambda.
    sender.settimeout(10)
    received = bytearray()

    def read_slowly() -> None:
        while data := receiver.recv(1000):
            received.extend(data)

    reader = threading.Thread(target=read_slowly)
    reader.start()
    connection = HttpConnection(socket.AF_UNIX, ("", 0))
    connection._sock = sender  # an already connected socket: no Runtime API needed here
    buffers = (b"head-" * 1000, memoryview(bytes(range(256)) * 2000), b"-tail" * 1000)
    connection.send(*buffers)
    sender.close()
    reader.join(timeout=10)
    receiver.close()
    assert bytes(received) == b"".join(bytes(b) for b in buffers)


def test_short_sendmsg_of_a_stream_chunk_is_completed_in_order() -> None:
    # After the head, a stream's chunks go straight to its socket (the hot path): a short
    # sendmsg there must be completed from where it stopped, too.
    sender, receiver = socket.socketpair()
    sender.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    sender.settimeout(10)
    received = bytearray()

    def read_slowly() -> None:
        while data := receiver.recv(1000):
            received.extend(data)

    reader = threading.Thread(target=read_slowly)
    reader.start()
    connection = HttpConnection(socket.AF_UNIX, ("", 0))
    connection._sock = sender
    stream = StreamingResponse(connection, "/path", b"HEAD\r\n\r\n", 10.0)
    chunks = [b"first", bytes(range(256)) * 700, memoryview(b"z" * 100_000), b"last"]
    for chunk in chunks:
        stream.send(chunk)
    sender.close()
    reader.join(timeout=10)
    receiver.close()
    expected = b"HEAD\r\n\r\n" + b"".join(b"%X\r\n%s\r\n" % (len(c), bytes(c)) for c in chunks)
    assert bytes(received) == expected

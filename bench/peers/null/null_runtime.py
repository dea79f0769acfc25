"""The null sender: the least a Runtime API client can do, with the stdlib. The harness ceiling.

``python null_runtime.py buffered|streaming``. One keep-alive ``http.client`` connection for
``GET /next`` and buffered answers; streams go out on a second keep-alive connection with
``TCP_NODELAY``, one ``sendmsg`` per chunk (size line, data, CRLF: no copy). No context, no
error handling, no JSON encoder beyond a constant: what is left is the cost of the wire itself.
Scenarios are those of ../ours/streaming.py.
"""

import http.client
import json
import os
import socket
import sys
import time

HEAD = (
    "POST /2018-06-01/runtime/invocation/%s/response HTTP/1.1\r\nHost: %s\r\n"
    "Lambda-Runtime-Function-Response-Mode: streaming\r\nTransfer-Encoding: chunked\r\n"
    "Content-Type: application/octet-stream\r\n\r\n"
)
TRIVIAL = b'{"ok":true}'
TEXT = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def main() -> None:
    mode = sys.argv[1]
    api = os.environ["AWS_LAMBDA_RUNTIME_API"]
    host, port = api.rsplit(":", 1)
    control = http.client.HTTPConnection(api)
    stream = socket.create_connection((host, int(port)))
    stream.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    replies = stream.makefile("rb")
    while True:
        control.request("GET", "/2018-06-01/runtime/invocation/next")
        response = control.getresponse()
        request_id = response.getheader("Lambda-Runtime-Aws-Request-Id")
        event = json.loads(response.read())
        if mode == "buffered":
            path = f"/2018-06-01/runtime/invocation/{request_id}/response"
            control.request("POST", path, b'{"ok": true}')
            control.getresponse().read()
            continue
        head = (HEAD % (request_id, api)).encode()
        send = stream.sendmsg
        op = event["op"]
        if op == "trivial":
            send([head, b"%x\r\n" % len(TRIVIAL), TRIVIAL, b"\r\n"])
        elif op == "ticks":
            first = [head]  # the request head leaves with the first chunk
            size, pause = event["size"], event["sleep_ms"] / 1000
            for i in range(event["n"]):
                if i:
                    time.sleep(pause)
                line = (f'{{"i":{i},"t":"{time.monotonic_ns()}"}}').ljust(size - 1)
                data = line.encode() + b"\n"
                send([*first, b"%x\r\n" % len(data), data, b"\r\n"])
                first = []
        elif op == "tokens":
            first = [head]
            pieces = [(b"%x\r\n" % size, TEXT[:size]) for size in event["sizes"]]
            for i in range(event["n"]):
                size_line, data = pieces[i % len(pieces)]
                send([*first, size_line, data, b"\r\n"])
                first = []
        else:
            first = [head]
            block = b"x" * event["size"]
            size_line = b"%x\r\n" % len(block)
            for _ in range(event["n"]):
                _send_all(stream, [*first, size_line, block, b"\r\n"])
                first = []
        stream.sendall(b"0\r\n\r\n")
        _read_reply(replies)


def _send_all(sock: socket.socket, parts: list[bytes]) -> None:
    """sendmsg may send part of a large message: send the rest."""
    total = sum(len(part) for part in parts)
    sent = sock.sendmsg(parts)
    if sent < total:
        sock.sendall(b"".join(parts)[sent:])


def _read_reply(replies) -> None:  # a buffered socket reader
    length = 0
    replies.readline()
    while (line := replies.readline()) not in (b"\r\n", b""):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    replies.read(length)


if __name__ == "__main__":
    main()

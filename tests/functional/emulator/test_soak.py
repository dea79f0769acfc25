"""Soak: 200 concurrent clients of good and bad requests against one emulator, for a bounded
time; every answer is checked, and the emulator gives back what it took.

Bounded: 200 client threads, ``SOAK_SECONDS`` of traffic, 127.0.0.1 only. The emulator runs as
its own process (``python -m emulator``) so its RSS and thread count are its own. Good requests
are answered correctly (a 429 from a full pool is retried, as boto3 would, until it succeeds);
each bad one gets its status: 400 for a payload that is not JSON or malformed HTTP, 404 for an
unknown function, 408 for a head that never ends.
"""

import contextlib
import http.client
import json
import random
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from tests.functional.emulator.conftest import HANDLERS

REPO = Path(__file__).resolve().parents[3]
CLIENTS = 200
SOAK_SECONDS = 20.0
SANDBOXES = 8
WARM_UP_SECONDS = 5.0
INVOKE = "/2015-03-31/functions/function/invocations"
EMULATOR_ARGS = (
    *("--handler", "abuse_handlers.ok", "--port", "0", "--quiet"),
    *("--max-sandboxes", str(SANDBOXES), "--read-timeout", "1", "--max-connections", "512"),
)


def proc_status(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise AssertionError(f"no {field}")


class Soak:
    def __init__(self, port: int) -> None:
        self.port = port
        self.outcomes: Counter[str] = Counter()
        self.failures: list[str] = []
        self._lock = threading.Lock()

    def record(self, kind: str, problem: str | None) -> None:
        with self._lock:
            self.outcomes[kind] += 1
            if problem is not None and len(self.failures) < 20:
                self.failures.append(f"{kind}: {problem}")

    def request(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> tuple[int, bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request(method, path, body, headers or {})
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    # --- the kinds of request ------------------------------------------------------------
    def good_invoke(self, rng: random.Random) -> str | None:
        token = rng.randrange(1 << 30)
        for _ in range(200):  # a 429 (every sandbox busy) is retried, as SDKs do
            status, body = self.request("POST", INVOKE, json.dumps({"token": token}).encode())
            if status != 429:
                break
            time.sleep(rng.uniform(0.01, 0.05))
        if status != 200 or json.loads(body) != {"ok": True, "event": {"token": token}}:
            return f"{status} {body[:200]!r}"
        return None

    def good_url(self, rng: random.Random) -> str | None:
        token = str(rng.randrange(1 << 30))
        for _ in range(200):
            status, body = self.request("GET", f"/soak?token={token}")
            if status != 429:
                break
            time.sleep(rng.uniform(0.01, 0.05))
        if status != 200 or json.loads(body)["event"]["queryStringParameters"] != {"token": token}:
            return f"{status} {body[:200]!r}"
        return None

    def bad_json(self, rng: random.Random) -> str | None:
        status, body = self.request("POST", INVOKE, b"{not json")
        ok = status == 400 and b"InvalidRequestContentException" not in body  # type in header
        return None if ok else f"{status} {body[:200]!r}"

    def unknown_function(self, rng: random.Random) -> str | None:
        status, body = self.request("POST", "/2015-03-31/functions/nope/invocations", b"{}")
        return None if status == 404 else f"{status} {body[:200]!r}"

    def malformed_http(self, rng: random.Random) -> str | None:
        with socket.create_connection(("127.0.0.1", self.port), timeout=30) as sock:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nBad Header Line\r\n\r\n")
            answer = _read_all(sock)
        return None if answer.startswith(b"HTTP/1.1 400 ") else repr(answer[:200])

    def slow_head(self, rng: random.Random) -> str | None:
        with socket.create_connection(("127.0.0.1", self.port), timeout=30) as sock:
            sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\n")  # never finished
            answer = _read_all(sock)
        return None if answer.startswith(b"HTTP/1.1 408 ") else repr(answer[:200])

    def gone_mid_request(self, rng: random.Random) -> str | None:
        with socket.create_connection(("127.0.0.1", self.port), timeout=30) as sock:
            sock.sendall(b"POST " + INVOKE.encode() + b" HTTP/1.1\r\nContent-Length: 50\r\n\r\n{")
        return None  # nothing to check but that the emulator shrugs it off (see the end state)


def _read_all(sock: socket.socket) -> bytes:
    data = b""
    with contextlib.suppress(ConnectionResetError):
        while chunk := sock.recv(65536):
            data += chunk
    return data


def test_200_concurrent_clients_of_good_and_bad_requests(tmp_path: Path) -> None:
    log = tmp_path / "emulator.log"
    with log.open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "emulator", "--code", str(HANDLERS), *EMULATOR_ARGS],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=stderr,
        )
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline().decode().rsplit(":", 1)[1])
        soak = Soak(port)

        kinds: list[tuple[str, Callable[[random.Random], str | None], int]] = [
            ("good_invoke", soak.good_invoke, 30),
            ("good_url", soak.good_url, 30),
            ("bad_json", soak.bad_json, 10),
            ("unknown_function", soak.unknown_function, 10),
            ("malformed_http", soak.malformed_http, 10),
            ("slow_head", soak.slow_head, 5),
            ("gone_mid_request", soak.gone_mid_request, 5),
        ]
        names = [name for name, _, weight in kinds for _ in range(weight)]
        calls = {name: call for name, call, _ in kinds}

        def drive(seconds: float, first_seed: int) -> None:
            """``CLIENTS`` threads sending the mix for ``seconds``; every answer checked."""
            stop_at = time.monotonic() + seconds

            def client(seed: int) -> None:
                rng = random.Random(seed)
                while time.monotonic() < stop_at:
                    name = rng.choice(names)
                    try:
                        problem = calls[name](rng)
                    except Exception as error:  # a hang or reset is a failure of that request
                        problem = repr(error)
                    soak.record(name, problem)

            threads = [
                threading.Thread(target=client, args=(first_seed + n,)) for n in range(CLIENTS)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=seconds + 60)
            assert not any(thread.is_alive() for thread in threads), "a client hung"

        # Warm up with the same traffic: every sandbox started, the emulator's bounded records
        # full (each sandbox remembers its last 64 answered invocations), and the allocator's
        # per-thread arenas made for 200 concurrent clients. The baseline is that steady
        # state; growth past it over the soak is a leak.
        drive(WARM_UP_SECONDS, first_seed=10_000)
        time.sleep(2)  # kept-alive connections of the warm-up are closed by now
        rss_before = proc_status(process.pid, "VmRSS")
        threads_before = proc_status(process.pid, "Threads")

        drive(SOAK_SECONDS, first_seed=0)
        assert soak.failures == [], (soak.outcomes, soak.failures)
        assert all(soak.outcomes[name] > 0 for name in calls), soak.outcomes

        # What the emulator took, it gives back (idle connections close after 1 s).
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            threads_after = proc_status(process.pid, "Threads")
            rss_after = proc_status(process.pid, "VmRSS")
            if (
                abs(threads_after - threads_before) <= threads_before * 0.1
                and abs(rss_after - rss_before) <= rss_before * 0.1
            ):
                break
            time.sleep(0.5)
        print(
            f"soak: {sum(soak.outcomes.values())} requests {dict(soak.outcomes)}; "
            f"threads {threads_before} -> {threads_after}; "
            f"RSS {rss_before // 1024} -> {rss_after // 1024} MiB"
        )
        assert abs(threads_after - threads_before) <= threads_before * 0.1
        assert abs(rss_after - rss_before) <= rss_before * 0.1
    finally:
        process.terminate()
        process.wait(timeout=20)
        if process.stdout is not None:
            process.stdout.close()

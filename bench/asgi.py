"""ASGI on Lambda, side by side: one FastAPI app (bench/asgi_apps/app.py) three ways.

- ``asgi_handler``: ``lambda_streaming.asgi`` on our runtime, through the loopback Runtime API
  (``bench/rapi.py``), streaming;
- ``uvicorn``: the same app served by uvicorn directly (the HTTP-server floor), read by a
  client that timestamps each chunk as it is read;
- ``mangum``: Mangum on our runtime (buffered: the response is returned whole).

Per configuration: CPU per request (the server process's threads, ``/proc/PID/task/*/schedstat``),
time to first byte, per-chunk delay p50/p99 for a 20-chunk stream (arrival minus the
CLOCK_MONOTONIC stamp the app wrote into the chunk when it yielded it), and the cold start (spawn
to the first ``GET /next``, ``import fastapi`` and the app included; for uvicorn, spawn to
accepting connections). The adapter's own start-up cost is the cold start of ``ours`` minus that
of a module that only imports the app (``import_only``).

    .venv/bin/python -m bench.asgi [--requests 200] [--streams 30] [--cold 5]

Ratios only mean something within one run; the machine's load is printed with them.
"""

from __future__ import annotations

import argparse
import http.client
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.rapi import RuntimeApi, encode

REPO = Path(__file__).resolve().parent.parent
APPS = REPO / "bench" / "asgi_apps"
BOOTSTRAP = REPO / "runtime" / "bootstrap"


def event(path: str, query: str = "") -> dict[str, object]:
    """A Function URL event (payload 2.0) for ``GET path?query``."""
    return {
        "version": "2.0",
        "rawPath": path,
        "rawQueryString": query,
        "headers": {"host": "bench.lambda-url.us-east-1.on.aws", "x-forwarded-proto": "https"},
        "requestContext": {"http": {"method": "GET", "path": path, "sourceIp": "127.0.0.1"}},
        "isBase64Encoded": False,
    }


def cpu_ns(pid: int) -> int:
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            total += int((task / "schedstat").read_text().split()[0])
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class Runtime:
    """Our runtime (runtime/bootstrap) serving ``module.handler`` on a loopback Runtime API."""

    def __init__(self, module: str) -> None:
        self.api = RuntimeApi()
        env = {
            "PATH": os.environ["PATH"],
            "AWS_LAMBDA_RUNTIME_API": self.api.address,
            "_HANDLER": f"{module}.handler",
            "LAMBDA_TASK_ROOT": str(APPS),
            "AWS_LAMBDA_FUNCTION_NAME": "bench",
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1024",
            "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/bench",
            "AWS_LAMBDA_LOG_STREAM_NAME": "bench",
            "LAMBDA_STREAMING_PYTHON": sys.executable,
        }
        spawned = time.monotonic_ns()
        self.process = subprocess.Popen(
            [str(BOOTSTRAP)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        if not self.api.first_next.wait(60):
            self.close()
            raise RuntimeError(f"{module} never asked for an event")
        self.cold_start_ms = (self.api.first_next_ns - spawned) / 1e6

    def request(self, path: str, query: str = "") -> tuple[float, list[tuple[int, bytes]]]:
        """(TTFB in ms from dispatch, [(arrival ns, body bytes)] per payload chunk)."""
        invocation = self.api.invoke(encode(event(path, query)))
        if invocation.outcome != "response" or invocation.trailers:
            raise RuntimeError(f"{path} failed: {invocation.outcome} {invocation.head!r}")
        if invocation.streaming:
            chunks = [(c.arrival_ns, c.head) for c in invocation.payload_chunks()]
            first = chunks[0][0] if chunks else invocation.end_ns
        else:
            # Buffered (Mangum): everything arrives at once at the end; the Runtime API keeps
            # only the first bytes of a buffered body, so the chunks' stamps are not read.
            chunks, first = [], invocation.end_ns
        return (first - invocation.dispatch_ns) / 1e6, chunks

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(10)
        self.api.close()


class Uvicorn:
    """uvicorn serving the app directly, on a free loopback port."""

    def __init__(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        spawned = time.monotonic_ns()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "app:app", "--port", str(self.port),
             "--log-level", "warning", "--no-access-log"],
            cwd=APPS, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if self.process.poll() is not None or time.monotonic_ns() - spawned > 60e9:
                    raise RuntimeError("uvicorn did not start") from None
                time.sleep(0.002)
        self.cold_start_ms = (time.monotonic_ns() - spawned) / 1e6
        self.connection = http.client.HTTPConnection("127.0.0.1", self.port)

    def request(self, path: str, query: str = "") -> tuple[float, list[tuple[int, bytes]]]:
        sent = time.monotonic_ns()
        self.connection.request("GET", f"{path}?{query}" if query else path)
        response = self.connection.getresponse()
        chunks = []
        while piece := response.read1(65536):
            chunks.append((time.monotonic_ns(), piece))
        return (chunks[0][0] - sent) / 1e6, chunks

    def close(self) -> None:
        self.connection.close()
        self.process.terminate()
        self.process.wait(10)


def measure(server: Runtime | Uvicorn, requests: int, streams: int) -> dict[str, float]:
    for _ in range(5):  # warm: first-request imports and caches are not what we compare
        server.request("/json")
        server.request("/ticks", "count=20&interval=0.002")
    pid = server.process.pid
    before = cpu_ns(pid)
    ttfb = [server.request("/json")[0] for _ in range(requests)]
    json_cpu_us = (cpu_ns(pid) - before) / requests / 1e3
    delays: list[float] = []
    first_chunk: list[float] = []
    before = cpu_ns(pid)
    for _ in range(streams):
        first, chunks = server.request("/ticks", "count=20&interval=0.01")
        first_chunk.append(first)
        for arrival, data in chunks:
            delays.extend((arrival - int(s)) / 1e6 for s in data.split() if s.isdigit())
    stream_cpu_us = (cpu_ns(pid) - before) / streams / 1e3
    return {
        "cold start ms": server.cold_start_ms,
        "CPU/JSON request µs": json_cpu_us,
        "CPU/20-chunk stream µs": stream_cpu_us,
        "TTFB p50 ms (JSON)": statistics.median(ttfb),
        "first chunk of a 20 x 10 ms stream p50 ms": statistics.median(first_chunk),
        "chunk delay p50 ms": percentile(delays, 0.5) if delays else float("nan"),
        "chunk delay p99 ms": percentile(delays, 0.99) if delays else float("nan"),
    }


def cold_starts(module: str, count: int) -> float:
    times = []
    for _ in range(count):
        runtime = Runtime(module)
        times.append(runtime.cold_start_ms)
        runtime.close()
    return statistics.median(times)


def load() -> str:
    one, _, _ = os.getloadavg()
    return f"load average {one:.2f} on {os.cpu_count()} CPUs"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200, help="JSON requests per server")
    parser.add_argument("--streams", type=int, default=30, help="20-chunk streams per server")
    parser.add_argument("--cold", type=int, default=5, help="cold starts per module")
    args = parser.parse_args()
    print(f"# bench.asgi: {load()} at start (not idle if well above 0)")
    results: dict[str, dict[str, float]] = {}
    for name, make in (("asgi_handler", lambda: Runtime("ours")), ("uvicorn", Uvicorn),
                       ("mangum (buffered)", lambda: Runtime("mangum_app"))):  # fmt: skip
        server = make()
        try:
            results[name] = measure(server, args.requests, args.streams)
        finally:
            server.close()
    ours_cold = cold_starts("ours", args.cold)
    import_cold = cold_starts("import_only", args.cold)
    metrics = list(results["asgi_handler"])
    print("| metric | " + " | ".join(results) + " | asgi_handler / uvicorn |")
    print("|---|" + "---|" * (len(results) + 1))
    for metric in metrics:
        row = [results[name][metric] for name in results]
        ratio = row[0] / row[1] if row[1] else float("nan")
        print(f"| {metric} | " + " | ".join(f"{v:.3f}" for v in row) + f" | {ratio:.2f}x |")
    print(
        f"\nadapter start-up: cold start with asgi_handler {ours_cold:.1f} ms, importing the app "
        f"only {import_cold:.1f} ms: {ours_cold - import_cold:+.1f} ms (medians of {args.cold})"
    )
    print(f"# {load()} at end")


if __name__ == "__main__":
    main()

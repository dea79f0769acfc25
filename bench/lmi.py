"""Many streams in one Lambda Managed Instances environment: ours against the peers.

``python -m bench.lmi`` (``make bench-lmi``). One runtime process tree (the environment) gets
``AWS_LAMBDA_MAX_CONCURRENCY`` = C and C invocations at once; each handler reads a fake model
that paces ``--tokens`` tokens ``--pace-ms`` apart and passes them on. The Runtime API is the
emulator's (an independent implementation, threaded, in this process). Per peer and C:

- aggregate tokens/s (all tokens / wall time of the batch);
- time to first byte p50/p99 (invocation handed out -> first response byte at the Runtime API);
- gap between chunks p50/p99, against the model's pacing (streaming peers);
- RSS of the environment: the peak sum over the runtime's process tree, and its PSS after the
  batch (shared pages split between the processes sharing them: fair to forked workers);
- CPU-seconds per 1,000 streams: user+system time of the tree during the batch;
- failed or truncated streams (every body is checked byte for byte).

Peers: ours (async handler, one event loop), awslambdaric 4.x (its LMI mode: one forked process
per concurrent invocation, buffered only), the Node.js client 4.x (worker threads, streams).
The machine's load is printed with the results: numbers from a busy machine are labelled so.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench.peers import NODE, NODE_RIC, PROJECT_PYTHON, REPO
from emulator.invocation import Invocation, InvocationRequest, ResponseChunk, ResponseEnd
from emulator.runtime_api import RuntimeApi

HANDLERS = Path(__file__).resolve().parent / "peers" / "lmi"
RESULTS = Path(__file__).resolve().parent / "results" / "lmi.json"
# The runtimes' own output, for when a peer fails (bench/results/ is not committed).
LOG = subprocess.DEVNULL if os.environ.get("BENCH_LMI_QUIET") else None
TOKEN = 8  # bytes per token: "t0000001" style, so a body is checked by length and content


class FakeModel:
    """A loopback HTTP server streaming ``tokens`` fixed-size tokens, ``pace`` s apart, chunked.

    Each token's send time is scheduled from the stream's start, so a late token does not delay
    the next ones: the pacing is the model's, whatever the reader does.
    """

    def __init__(self, pace: float) -> None:
        self.pace = pace
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        threading.Thread(target=self._run, name="fake-model", daemon=True).start()
        self._ready.wait(10)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(
            asyncio.start_server(self._serve, "127.0.0.1", 0, backlog=1024)
        )
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        tokens = int(head.split(b"tokens=", 1)[1].split(None, 1)[0].split(b"&")[0])
        writer.write(
            b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ntransfer-encoding: chunked\r\n"
            b"connection: close\r\n\r\n"
        )
        start = self._loop.time()
        for index in range(tokens):
            delay = start + index * self.pace - self._loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            writer.write(b"8\r\n" + token(index) + b"\r\n")
            await writer.drain()
        writer.write(b"0\r\n\r\n")
        await writer.drain()
        writer.close()


def token(index: int) -> bytes:
    return b"t%07d" % index


@dataclass
class Result:
    peer: str
    concurrency: int
    tokens_per_s: float
    ttfb_p50_ms: float
    ttfb_p99_ms: float
    gap_p50_ms: float | None
    gap_p99_ms: float | None
    rss_mib: float
    pss_mib: float
    cpu_s_per_1000: float
    failed: int
    workers_ready: int


def command(peer: str, api: str, concurrency: int, model: str) -> tuple[list[str], dict[str, str]]:
    python = str(PROJECT_PYTHON if PROJECT_PYTHON.exists() else sys.executable)
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "AWS_LAMBDA_RUNTIME_API": api,
        "LAMBDA_TASK_ROOT": str(HANDLERS),
        "AWS_LAMBDA_FUNCTION_NAME": "bench-lmi",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "2048",
        "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/bench-lmi",
        "AWS_LAMBDA_LOG_STREAM_NAME": "2026/01/01/[$LATEST]bench-lmi",
        "AWS_LAMBDA_MAX_CONCURRENCY": str(concurrency),
        "AWS_LAMBDA_INITIALIZATION_TYPE": "lambda-managed-instances",
        "AWS_LAMBDA_LOG_FORMAT": "JSON",
        "AWS_REGION": "us-east-1",
        "BENCH_MODEL_URL": model,
    }
    if peer == "ours":
        env |= {"_HANDLER": "ours_lmi.handler", "LAMBDA_STREAMING_PYTHON": python}
        return [str(REPO / "runtime" / "bootstrap")], env
    if peer == "awslambdaric":
        env["_HANDLER"] = "ric_lmi.handler"
        return [python, "-m", "awslambdaric", "ric_lmi.handler"], env
    env["_HANDLER"] = "node_lmi.handler"
    # Its default, 8 worker threads per CPU, each polling /next; never more than C of them
    # (with C = 1 a second poll would be a second invocation at once).
    env["AWS_LAMBDA_NODEJS_WORKER_COUNT"] = str(min(concurrency, 8 * (os.cpu_count() or 1)))
    return [str(NODE), str(NODE_RIC)], env


def tree(root: int) -> list[int]:
    """``root`` and every descendant, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, ()))
    return found


def rss_and_cpu(root: int) -> tuple[float, float]:
    """(RSS MiB, CPU seconds) summed over the process tree."""
    ticks = os.sysconf("SC_CLK_TCK")
    rss = cpu = 0.0
    for pid in tree(root):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        cpu += (int(fields[11]) + int(fields[12])) / ticks
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                rss += int(line.split()[1]) / 1024
    return rss, cpu


def pss(root: int) -> float:
    """Proportional set size of the tree in MiB: shared pages counted once in all (the fair
    figure for forked workers, whose RSS sum counts every shared page once per process)."""
    total = 0.0
    for pid in tree(root):
        try:
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue
        for line in rollup.splitlines():
            if line.startswith("Pss:"):
                total += int(line.split()[1]) / 1024
    return total


def percentile(values: list[float], q: float) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def wait_ready(api: RuntimeApi, process: subprocess.Popen[bytes], peer: str, want: int) -> int:
    """Wait until ``want`` workers poll ``/next``, or their number holds still for 1 s (the
    Node client polls once per worker thread and takes more as it dispatches)."""
    give_up, seen, since = time.monotonic() + 60, -1, time.monotonic()
    while time.monotonic() < give_up:
        if process.poll() is not None:
            raise RuntimeError(f"{peer} exited with {process.returncode} at start")
        ready = api.free_workers()
        if ready >= want or (ready and ready == seen and time.monotonic() - since > 1.0):
            return ready
        if ready != seen:
            seen, since = ready, time.monotonic()
        time.sleep(0.05)
    return api.free_workers()


def run_one(peer: str, concurrency: int, tokens: int, model: FakeModel) -> Result:
    api = RuntimeApi(
        name="bench-lmi-api",
        exit_status=lambda _wait: None,
        on_init_error=lambda error: print(f"  init error: {error.message}", file=sys.stderr),
        max_concurrency=concurrency,
    )
    api.start()
    argv, env = command(peer, api.address, concurrency, model.url)
    process = subprocess.Popen(
        argv,
        env=env,
        cwd=HANDLERS,
        stdout=LOG,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        ready = wait_ready(api, process, peer, concurrency)
        time.sleep(0.5)  # let start-up CPU settle before the batch is measured
        _, cpu_before = rss_and_cpu(process.pid)
        payload = json.dumps({"tokens": tokens}).encode()
        invocations = [
            Invocation(
                InvocationRequest(payload=payload, streaming=True),
                function_arn="arn:aws:lambda:us-east-1:123456789012:function:bench-lmi",
                timeout=120,
                max_response_bytes=1 << 24,
            )
            for _ in range(concurrency)
        ]
        arrivals: list[list[tuple[float, int]]] = [[] for _ in invocations]
        bodies = [bytearray() for _ in invocations]
        ends: list[bool] = [False] * concurrency

        def read(index: int) -> None:
            for event in invocations[index].events():
                if isinstance(event, ResponseChunk):
                    arrivals[index].append((time.monotonic(), len(event.data)))
                    bodies[index] += event.data
                elif isinstance(event, ResponseEnd):
                    ends[index] = event.error is None

        readers = [
            threading.Thread(target=read, args=(i,), daemon=True) for i in range(concurrency)
        ]
        for thread in readers:
            thread.start()
        peak_rss = 0.0
        started = time.monotonic()
        for invocation in invocations:
            api.deliver(invocation)
        while any(thread.is_alive() for thread in readers):
            peak_rss = max(peak_rss, rss_and_cpu(process.pid)[0])
            if time.monotonic() - started > 120:
                break
            time.sleep(0.1)
        wall = time.monotonic() - started
        rss_after, cpu_after = rss_and_cpu(process.pid)
        pss_after = pss(process.pid)
        peak_rss = max(peak_rss, rss_after)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        api.stop()
    expected = b"".join(token(i) for i in range(tokens))
    # A buffered answer is a JSON string; a streamed one is the raw tokens.
    failed = sum(
        1
        for body, ok in zip(bodies, ends, strict=True)
        if not ok or bytes(body) not in (expected, json.dumps(expected.decode()).encode())
    )
    ttfb = [(a[0][0] - started) * 1000 for a in arrivals if a]
    gaps = [
        (later[0] - earlier[0]) * 1000
        for chunks in arrivals
        for earlier, later in itertools.pairwise(chunks)
    ]
    return Result(
        peer=peer,
        concurrency=concurrency,
        tokens_per_s=concurrency * tokens / wall,
        ttfb_p50_ms=percentile(ttfb, 50) if ttfb else float("nan"),
        ttfb_p99_ms=percentile(ttfb, 99) if ttfb else float("nan"),
        gap_p50_ms=percentile(gaps, 50) if len(gaps) > 1 else None,
        gap_p99_ms=percentile(gaps, 99) if len(gaps) > 1 else None,
        rss_mib=peak_rss,
        pss_mib=pss_after,
        cpu_s_per_1000=(cpu_after - cpu_before) / concurrency * 1000,
        failed=failed,
        workers_ready=ready,
    )


def table(results: list[Result], pace_ms: float) -> str:
    lines = [
        f"| peer | C | tokens/s | TTFB p50 / p99 ms | gap p50 / p99 ms (pace {pace_ms:g}) "
        "| RSS MiB (tree, peak) | PSS MiB (after) | CPU s / 1000 streams | failed |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        gap = "buffered" if r.gap_p50_ms is None else f"{r.gap_p50_ms:.1f} / {r.gap_p99_ms:.1f}"
        lines.append(
            f"| {r.peer} | {r.concurrency} | {r.tokens_per_s:,.0f} | "
            f"{r.ttfb_p50_ms:,.0f} / {r.ttfb_p99_ms:,.0f} | {gap} | {r.rss_mib:,.1f} | "
            f"{r.pss_mib:,.1f} | "
            f"{r.cpu_s_per_1000:,.1f} | {r.failed} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.lmi", description=__doc__.split("\n")[0])
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 16, 64, 256])
    parser.add_argument("--peers", nargs="+", default=["ours", "awslambdaric", "node"])
    parser.add_argument("--tokens", type=int, default=200)
    parser.add_argument("--pace-ms", type=float, default=30.0)
    args = parser.parse_args(argv)
    peers = [p for p in args.peers if p != "node" or (NODE.exists() and NODE_RIC.exists())]
    skipped = sorted(set(args.peers) - set(peers))
    if skipped:
        print(f"not installed (run bench/setup_peers.sh): {', '.join(skipped)}", file=sys.stderr)
    load = os.getloadavg()
    print(
        f"load average before the run: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} "
        f"on {os.cpu_count()} CPUs" + (" (BUSY: numbers not idle)" if load[0] > 0.5 else "")
    )
    model = FakeModel(args.pace_ms / 1000)
    results = []
    for concurrency in args.concurrency:
        for peer in peers:
            print(f"  {peer} x {concurrency} ...", file=sys.stderr, flush=True)
            try:
                results.append(run_one(peer, concurrency, args.tokens, model))
            except RuntimeError as error:
                print(f"  {peer} x {concurrency}: {error}", file=sys.stderr)
    print(table(results, args.pace_ms))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    record: dict[str, Any] = {
        "load_before": load,
        "cpus": os.cpu_count(),
        "tokens": args.tokens,
        "pace_ms": args.pace_ms,
        "results": [asdict(r) for r in results],
    }
    RESULTS.write_text(json.dumps(record, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

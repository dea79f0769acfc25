"""The measurements, one function per phase; each returns this repetition's values for a peer.

Counts come from ``Counts`` (the full bench or the seconds-long smoke mode). Every phase starts
its own runtime process(es) on a fresh Runtime API (``session.py``).
"""

import contextlib
import math
import re
import statistics
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

from bench.http1 import Chunk
from bench.peers import BUFFERED, STREAMING, Peer
from bench.session import Session

MIB = 1024 * 1024
TRIVIAL = {"op": "trivial"}
_STAMP = re.compile(rb'"t":"(\d+)"')


@dataclass(frozen=True)
class Counts:
    reps: int = 10  # interleaved repetitions; every figure is a median over them
    cold: int = 5  # cold starts per peer per repetition
    warmup: int = 200  # invocations before any warm measurement
    buffered: int = 2000  # trivial buffered invocations measured per repetition
    segments: int = 5  # streaming: segments of `segment` invocations (10,000 for the growth)
    segment: int = 2000
    ticks_invocations: int = 30  # ticks: invocations of `ticks` chunks, `tick_ms` apart
    ticks: int = 20
    tick_size: int = 64
    tick_ms: float = 10
    big: int = 10  # 50 MiB streams per repetition
    big_chunks: int = 800
    big_chunk: int = 64 * 1024
    tokens_invocations: int = 30  # streams of `tokens` token-sized chunks, back to back
    tokens: int = 200
    token_sizes: tuple[int, ...] = (5, 12, 23, 50, 8, 31, 17, 44, 6, 26)  # bytes, cycled
    e2e_requests: int = 20  # through the emulator's Function URL
    e2e_ticks_invocations: int = 10
    server_invocations: int = 500  # per peer per Runtime API server (servers.py)
    growth_invocations: int = 100_000  # once per run, unique trace ids (growth.py)
    server: str = "selector"  # the Runtime API server of every other phase (rapi.SERVERS)


SMOKE = Counts(
    reps=1,
    cold=2,
    warmup=5,
    buffered=50,
    segments=2,
    segment=25,
    ticks_invocations=2,
    ticks=5,
    tick_ms=1,
    big=2,
    big_chunks=16,
    tokens_invocations=2,
    tokens=20,
    e2e_requests=2,
    e2e_ticks_invocations=2,
    server_invocations=10,
    growth_invocations=200,
)


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q / 100 * len(ordered))) - 1]


def buffered(peers: list[Peer], counts: Counts, log: IO[bytes]) -> dict[str, dict[str, float]]:
    """Trivial buffered invocations; the peers' processes take turns, a slice each."""
    values: dict[str, dict[str, float]] = {peer.name: {} for peer in peers}
    with sessions_of(peers, BUFFERED, log, counts.server) as sessions:
        for session in sessions:
            session.invoke(TRIVIAL)
            values[session.peer.name]["rss_idle_buffered_mib"] = session.memory_kib("VmRSS") / 1024
            session.run(TRIVIAL, counts.warmup)
        cpu = dict.fromkeys(values, 0)
        part = counts.buffered // counts.segments
        for _ in range(counts.segments):
            for session in sessions:
                start = session.cpu_ns()
                session.run(TRIVIAL, part)
                cpu[session.peer.name] += session.cpu_ns() - start
    for name, used in cpu.items():
        values[name]["cpu_buffered_us"] = used / (part * counts.segments) / 1e3
    return values


def streaming(peers: list[Peer], counts: Counts, log: IO[bytes]) -> dict[str, dict[str, float]]:
    """Trivial streams (CPU, RSS growth), ticks (TTFB, per-chunk latency), 50 MiB streams.

    All peers' processes are up together and take turns: a segment of trivial streams each,
    then one ticks invocation each, then one 50 MiB stream each, so a busy moment of the
    machine hits every peer alike.
    """
    values: dict[str, dict[str, float]] = {peer.name: {} for peer in peers}
    with sessions_of(peers, STREAMING, log, counts.server) as sessions:
        rss_before = {}
        for session in sessions:
            session.invoke(TRIVIAL)
            values[session.peer.name]["rss_idle_streaming_mib"] = session.memory_kib("VmRSS") / 1024
            session.run(TRIVIAL, counts.warmup)
            rss_before[session.peer.name] = session.memory_kib("VmRSS")
        cpu: dict[str, list[float]] = {name: [] for name in values}
        for _ in range(counts.segments):
            for session in sessions:
                start = session.cpu_ns()
                session.run(TRIVIAL, counts.segment)
                cpu[session.peer.name].append((session.cpu_ns() - start) / counts.segment / 1e3)
        for session in sessions:
            name = session.peer.name
            values[name]["cpu_streaming_us"] = statistics.median(cpu[name])
            growth = session.memory_kib("VmRSS") - rss_before[name]
            values[name]["rss_growth_mib"] = growth / 1024
        for name, figures in ticks(sessions, counts).items():
            values[name].update(figures)
        for name, figures in tokens(sessions, counts).items():
            values[name].update(figures)
        for name, figures in big(sessions, counts).items():
            values[name].update(figures)
    return values


@contextlib.contextmanager
def sessions_of(
    peers: list[Peer], mode: str, log: IO[bytes] | None, server: str = "selector"
) -> Iterator[list[Session]]:
    sessions: list[Session] = []
    try:
        for peer in peers:
            sessions.append(Session(peer, mode, log, server=server))
        yield sessions
    finally:
        for session in sessions:
            session.close()


def ticks(sessions: list[Session], counts: Counts) -> dict[str, dict[str, float]]:
    params = {
        "op": "ticks",
        "n": counts.ticks,
        "size": counts.tick_size,
        "sleep_ms": counts.tick_ms,
    }
    first_bytes: dict[str, list[float]] = {session.peer.name: [] for session in sessions}
    latencies: dict[str, list[float]] = {session.peer.name: [] for session in sessions}
    for _ in range(counts.ticks_invocations):
        for session in sessions:
            name = session.peer.name
            invocation = session.invoke(params)
            chunks = invocation.payload_chunks()
            if len(chunks) != counts.ticks:
                raise ValueError(f"{name}: {len(chunks)} chunks for {counts.ticks} writes")
            first_bytes[name].append((chunks[0].arrival_ns - invocation.dispatch_ns) / 1e6)
            latencies[name] += chunk_latencies_ms(chunks[1:])
    return {
        name: {
            "ttfb_ms": statistics.median(first_bytes[name]),
            "chunk_p50_ms": percentile(latencies[name], 50),
            "chunk_p99_ms": percentile(latencies[name], 99),
        }
        for name in latencies
    }


def chunk_latencies_ms(chunks: list[Chunk]) -> list[float]:
    """Write -> arrival of chunks whose first bytes carry the writer's monotonic time."""
    latencies = []
    for chunk in chunks:
        stamp = _STAMP.search(chunk.head)
        if stamp is None:
            raise ValueError(f"chunk without a timestamp: {chunk.head!r}")
        latencies.append((chunk.arrival_ns - int(stamp.group(1))) / 1e6)
    return latencies


def tokens(sessions: list[Session], counts: Counts) -> dict[str, dict[str, float]]:
    """Streams of token-sized chunks (5-50 B, as a model's text arrives), written back to back:
    the per-write cost dominates. Payload bytes are checked; a runtime may coalesce writes."""
    sizes = counts.token_sizes
    params = {"op": "tokens", "n": counts.tokens, "sizes": list(sizes)}
    total = sum(sizes[i % len(sizes)] for i in range(counts.tokens))
    rates: dict[str, list[float]] = {session.peer.name: [] for session in sessions}
    cpu: dict[str, list[float]] = {session.peer.name: [] for session in sessions}
    for _ in range(counts.tokens_invocations):
        for session in sessions:
            name = session.peer.name
            start = session.cpu_ns()
            invocation = session.invoke(params)
            cpu[name].append((session.cpu_ns() - start) / counts.tokens / 1e3)
            if invocation.size != total:
                raise ValueError(f"{name}: {invocation.size} token bytes of {total}")
            rates[name].append(counts.tokens / ((invocation.end_ns - invocation.dispatch_ns) / 1e9))
    return {
        name: {
            "tokens_cpu_us": statistics.median(cpu[name]),
            "tokens_per_s": statistics.median(rates[name]),
        }
        for name in rates
    }


def big(sessions: list[Session], counts: Counts) -> dict[str, dict[str, float]]:
    params = {"op": "big", "n": counts.big_chunks, "size": counts.big_chunk}
    total = counts.big_chunks * counts.big_chunk
    before: dict[str, int] = {}
    rates: dict[str, list[float]] = {}
    for session in sessions:
        before[session.peer.name] = session.memory_kib("VmRSS")
        rates[session.peer.name] = []
        session.reset_peak()
    for _ in range(counts.big):
        for session in sessions:
            invocation = session.invoke(params)
            if invocation.size != total:
                raise ValueError(f"{session.peer.name}: {invocation.size} bytes of {total}")
            seconds = (invocation.end_ns - invocation.dispatch_ns) / 1e9
            rates[session.peer.name].append(total / MIB / seconds)
    results = {}
    for session in sessions:
        name = session.peer.name
        peak = session.memory_kib("VmHWM")
        results[name] = {
            "throughput_mib_s": statistics.median(rates[name]),
            "rss_peak_mib": peak / 1024,
            "rss_peak_over_idle_mib": (peak - before[name]) / 1024,
        }
    return results

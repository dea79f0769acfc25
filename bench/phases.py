"""The measurements, one function per phase; each returns this repetition's values for a peer.

Counts come from ``Counts`` (the full bench or the seconds-long smoke mode). Every phase starts
its own runtime process(es) on a fresh Runtime API (``session.py``).
"""

import math
import re
import statistics
from dataclasses import dataclass
from typing import IO

from bench.peers import BUFFERED, STREAMING, Peer
from bench.session import Session

MIB = 1024 * 1024
TRIVIAL = {"op": "trivial"}
_STAMP = re.compile(rb'"t":"(\d+)"')


@dataclass(frozen=True)
class Counts:
    reps: int = 5  # interleaved repetitions; every figure is a median over them
    cold: int = 6  # cold starts per peer per repetition
    warmup: int = 200  # invocations before any warm measurement
    buffered: int = 2000  # trivial buffered invocations measured per repetition
    segments: int = 5  # streaming: segments of `segment` invocations (10,000 for the growth)
    segment: int = 2000
    ticks_invocations: int = 20  # ticks: invocations of `ticks` chunks, `tick_ms` apart
    ticks: int = 20
    tick_size: int = 64
    tick_ms: int = 10
    big: int = 10  # 50 MiB streams per repetition
    big_chunks: int = 800
    big_chunk: int = 64 * 1024
    e2e_requests: int = 20  # through the emulator's Function URL
    e2e_ticks_invocations: int = 10


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
    e2e_requests=2,
    e2e_ticks_invocations=2,
)


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q / 100 * len(ordered))) - 1]


def cold_start_ms(peer: Peer, log: IO[bytes]) -> float:
    """Spawn -> first ``GET /next``; the process is killed at once."""
    mode = peer.modes[0]
    with Session(peer, mode, log) as session:
        return session.cold_start_ns / 1e6


def buffered(peer: Peer, counts: Counts, log: IO[bytes]) -> dict[str, float]:
    with Session(peer, BUFFERED, log) as session:
        session.invoke(TRIVIAL)
        idle = session.memory_kib("VmRSS")
        session.run(TRIVIAL, counts.warmup)
        before = session.cpu_ns()
        session.run(TRIVIAL, counts.buffered)
        cpu = session.cpu_ns() - before
    return {
        "cpu_buffered_us": cpu / counts.buffered / 1e3,
        "rss_idle_buffered_mib": idle / 1024,
    }


def streaming(peer: Peer, counts: Counts, log: IO[bytes]) -> dict[str, float]:
    """Trivial streams (CPU, RSS growth), ticks (TTFB, per-chunk latency), 50 MiB streams."""
    values: dict[str, float] = {}
    with Session(peer, STREAMING, log) as session:
        session.invoke(TRIVIAL)
        values["rss_idle_streaming_mib"] = session.memory_kib("VmRSS") / 1024
        session.run(TRIVIAL, counts.warmup)
        rss_before = session.memory_kib("VmRSS")
        cpu = []
        for _ in range(counts.segments):
            start = session.cpu_ns()
            session.run(TRIVIAL, counts.segment)
            cpu.append((session.cpu_ns() - start) / counts.segment / 1e3)
        values["cpu_streaming_us"] = statistics.median(cpu)
        values["rss_growth_mib"] = (session.memory_kib("VmRSS") - rss_before) / 1024
        values.update(ticks(session, counts))
        values.update(big(session, counts))
    return values


def ticks(session: Session, counts: Counts) -> dict[str, float]:
    params = {
        "op": "ticks",
        "n": counts.ticks,
        "size": counts.tick_size,
        "sleep_ms": counts.tick_ms,
    }
    first_bytes, latencies = [], []
    for _ in range(counts.ticks_invocations):
        invocation = session.invoke(params)
        chunks = invocation.payload_chunks()
        if len(chunks) != counts.ticks:
            raise ValueError(f"{session.peer.name}: {len(chunks)} chunks for {counts.ticks} writes")
        first_bytes.append((chunks[0].arrival_ns - invocation.dispatch_ns) / 1e6)
        latencies += chunk_latencies_ms(chunks[1:])
    return {
        "ttfb_ms": statistics.median(first_bytes),
        "chunk_p50_ms": percentile(latencies, 50),
        "chunk_p99_ms": percentile(latencies, 99),
    }


def chunk_latencies_ms(chunks: list) -> list[float]:  # type: ignore[type-arg]
    """Write -> arrival of chunks whose first bytes carry the writer's monotonic time."""
    latencies = []
    for chunk in chunks:
        stamp = _STAMP.search(chunk.head)
        if stamp is None:
            raise ValueError(f"chunk without a timestamp: {chunk.head!r}")
        latencies.append((chunk.arrival_ns - int(stamp.group(1))) / 1e6)
    return latencies


def big(session: Session, counts: Counts) -> dict[str, float]:
    params = {"op": "big", "n": counts.big_chunks, "size": counts.big_chunk}
    total = counts.big_chunks * counts.big_chunk
    before = session.memory_kib("VmRSS")
    session.reset_peak()
    rates = []
    for _ in range(counts.big):
        invocation = session.invoke(params)
        if invocation.size != total:
            raise ValueError(f"{session.peer.name}: {invocation.size} bytes of {total}")
        rates.append(total / MIB / ((invocation.end_ns - invocation.dispatch_ns) / 1e9))
    peak = session.memory_kib("VmHWM")
    return {
        "throughput_mib_s": statistics.median(rates),
        "rss_peak_mib": peak / 1024,
        "rss_peak_over_idle_mib": (peak - before) / 1024,
    }

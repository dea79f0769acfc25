"""The same streams on each Runtime API server (``rapi.SERVERS``), to show how much the
server's way of taking connections moves TTFB and runtime CPU.

A runtime that opens a fresh connection per streamed response (ours, at the time of writing,
and hayate) and one that keeps it alive (Node's client, the null sender) meet different costs
on different servers: ``spare`` has a thread waiting in ``accept()`` before the connection
arrives, ``thread`` starts one after, ``selector`` takes both in one event loop. Trivial
one-chunk streams, the peers' processes up together and taking turns:

- ``ttfb_trivial_<server>_ms``: dispatch -> the first payload byte (median);
- ``cpu_streaming_<server>_us``: the runtime's CPU per invocation.
"""

import statistics
from typing import IO

from bench.peers import STREAMING, Peer
from bench.phases import TRIVIAL, Counts, sessions_of
from bench.rapi import SERVERS

SLICES = 5


def by_server(peers: list[Peer], counts: Counts, log: IO[bytes]) -> dict[str, dict[str, float]]:
    chosen = [peer for peer in peers if STREAMING in peer.modes]
    values: dict[str, dict[str, float]] = {peer.name: {} for peer in chosen}
    for server in SERVERS:
        with sessions_of(chosen, STREAMING, log, server) as sessions:
            for session in sessions:
                session.run(TRIVIAL, counts.warmup)
            ttfb: dict[str, list[float]] = {name: [] for name in values}
            cpu = dict.fromkeys(values, 0)
            part = max(1, counts.server_invocations // SLICES)
            for _ in range(SLICES):
                for session in sessions:
                    start = session.cpu_ns()
                    for _ in range(part):
                        invocation = session.invoke(TRIVIAL)
                        first = invocation.payload_chunks()[0].arrival_ns
                        ttfb[session.peer.name].append((first - invocation.dispatch_ns) / 1e6)
                    cpu[session.peer.name] += session.cpu_ns() - start
        for name, figures in values.items():
            figures[f"ttfb_trivial_{server}_ms"] = statistics.median(ttfb[name])
            figures[f"cpu_streaming_{server}_us"] = cpu[name] / (part * SLICES) / 1e3
    return values

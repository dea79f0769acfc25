"""RSS growth over a long run of buffered invocations, each with its own trace id.

A runtime that keeps something per invocation (glibc's ``setenv`` keeps every value a process
ever put into its environment, so ``os.environ["_X_AMZN_TRACE_ID"] = ...`` grows by a trace
header each time) only shows it when every invocation brings a new value, as Lambda's do:
the Runtime API here sends a fresh ``Lambda-Runtime-Trace-Id`` on every ``/next``.

The peers' processes take turns, a slice each, so a busy moment of the machine hits every peer
alike. Growth is ``VmRSS`` after the run minus ``VmRSS`` after the warm-up; run once per bench
(not per repetition): 100,000 invocations take tens of seconds per peer.
"""

from typing import IO

from bench.peers import BUFFERED, Peer
from bench.phases import TRIVIAL, Counts, sessions_of

PEERS = ("ours", "awslambdaric", "null")  # the null sender is the control: it keeps nothing
SLICES = 20


def rss_growth(peers: list[Peer], counts: Counts, log: IO[bytes]) -> dict[str, dict[str, float]]:
    chosen = [peer for peer in peers if peer.name in PEERS and BUFFERED in peer.modes]
    before: dict[str, int] = {}
    with sessions_of(chosen, BUFFERED, log, counts.server) as sessions:
        for session in sessions:
            session.run(TRIVIAL, counts.warmup)
            before[session.peer.name] = session.memory_kib("VmRSS")
        part = max(1, counts.growth_invocations // SLICES)
        for _ in range(counts.growth_invocations // part):
            for session in sessions:
                session.run(TRIVIAL, part)
        return {
            session.peer.name: {
                "rss_growth_long_mib": (session.memory_kib("VmRSS") - before[session.peer.name])
                / 1024
            }
            for session in sessions
        }

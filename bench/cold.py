"""Cold starts: spawn -> first ``GET /next``, and spawn -> the first answer's last byte.

Each start queues a trivial event before the process is spawned, as Lambda has the event
ready when a cold environment asks for it, so the process runs straight from ``exec`` through
its first answer. For every mode a peer has (buffered, streaming):

- ``first_answer_<mode>_ms``: spawn -> the last byte of the first response (for a stream, its
  terminating chunk): what the first user of a cold function waits for, less the network;

and for the peer's first mode only, as before:

- ``cold_start_ms``: spawn -> the first ``GET /next``;
- ``first_invoke_ms``: that first event's dispatch -> its response read, where work put off
  from init to the first event shows.
"""

from typing import IO

from bench.peers import Peer
from bench.phases import TRIVIAL
from bench.session import Session


def cold_start(peer: Peer, log: IO[bytes], server: str = "selector") -> dict[str, float]:
    values: dict[str, float] = {}
    for mode in peer.modes:
        with Session(peer, mode, log, server=server, first_event=TRIVIAL) as session:
            assert session.first is not None
            first = session.wait(session.first, TRIVIAL)
            values[f"first_answer_{mode}_ms"] = (first.end_ns - session.spawned_ns) / 1e6
            if mode == peer.modes[0]:
                values["cold_start_ms"] = session.cold_start_ns / 1e6
                values["first_invoke_ms"] = (first.end_ns - first.dispatch_ns) / 1e6
    return values

"""Run the benchmark: ``python -m bench`` (``make bench``), or ``--smoke`` (``make bench-smoke``).

The full bench needs the peers (``bench/setup_peers.sh``, which ``make bench`` runs first). It
interleaves the peers run by run: within each repetition every phase visits every peer, in an
order rotated from one repetition to the next, and cold starts alternate peer by peer. Every
reported figure is the median over the repetitions.

The smoke mode (seconds, what ``make test`` runs) uses our runtime and the null sender only,
with tiny counts, and draws no chart: it proves that every metric is still produced.
"""

import argparse
import datetime
import json
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

from bench import e2e, phases, report
from bench.peers import BENCH, BUFFERED, PEERS, STREAMING, Peer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="seconds: ours + null, tiny counts")
    parser.add_argument("--reps", type=int, help="repetitions (default: 5; smoke: 1)")
    parser.add_argument("--peers", help="comma-separated subset of " + ",".join(PEERS))
    parser.add_argument("--out", type=Path, default=BENCH / "results", help="JSON/Markdown dir")
    parser.add_argument("--markdown", type=Path, help="also write the report here")
    parser.add_argument("--chart", type=Path, help="draw the PNG chart here")
    parser.add_argument("--idle", default="unknown", help="was the machine otherwise idle?")
    args = parser.parse_args(argv)

    counts = phases.SMOKE if args.smoke else phases.Counts()
    if args.reps:
        counts = phases.Counts(**{**counts.__dict__, "reps": args.reps})
    names = args.peers.split(",") if args.peers else ["ours", "null"] if args.smoke else list(PEERS)
    peers = [PEERS[name] for name in names]
    missing = [peer.name for peer in peers if not peer.installed()]
    if missing:
        parser.error(f"peers not installed: {missing}; run bench/setup_peers.sh (or make bench)")

    args.out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with (args.out / "runtimes.log").open("wb") as log:
        samples = measure(peers, counts, log)
    results = report.summarize(samples, counts, peers, smoke=args.smoke, idle=args.idle)
    results["wall_s"] = round(time.monotonic() - started, 1)
    (args.out / "latest.json").write_text(json.dumps(results, indent=2) + "\n")
    markdown = report.markdown(results)
    (args.out / "latest.md").write_text(markdown)
    if args.markdown:
        args.markdown.write_text(markdown)
    if args.chart:
        report.chart(args.out / "latest.json", args.chart)
    print(markdown)
    return 0


def measure(peers: list[Peer], counts: phases.Counts, log) -> dict:  # type: ignore[no-untyped-def,type-arg]
    """samples[metric][peer] = one value per repetition (cold starts: every start)."""
    samples: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for rep in range(counts.reps):
        order = peers[rep % len(peers) :] + peers[: rep % len(peers)]
        stamp = datetime.datetime.now(datetime.UTC).strftime("%H:%M:%S")
        print(
            f"[{stamp}] repetition {rep + 1}/{counts.reps}: {[p.name for p in order]}",
            file=sys.stderr,
            flush=True,
        )
        for _ in range(counts.cold):
            for peer in order:
                for metric, value in phases.cold_start(peer, log).items():
                    samples[metric][peer.name].append(value)
        for phase, mode in ((phases.buffered, BUFFERED), (phases.streaming, STREAMING)):
            for name, figures in phase([p for p in order if mode in p.modes], counts, log).items():
                for metric, value in figures.items():
                    samples[metric][name].append(value)
        if any(peer.name == "ours" for peer in peers):
            direct = samples["chunk_p50_ms"]["ours"][-1]
            for metric, value in e2e.run(counts, direct).items():
                samples[metric]["ours"].append(value)
    return {
        metric: {peer: list(values) for peer, values in by_peer.items()}
        for metric, by_peer in samples.items()
    }


def median(values: list[float]) -> float:
    return statistics.median(values)


if __name__ == "__main__":
    sys.exit(main())

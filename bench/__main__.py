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
import os
import resource
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import IO, Any

from bench import cold, e2e, growth, icount, phases, report, servers
from bench.peers import BENCH, BUFFERED, PEERS, STREAMING, Peer
from bench.rapi import SERVERS

IDLE_THRESHOLD = 0.1  # CPU-seconds per second used by other processes: above it, not idle


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="seconds: ours + null, tiny counts")
    parser.add_argument("--reps", type=int, help="repetitions (default: 10; smoke: 1)")
    parser.add_argument("--peers", help="comma-separated subset of " + ",".join(PEERS))
    parser.add_argument(
        "--out", type=Path, help="JSON/Markdown dir (bench/results, smoke: bench/results/smoke)"
    )
    parser.add_argument("--markdown", type=Path, help="also write the report here")
    parser.add_argument("--chart", type=Path, help="draw the PNG chart here")
    parser.add_argument(
        "--idle", default="auto", help="was the machine otherwise idle? (auto: from /proc/stat)"
    )
    parser.add_argument(
        "--server",
        choices=SERVERS,
        help="the Runtime API server of every phase but the per-server one (default: selector)",
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="COUNT=N",
        help="override one of phases.Counts, e.g. --set growth_invocations=5000 (repeatable)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)

    counts = _counts(args, parser)
    names = args.peers.split(",") if args.peers else ["ours", "null"] if args.smoke else list(PEERS)
    peers = [PEERS[name] for name in names]
    missing = [peer.name for peer in peers if not peer.installed()]
    if missing:
        parser.error(f"peers not installed: {missing}; run bench/setup_peers.sh (or make bench)")

    args.out = args.out or BENCH / "results" / ("smoke" if args.smoke else "")
    args.out.mkdir(parents=True, exist_ok=True)
    runtime_before = report.runtime_version()
    started, machine_before, ours_before = time.monotonic(), _machine_cpu_s(), _own_cpu_s()
    with (args.out / "runtimes.log").open("wb") as log:
        samples = measure(peers, counts, log)
    results = report.summarize(samples, counts, peers, smoke=args.smoke, idle=args.idle)
    wall = time.monotonic() - started
    results["wall_s"] = round(wall, 1)
    results["runtime_version"] = runtime_before
    if report.runtime_version() != runtime_before:
        results["runtime_version"] += " (runtime/ CHANGED during the run: re-run the bench)"
    # What the rest of the machine did meanwhile: all CPU time spent, minus the bench's own
    # (this process and every runtime it started and reaped), per second of the run.
    others = (_machine_cpu_s() - machine_before) - (_own_cpu_s() - ours_before)
    results["other_processes_cpu_per_s"] = round(max(others, 0.0) / wall, 2)
    if args.idle == "auto":
        busy = results["other_processes_cpu_per_s"] >= IDLE_THRESHOLD
        results["machine_otherwise_idle"] = "no" if busy else "yes"
    (args.out / "latest.json").write_text(json.dumps(results, indent=2) + "\n")
    markdown, readme = report.markdown(results), report.readme_table(results)
    counted = None if args.smoke else _icount_results(str(results["runtime_version"]))
    if counted is not None:
        before, marker, method = markdown.partition("## Method")
        markdown = before + icount.markdown(counted) + "\n" + marker + method
        readme += "".join(row + "\n" for row in icount.target_rows(counted))
    (args.out / "latest.md").write_text(markdown)
    (args.out / "readme.md").write_text(readme)
    if args.markdown:
        notes = ""
        if args.markdown.exists():  # hand-written notes below the marker survive a re-run
            _, marker, notes = args.markdown.read_text().partition(report.NOTES_MARKER)
            notes = marker + notes
        args.markdown.write_text(markdown + ("\n" + notes if notes else ""))
    if args.chart:
        report.chart(args.out / "latest.json", args.chart)
    print(markdown)
    return 0


def _counts(args: argparse.Namespace, parser: argparse.ArgumentParser) -> phases.Counts:
    """The full or smoke counts, with the command line's overrides."""
    counts = phases.SMOKE if args.smoke else phases.Counts()
    overrides: dict[str, object] = {}
    for item in args.set:
        key, _, value = item.partition("=")
        if key not in counts.__dict__ or key in ("token_sizes", "server") or not value.isdigit():
            parser.error(f"--set {item}: expected COUNT=N with COUNT one of phases.Counts' counts")
        overrides[key] = int(value)
    if args.reps:
        overrides["reps"] = args.reps
    if args.server:
        overrides["server"] = args.server
    return phases.Counts(**{**counts.__dict__, **overrides})


def _icount_results(runtime_version: str) -> dict[str, Any] | None:
    """The last ``make bench-icount`` results, if they measured the same runtime."""
    path = BENCH / "results" / "icount.json"
    if not path.exists():
        return None
    counted: dict[str, Any] = json.loads(path.read_text())
    if counted["smoke"] or counted["runtime_version"] != runtime_version:
        print(f"bench: {path} is from another runtime or a smoke run: left out", file=sys.stderr)
        return None
    return counted


def _add(
    samples: dict[str, dict[str, list[float]]], figures_by_peer: dict[str, dict[str, float]]
) -> None:
    for name, figures in figures_by_peer.items():
        for metric, value in figures.items():
            samples[metric][name].append(value)


def measure(
    peers: list[Peer], counts: phases.Counts, log: IO[bytes]
) -> dict[str, dict[str, list[float]]]:
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
                _add(samples, {peer.name: cold.cold_start(peer, log, counts.server)})
        for phase, mode in ((phases.buffered, BUFFERED), (phases.streaming, STREAMING)):
            _add(samples, phase([p for p in order if mode in p.modes], counts, log))
        _add(samples, servers.by_server(order, counts, log))
        if any(peer.name == "ours" for peer in peers):
            direct = samples["chunk_p50_ms"]["ours"][-1]
            for metric, value in e2e.run(counts, direct).items():
                samples[metric]["ours"].append(value)
    print(f"RSS growth over {counts.growth_invocations} invocations", file=sys.stderr, flush=True)
    _add(samples, growth.rss_growth(peers, counts, log))
    return {
        metric: {peer: list(values) for peer, values in by_peer.items()}
        for metric, by_peer in samples.items()
    }


def _machine_cpu_s() -> float:
    """CPU time spent by the whole machine (all CPUs, not idle or iowait) since boot."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def _own_cpu_s() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


if __name__ == "__main__":
    sys.exit(main())

"""Instructions per invocation under callgrind: ``python -m bench.icount`` (``make bench-icount``).

Timings on a shared 2-core machine move ±20 % run to run; the number of instructions a runtime
executes for one invocation does not. Valgrind's callgrind counts user-space instructions only
(the kernel's share of a system call is not in it), whatever else the machine is doing. Each
runtime process runs under ``valgrind --tool=callgrind --trace-children=yes`` on the bench's
Runtime API (``rapi.py``, selector server), and ``callgrind_control`` dumps or zeroes its
counters at chosen moments:

- ``icount_startup``: from ``exec`` to the first ``GET /next`` (buffered handler; children the
  bootstrap ran, e.g. ``dirname``, are added; the shell's own instructions before it ``exec``s
  the interpreter are not, as callgrind does not dump at ``exec``);
- ``icount_first_invoke``: the first (trivial, buffered) invocation after that, where work put
  off from init shows;
- ``icount_buffered``: per trivial buffered invocation, after ``warmup`` invocations;
- ``icount_streaming``: per one-chunk stream; ``icount_streaming_tokens``: per stream of
  ``TOKENS`` token-sized chunks (5-50 B), likewise.

Python runtimes get ``PYTHONHASHSEED=0`` so runs repeat exactly. Every figure is the median of
``repeats`` processes; the spread (max - min) / median is reported next to it.
"""

import argparse
import datetime
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import IO, Any

from bench.peers import BENCH, BUFFERED, PEERS, STREAMING, Peer
from bench.report import NONE, TIMES, machine, runtime_version, versions
from bench.session import Session

TRIVIAL: dict[str, object] = {"op": "trivial"}
TOKENS = 10
TOKEN_STREAM: dict[str, object] = {
    "op": "tokens",
    "n": TOKENS,
    "sizes": [5, 12, 23, 50, 8, 31, 17, 44, 6, 26],
}
DEFAULT_PEERS = ("ours", "awslambdaric", "node")
START_TIMEOUT_S = 300.0  # Node under valgrind takes seconds to reach /next

# metric -> (label, scale, unit)
METRICS = {
    "icount_startup": ("start-up: exec → first GET /next", 1e6, "M instr"),
    "icount_first_invoke": ("first (buffered) invocation after start-up", 1e3, "k instr"),
    "icount_buffered": ("per buffered invocation (trivial)", 1e3, "k instr"),
    "icount_streaming": ("per streaming invocation (one chunk)", 1e3, "k instr"),
    "icount_streaming_tokens": (
        f"per streaming invocation ({TOKENS} token-sized chunks)",
        1e3,
        "k instr",
    ),
}
# (metric, peer, bound, the wording)
TARGETS = [
    (
        "icount_buffered",
        "awslambdaric",
        0.5,
        f"instructions per buffered invocation ≤ 0.5 {TIMES} awslambdaric",
    ),
]


class Callgrind:
    """One runtime process under callgrind, its dumps written to ``directory``."""

    def __init__(self, peer: Peer, mode: str, directory: Path, log: IO[bytes]) -> None:
        self.directory = directory
        wrapper = [
            "env",
            "PYTHONHASHSEED=0",
            "valgrind",
            "--tool=callgrind",
            "--trace-children=yes",
            "--dump-line=no",
            f"--callgrind-out-file={directory}/callgrind.%p",
        ]
        self.session = Session(peer, mode, log, wrapper=wrapper, start_timeout=START_TIMEOUT_S)

    def dump(self, label: str) -> int:
        """Write the instructions since the last dump or zero; return their number."""
        self._control("--dump=" + label)
        pid = self.session.pid
        parts = sorted(self.directory.glob(f"callgrind.{pid}.*"), key=lambda p: int(p.suffix[1:]))
        return _summary(parts[-1])

    def zero(self) -> None:
        self._control("--zero")

    def children(self) -> int:
        """Instructions of the processes the runtime started and that have ended."""
        mine = f"callgrind.{self.session.pid}"
        return sum(
            _summary(path)
            for path in self.directory.glob("callgrind.*")
            if path.name != mine and not path.name.startswith(mine + ".")
        )

    def _control(self, action: str) -> None:
        done = subprocess.run(
            ["callgrind_control", action, str(self.session.pid)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if done.returncode or "OK" not in done.stdout:
            raise RuntimeError(f"callgrind_control {action}: {done.stdout}{done.stderr}")

    def close(self) -> None:
        self.session.close()


def _summary(path: Path) -> int:
    with path.open() as lines:
        for line in lines:
            if line.startswith("summary:"):
                return int(line.split()[1])
    raise RuntimeError(f"no summary line in {path}")


def measure(peer: Peer, warmup: int, invocations: int, log: IO[bytes]) -> dict[str, float]:
    values: dict[str, float] = {}
    for mode in peer.modes:
        with tempfile.TemporaryDirectory(prefix="icount-") as directory:
            grind = Callgrind(peer, mode, Path(directory), log)
            try:
                session = grind.session
                if mode == BUFFERED:
                    values["icount_startup"] = grind.dump("startup") + grind.children()
                    session.invoke(TRIVIAL)
                    values["icount_first_invoke"] = grind.dump("first")
                scenarios = [("icount_buffered", TRIVIAL)]
                if mode == STREAMING:
                    scenarios = [
                        ("icount_streaming", TRIVIAL),
                        ("icount_streaming_tokens", TOKEN_STREAM),
                    ]
                for metric, params in scenarios:
                    session.run(params, warmup)
                    grind.zero()
                    session.run(params, invocations)
                    values[metric] = grind.dump(metric) / invocations
            finally:
                grind.close()
    return values


def markdown(results: dict[str, Any]) -> str:
    peers = list(results["peers"])
    medians, spreads = results["medians"], results["spreads"]
    others = [peer for peer in peers if peer != "ours"]
    lines = [
        "## Instructions per invocation (callgrind, `make bench-icount`)",
        "",
        f"- **Date**: {results['date']}; **runtime measured**: {results['runtime_version']};"
        f" {results['invocations']} invocations after {results['warmup']} warm-up per figure,"
        f" median of {results['repeats']} processes per peer"
        + (" (**smoke mode: tiny counts**)" if results["smoke"] else ""),
        f"- **Machine**: {results['machine']} (instruction counts do not depend on its load)",
        "- User-space instructions only (callgrind); the kernel's work for a system call is"
        " not counted, so a runtime that makes more system calls is flattered by this table.",
        "",
        "| "
        + " | ".join(["instructions", "unit", *peers, *(f"ours / {p}" for p in others)])
        + " |",
        "|---|---|" + "---:|" * (len(peers) + len(others)),
    ]
    for metric, (label, scale, unit) in METRICS.items():
        row = medians.get(metric, {})
        if not row:
            continue
        cells = [
            f"{row[peer] / scale:.1f} (±{spreads[metric][peer] * 50:.1f} %)"
            if peer in row
            else NONE
            for peer in peers
        ]
        ratios = [
            f"{row['ours'] / row[peer]:.2f}{TIMES}" if "ours" in row and peer in row else NONE
            for peer in others
        ]
        lines.append(f"| {label} | {unit} | " + " | ".join(cells + ratios) + " |")
    for metric, peer, bound, text in TARGETS:
        row = medians.get(metric, {})
        if "ours" in row and peer in row:
            ratio = row["ours"] / row[peer]
            status = "met" if ratio <= bound else "**missed**"
            lines += ["", f"Target: {text}: {ratio:.2f}{TIMES}, {status}."]
    return "\n".join(lines) + "\n"


def target_rows(results: dict[str, Any]) -> list[str]:
    """The targets as rows of the README's Performance table (``report.readme_table``)."""
    rows = []
    for metric, peer, bound, text in TARGETS:
        row = results["medians"].get(metric, {})
        if "ours" in row and peer in row:
            _label, scale, unit = METRICS[metric]
            ratio = row["ours"] / row[peer]
            measured = (
                f"{ratio:.2f}{TIMES} ({row['ours'] / scale:.0f} vs {row[peer] / scale:.0f} {unit},"
                " callgrind)"
            )
            rows.append(f"| {text} | {measured} | {'met' if ratio <= bound else '**missed**'} |")
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.icount", description=__doc__)
    parser.add_argument("--peers", help="comma-separated (default: ours,awslambdaric,node)")
    parser.add_argument("--invocations", type=int, default=200, help="measured per figure")
    parser.add_argument("--warmup", type=int, default=50, help="invocations before measuring")
    parser.add_argument("--repeats", type=int, default=3, help="processes per peer and mode")
    parser.add_argument("--smoke", action="store_true", help="ours only, tiny counts")
    parser.add_argument("--out", type=Path, help="directory for icount.json/.md (bench/results)")
    args = parser.parse_args(argv)
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        parser.error("valgrind is not installed: run bench/setup_peers.sh (apt install valgrind)")
    if args.smoke:
        args.invocations, args.warmup, args.repeats = 5, 2, 1
    names = args.peers.split(",") if args.peers else ["ours"] if args.smoke else DEFAULT_PEERS
    peers = [PEERS[name] for name in names]
    missing = [peer.name for peer in peers if not peer.installed()]
    if missing:
        parser.error(f"peers not installed: {missing}; run bench/setup_peers.sh")
    out = args.out or BENCH / "results" / ("smoke" if args.smoke else "")
    out.mkdir(parents=True, exist_ok=True)
    samples: dict[str, dict[str, list[float]]] = {}
    with (out / "icount-runtimes.log").open("wb") as log:
        for repeat in range(args.repeats):
            for peer in peers:
                print(f"icount: {peer.name}, process {repeat + 1}/{args.repeats}", file=sys.stderr)
                for metric, value in measure(peer, args.warmup, args.invocations, log).items():
                    samples.setdefault(metric, {}).setdefault(peer.name, []).append(value)
    results = {
        "date": _now(),
        "machine": machine(),
        "versions": versions(peers),
        "runtime_version": runtime_version(),
        "smoke": args.smoke,
        "invocations": args.invocations,
        "warmup": args.warmup,
        "repeats": args.repeats,
        "peers": {peer.name: peer.label for peer in peers},
        "samples": samples,
        "medians": {
            metric: {name: statistics.median(values) for name, values in row.items()}
            for metric, row in samples.items()
        },
        "spreads": {
            metric: {
                name: (max(values) - min(values)) / statistics.median(values) if values else 0.0
                for name, values in row.items()
            }
            for metric, row in samples.items()
        },
    }
    (out / "icount.json").write_text(json.dumps(results, indent=2) + "\n")
    text = markdown(results)
    (out / "icount.md").write_text(text)
    print(text)
    return 0


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")


if __name__ == "__main__":
    sys.exit(main())

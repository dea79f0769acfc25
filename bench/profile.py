"""Profiles for a missed target: where a runtime's time goes, on the bench's own Runtime API.

    .venv/bin/python -m bench.profile cpu --peer ours --mode streaming [--op trivial] [--count N]
    .venv/bin/python -m bench.profile syscalls --peer ours --mode streaming
    .venv/bin/python -m bench.profile latency --peer ours
    .venv/bin/python -m bench.profile importtime --peer ours

- ``cpu``: py-spy (bench venv) samples the warm process while it serves ``count`` invocations;
  prints the hottest functions (own samples and with callees) and writes the collapsed stacks
  (``bench/results/profile-*.txt``, for flamegraph tools); also user vs system CPU per
  invocation from ``/proc/PID/stat``.
- ``syscalls``: ``strace -c -f`` over ``count`` invocations: system calls per invocation.
- ``latency``: per-chunk write -> arrival p50 of ``--peer`` and the null sender side by side, for
  pauses of 0.2, 1 and 10 ms between chunks (a long pause lets the CPUs go idle: waking them
  is part of every runtime's latency on a VM).
- ``importtime``: ``-X importtime`` of the process up to its first ``GET /next``: the modules
  that cost the most cold start (cumulative and own time, µs).
"""

import argparse
import collections
import os
import signal
import statistics
import subprocess
import time
from pathlib import Path

from bench.peers import BENCH, INSTALLED, PEERS, Peer
from bench.phases import Counts, sessions_of, ticks
from bench.rapi import RuntimeApi
from bench.session import Session

PY_SPY = INSTALLED / "venv" / "bin" / "py-spy"
RESULTS = BENCH / "results"


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("kind", choices=["cpu", "syscalls", "latency", "importtime"])
    parser.add_argument("--peer", default="ours", choices=list(PEERS))
    parser.add_argument("--mode", default="streaming", choices=["buffered", "streaming"])
    parser.add_argument("--op", default="trivial", choices=["trivial", "ticks", "big"])
    parser.add_argument("--count", type=int, default=5000, help="invocations")
    parser.add_argument("--chunks", type=int, help="chunks per ticks/big invocation")
    parser.add_argument("--size", type=int, help="bytes per chunk")
    parser.add_argument("--sleep-ms", type=float, default=1.0, help="ticks: pause between chunks")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    RESULTS.mkdir(exist_ok=True)
    ticks = args.op == "ticks"
    params: dict[str, object] = {
        "op": args.op,
        "n": args.chunks or (20 if ticks else 800),
        "size": args.size or (64 if ticks else 64 * 1024),
        "sleep_ms": args.sleep_ms,
    }
    peer = PEERS[args.peer]
    if args.kind == "importtime":
        importtime(args.peer, args.mode, args.top)
        return
    if args.kind == "latency":
        latency([peer, PEERS["null"]])
        return
    with Session(peer, args.mode) as session:
        session.run(params, 100)
        if args.kind == "cpu":
            cpu(session, params, args)
        else:
            syscalls(session, params, args.count)


def cpu(session: Session, params: dict[str, object], args: argparse.Namespace) -> None:
    out = RESULTS / f"profile-{args.peer}-{args.mode}-{args.op}.txt"
    spy = subprocess.Popen(
        [
            str(PY_SPY),
            "record",
            "--pid",
            str(session.pid),
            "--rate",
            "2000",
            "--format",
            "raw",
            "--nonblocking",
            "--output",
            str(out),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(1.0)
    user0, system0 = _times(session.pid)
    session.run(params, args.count)
    user1, system1 = _times(session.pid)
    spy.send_signal(signal.SIGINT)
    spy.wait(30)
    tick = os.sysconf("SC_CLK_TCK")
    print(
        f"user {1e6 * (user1 - user0) / tick / args.count:.1f} µs, system "
        f"{1e6 * (system1 - system0) / tick / args.count:.1f} µs per invocation "
        f"(clock ticks of 1/{tick} s; slowed by the sampler)"
    )
    own: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    total = 0
    for line in out.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = [frame for frame in stack.split(";") if frame]
        if not frames:
            continue
        samples = int(count)
        total += samples
        own[frames[-1]] += samples
        for frame in set(frames):
            inclusive[frame] += samples
    print(f"{total} samples; collapsed stacks in {out}")
    for title, counter in (("own", own), ("with callees", inclusive)):
        print(f"\n-- top {args.top} by {title} samples")
        for frame, samples in counter.most_common(args.top):
            print(f"{100 * samples / total:6.1f} %  {frame}")


def syscalls(session: Session, params: dict[str, object], count: int) -> None:
    out = RESULTS / f"strace-{session.peer.name}-{session.mode}.txt"
    strace = subprocess.Popen(
        ["strace", "-c", "-f", "-p", str(session.pid), "-o", str(out)], stderr=subprocess.DEVNULL
    )
    time.sleep(0.5)
    session.run(params, count)
    strace.send_signal(signal.SIGINT)
    strace.wait(30)
    print(f"system calls over {count} invocations ({out}):")
    for line in out.read_text().splitlines():
        fields = line.split()
        if len(fields) >= 5 and fields[3].isdigit():
            print(f"{int(fields[3]) / count:6.2f} per invocation  {fields[-1]}")


def importtime(name: str, mode: str, top: int) -> None:
    api = RuntimeApi()
    argv, env, cwd = PEERS[name].command(mode, api.address)
    if name == "ours":  # what bootstrap execs, with -X importtime
        argv = [env["LAMBDA_STREAMING_PYTHON"], "-X", "importtime", "-u", "-m", "lambda_streaming"]
        env["PYTHONPATH"] = str(BENCH.parent / "runtime")
    elif name in ("awslambdaric", "hayate", "null"):
        argv = [argv[0], "-X", "importtime", *argv[1:]]
    else:
        raise SystemExit("importtime is for the Python runtimes")
    process = subprocess.Popen(argv, env=env, cwd=cwd, stderr=subprocess.PIPE, text=True)
    api.first_next.wait(30)
    process.kill()
    _, err = process.communicate()
    api.close()
    rows = []
    for line in err.splitlines():
        if line.startswith("import time:") and "|" in line:
            own, cumulative, module = line.removeprefix("import time:").split("|")
            if own.strip().isdigit():
                rows.append((int(cumulative), int(own), module.rstrip()))
    print(
        f"{len(rows)} modules imported before the first GET /next; own time in all "
        f"{sum(row[1] for row in rows) / 1000:.1f} ms (inflated by -X importtime)"
    )
    for total_us, own_us, module_name in sorted(rows, reverse=True)[:top]:
        print(f"{total_us:8d} µs cumulative {own_us:7d} µs own  {module_name}")


def latency(peers: list[Peer]) -> None:
    for pause in (0.2, 1, 10):
        counts = Counts(ticks_invocations=30 if pause < 10 else 15, tick_ms=pause)
        p50: dict[str, list[float]] = {peer.name: [] for peer in peers}
        for turn in range(3):
            order = peers[turn % 2 :] + peers[: turn % 2]
            with sessions_of(order, "streaming", None) as sessions:
                for session in sessions:
                    session.run({"op": "trivial"}, 50)
                for name, figures in ticks(sessions, counts).items():
                    p50[name].append(figures["chunk_p50_ms"] * 1000)
        cells = ", ".join(f"{name} {statistics.median(v):.1f} µs" for name, v in p50.items())
        print(
            f"{pause:>4} ms between chunks: write -> arrival p50 {cells} (median of 3 x "
            f"{counts.ticks_invocations} invocations of {counts.ticks} chunks)"
        )


def _times(pid: int) -> tuple[int, int]:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]), int(fields[12])


if __name__ == "__main__":
    main()

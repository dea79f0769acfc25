"""Medians, ratios to each peer, the issue's targets, and the Markdown/JSON/PNG outputs."""

import datetime
import hashlib
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench.peers import BENCH, BENCH_PYTHON, NODE, PROJECT_PYTHON, Peer
from bench.phases import Counts

NOTES_MARKER = (
    "<!-- Hand-written notes below this line are kept when make bench rewrites the file. -->"
)
TIMES = "\N{MULTIPLICATION SIGN}"
NONE = "\N{EN DASH}"

SERVER_TEXT = {
    "selector": "selector (one epoll loop; the other rows' server)",
    "thread": "a thread started per connection",
    "spare": "spare threads waiting in accept()",
}

# metric -> (label, unit, "lower" or "higher" is better)
METRICS = {
    "cold_start_ms": ("cold start: spawn → first GET /next", "ms", "lower"),
    "first_invoke_ms": ("first invocation after a cold start (dispatch → response)", "ms", "lower"),
    "first_answer_buffered_ms": (
        "first answer after a cold start, buffered: spawn → last byte of the response",
        "ms",
        "lower",
    ),
    "first_answer_streaming_ms": (
        "first answer after a cold start, streaming: spawn → last byte of the stream",
        "ms",
        "lower",
    ),
    "cpu_buffered_us": ("runtime CPU per buffered invocation", "µs", "lower"),
    "cpu_streaming_us": ("runtime CPU per streaming invocation (1 chunk)", "µs", "lower"),
    "ttfb_ms": ("TTFB: event handed out → first body byte", "ms", "lower"),
    "chunk_p50_ms": ("per-chunk write → arrival, p50", "ms", "lower"),
    "chunk_p99_ms": ("per-chunk write → arrival, p99", "ms", "lower"),
    "tokens_cpu_us": ("runtime CPU per token-sized chunk (5 to 50 B, back to back)", "µs", "lower"),
    "tokens_per_s": ("token-sized chunks per second (dispatch → last byte)", "chunk/s", "higher"),
    "throughput_mib_s": ("50 MiB stream in 64 KiB chunks", "MiB/s", "higher"),
    "rss_idle_buffered_mib": ("RSS idle, buffered handler", "MiB", "lower"),
    "rss_idle_streaming_mib": ("RSS idle, streaming handler", "MiB", "lower"),
    "rss_peak_mib": ("RSS peak while streaming 50 MiB", "MiB", "lower"),
    "rss_peak_over_idle_mib": ("→ peak minus RSS just before", "MiB", "lower"),
    "rss_growth_mib": ("RSS growth over the streaming invocations", "MiB", "lower"),
    "rss_growth_long_mib": (
        "RSS growth over the long buffered run (a new trace id each invocation)",
        "MiB",
        "lower",
    ),
    **{
        f"ttfb_trivial_{server}_ms": (
            f"TTFB, one-chunk stream; Runtime API server: {text}",
            "ms",
            "lower",
        )
        for server, text in SERVER_TEXT.items()
    },
    **{
        f"cpu_streaming_{server}_us": (
            f"runtime CPU per one-chunk stream; Runtime API server: {text}",
            "µs",
            "lower",
        )
        for server, text in SERVER_TEXT.items()
    },
    "e2e_tokens_per_s": (
        "end to end: tokens/s (Function URL, fake Bedrock, 0 delay)",
        "tok/s",
        "higher",
    ),
    "e2e_direct_tokens_per_s": (
        "→ the same stream read from the fake Bedrock directly by boto3: tokens/s",
        "tok/s",
        "higher",
    ),
    "e2e_first_token_ms": ("end to end: request → first token", "ms", "lower"),
    "e2e_direct_first_token_ms": (
        "→ the same from the fake Bedrock directly by boto3: request → first token",
        "ms",
        "lower",
    ),
    "e2e_chunk_p50_ms": ("end to end: chunk write → client, p50", "ms", "lower"),
    "e2e_added_ms": ("end to end: front door's added latency per chunk", "ms", "lower"),
}

# (metric, peer or None for an absolute bound, comparison, bound, the wording)
TARGETS = [
    ("cold_start_ms", "awslambdaric", "<=", 0.8, f"cold start ≤ 0.8 {TIMES} awslambdaric"),
    ("cold_start_ms", "node", "<", 1.0, "cold start below Node's"),
    (
        "first_answer_buffered_ms",
        "awslambdaric",
        "<=",
        0.8,
        f"first answer after a cold start (buffered) ≤ 0.8 {TIMES} awslambdaric",
    ),
    (
        "cpu_buffered_us",
        "awslambdaric",
        "<=",
        0.8,
        f"CPU per buffered invocation ≤ 0.8 {TIMES} awslambdaric",
    ),
    ("cpu_streaming_us", "node", "<=", 0.5, f"CPU per streaming invocation ≤ 0.5 {TIMES} Node"),
    ("chunk_p50_ms", "null", "<=", 1.2, f"per-chunk latency p50 ≤ 1.2 {TIMES} null sender"),
    ("chunk_p99_ms", "null", "<=", 1.2, f"per-chunk latency p99 ≤ 1.2 {TIMES} null sender"),
    ("chunk_p50_ms", "node", "<=", 1.0, "per-chunk latency p50 ≤ Node"),
    ("chunk_p99_ms", "node", "<=", 1.0, "per-chunk latency p99 ≤ Node"),
    ("ttfb_ms", "node", "<=", 1.0, "TTFB ≤ Node"),
    ("throughput_mib_s", "null", ">=", 0.9, f"50 MiB throughput ≥ 0.9 {TIMES} null sender"),
    ("rss_idle_buffered_mib", "awslambdaric", "<=", 1.0, "RSS idle ≤ awslambdaric"),
    ("rss_peak_over_idle_mib", None, "<=", 2.0, "RSS peak while streaming 50 MiB ≤ idle + 2 MiB"),
    ("rss_growth_mib", None, "<=", 0.5, "RSS growth over 10,000 invocations ≤ 0.5 MiB"),
    (
        "rss_growth_long_mib",
        None,
        "<=",
        0.5,
        "RSS growth over {growth_invocations:,} invocations, a new trace id each, ≤ 0.5 MiB",
    ),
]


def summarize(
    samples: dict[str, dict[str, list[float]]],
    counts: Counts,
    peers: list[Peer],
    *,
    smoke: bool,
    idle: str,
) -> dict[str, Any]:
    medians = {
        metric: {peer: statistics.median(values) for peer, values in by_peer.items()}
        for metric, by_peer in samples.items()
    }
    targets = []
    for metric, peer, op, bound, text in TARGETS:
        ours = medians.get(metric, {}).get("ours")
        if ours is None or (peer is not None and peer not in medians.get(metric, {})):
            continue
        value = ours / medians[metric][peer] if peer else ours
        met = {"<=": value <= bound, "<": value < bound, ">=": value >= bound}[op]
        targets.append(
            {
                "target": text.format(**counts.__dict__),  # the counts this run used
                "metric": metric,
                "peer": peer,
                "value": value,
                "bound": bound,
                "op": op,
                "met": met,
            }
        )
    return {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "versions": versions(peers),
        "smoke": smoke,
        "machine_otherwise_idle": idle,
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        "counts": counts.__dict__,
        "peers": {peer.name: peer.label for peer in peers},
        "medians": medians,
        "samples": samples,
        "targets": targets,
    }


def runtime_version() -> str:
    """The last commit of runtime/, and a digest of runtime/'s changes since, if any."""

    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", *args], cwd=BENCH.parent, capture_output=True, text=True, check=False
        )
        return done.stdout.strip()

    commit = git("log", "-1", "--format=%h", "--", "runtime") or "unknown"
    changes = git("diff", "HEAD", "--", "runtime")
    if not changes:
        return f"commit {commit}"
    digest = hashlib.sha256(changes.encode()).hexdigest()[:8]
    return f"commit {commit} + uncommitted runtime/ changes (diff {digest})"


def machine() -> str:
    model = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    memory = Path("/proc/meminfo").read_text().split()[1]
    system = "Linux"
    release = Path("/etc/os-release")
    if release.exists():
        for line in release.read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                system = line.split("=", 1)[1].strip('"')
    return (
        f"{os.cpu_count()} vCPU {model}, {int(memory) / 1024 / 1024:.0f} GiB, "
        f"{system}, kernel {platform.release()}"
    )


def versions(peers: list[Peer]) -> dict[str, str]:
    def run(*argv: str) -> str:
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
            return done.stdout.strip()
        except OSError:
            return "n/a"

    found = {"python (ours, awslambdaric, null)": run(str(PROJECT_PYTHON), "-VV").splitlines()[0]}
    names = {peer.name for peer in peers}
    if "node" in names:
        found["node"] = run(str(NODE), "--version")
    if "hayate" in names:
        found["python (hayate)"] = run(str(BENCH_PYTHON), "-V")
    return found


def _fmt(value: float) -> str:
    if abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3f}" if abs(value) < 1 else f"{value:.2f}"


def markdown(results: dict[str, Any]) -> str:
    peers = list(results["peers"])
    others = [peer for peer in peers if peer != "ours"]
    medians = results["medians"]
    counts = results["counts"]
    lines = [
        "# Benchmarks: our runtime against its peers, side by side",
        "",
        "Generated by `make bench` (`python -m bench`): every number above the notes marker was"
        " printed by that run; re-run the bench rather than editing them.",
        "",
        f"- **Date**: {results['date']}"
        + ("  (**smoke mode: tiny counts, not a measurement**)" if results["smoke"] else ""),
        f"- **Machine**: {results['machine']}",
        f"- **Machine otherwise idle**: {results['machine_otherwise_idle']}; other processes used"
        f" {results.get('other_processes_cpu_per_s', '?')} CPU-seconds per second during the run"
        f" (of {os.cpu_count()}); load average at the end:"
        f" {' / '.join(str(x) for x in results['load_average_at_end'])}",
        f"- **Runtime measured**: {results.get('runtime_version', '?')}",
        "- **Versions**: " + "; ".join(f"{k}: {v}" for k, v in results["versions"].items()),
        "- **Peers**: " + "; ".join(f"`{k}` = {v}" for k, v in results["peers"].items()),
        f"- **Repetitions**: {counts['reps']}, interleaved (each phase visits every peer in turn,"
        f" the order rotated each repetition); every cell is the median over them."
        f" Wall time {results.get('wall_s', '?')} s.",
        "",
        "## Targets (issues 6, 10, 17), ratios from this one run",
        "",
        "| target | ours / peer (or absolute) | ours | peer | status |",
        "|---|---|---|---|---|",
    ]
    for target in results["targets"]:
        metric, peer = target["metric"], target["peer"]
        unit = METRICS[metric][1]
        ours = medians[metric]["ours"]
        value = f"{target['value']:.2f}{TIMES}" if peer else f"+{_fmt(target['value'])} {unit}"
        peer_cell = f"{_fmt(medians[metric][peer])} {unit} ({peer})" if peer else NONE
        status = "met" if target["met"] else "**missed**"
        lines.append(
            f"| {target['target']} | {value} | {_fmt(ours)} {unit} | {peer_cell} | {status} |"
        )
    lines += [
        "",
        "## Medians",
        "",
        "| metric | unit | "
        + " | ".join(peers)
        + " | "
        + " | ".join(f"ours / {peer}" for peer in others)
        + " |",
        "|---|---|" + "---:|" * (len(peers) + len(others)),
    ]
    for metric, (label, unit, _better) in METRICS.items():
        row = medians.get(metric)
        if not row:
            continue
        cells = [_fmt(row[peer]) if peer in row else NONE for peer in peers]
        ratios = [
            f"{row['ours'] / row[peer]:.2f}{TIMES}"
            if "ours" in row and peer in row and row[peer] > 0
            else NONE
            for peer in others
        ]
        lines.append(
            f"| {label} | {unit} | " + " | ".join(cells) + " | " + " | ".join(ratios) + " |"
        )
    lines += ["", *METHOD.format(**counts, times=TIMES).splitlines(), ""]
    return "\n".join(lines)


def readme_table(results: dict[str, Any]) -> str:
    """The targets in short, for the README's Performance section (results/readme.md)."""
    medians = results["medians"]
    lines = ["| target (issues 6, 10, 17) | measured | |", "|---|---|---|"]
    for target in results["targets"]:
        metric, peer = target["metric"], target["peer"]
        unit = METRICS[metric][1]
        ours = f"{_fmt(medians[metric]['ours'])} {unit}"
        if peer:
            theirs = f"{_fmt(medians[metric][peer])} {unit}"
            measured = f"{target['value']:.2f}{TIMES} ({ours} vs {theirs})"
        else:
            measured = f"+{ours}"
        status = "met" if target["met"] else "**missed**"
        lines.append(f"| {target['target']} | {measured} | {status} |")
    return "\n".join(lines) + "\n"


METHOD = """## Method

- **Runtime API**: `bench/rapi.py`, a stdlib server on 127.0.0.1 written for the bench (it imports
  nothing from `runtime/`), one per runtime process. It answers like AWS's Runtime Interface
  Emulator, parses chunked bodies itself and timestamps every chunk (CLOCK_MONOTONIC, the clock
  the handlers stamp their writes with). "Dispatch" is just before the `/next` reply is sent.
  Every `/next` carries a new `Lambda-Runtime-Trace-Id`, as Lambda's do. It serves connections
  with one `epoll` loop (`{server}`; `bench/rapi_selector.py`) unless told otherwise: a fresh
  connection costs an `accept` in a loop that is already awake, a kept-alive one a `recv`, so
  neither a runtime that opens a connection per stream nor one that keeps it alive is favoured.
  The rows "Runtime API server: …" run the same one-chunk streams ({server_invocations} per
  peer per repetition) on each of the three servers, to show how much that choice moves TTFB
  and CPU: a thread started per connection (a fresh connection waits for a thread start) and
  spare threads already waiting in `accept()` (the bench's first server, which hides that).
- **Peers**, unmodified, with equivalent handlers in `bench/peers/`: ours (`runtime/bootstrap`),
  the Node.js runtime interface client (npm `aws-lambda-ric`, run by node 22), awslambdaric
  (buffered only), hayate (streaming only; its events are Function URL payload-2.0 events, and
  its http-integration prelude is not counted as payload) and the null sender (a stdlib
  `http.client` loop, one `sendmsg` per chunk: the harness ceiling and latency floor).
- **Cold start**: {cold} starts per peer and handler mode per repetition, alternating peers, a
  trivial event queued before the spawn (Lambda has it ready when a cold runtime asks): spawn →
  first `GET /next`; that first event's dispatch → response read, so work put off from init to
  the first event shows; and the **first answer**, spawn → the last byte of the first response
  (a stream's terminating chunk), for the buffered and the streaming handler.
- **CPU per invocation**: the runtime process's on-CPU time summed over its threads
  (`/proc/PID/task/*/schedstat`) divided by invocations: buffered, {buffered} trivial invocations
  after {warmup} warm-up; streaming, {segments} segments of {segment} one-chunk streams (median of
  the segments).
- **TTFB and per-chunk latency**: {ticks_invocations} invocations of {ticks} chunks of
  {tick_size} B, {tick_ms} ms apart; TTFB = dispatch → first payload chunk received; write →
  arrival for every later chunk (the handler's timestamp inside the chunk), p50 and p99.
- **Token-sized chunks**: {tokens_invocations} streams of {tokens} writes back to back, the
  sizes cycling through {token_sizes} bytes (text as a model streams it); runtime CPU per
  chunk (the process's CPU over the invocation / {tokens}) and chunks per second (dispatch →
  last byte). Payload bytes are checked; a runtime may coalesce writes into fewer chunks.
- **Throughput**: {big} streams of {big_chunks} {times} {big_chunk} B per repetition,
  dispatch → last byte; median.
- **Memory**: `VmRSS` after the first invocation (idle); `VmHWM` after resetting it
  (`/proc/PID/clear_refs`) just before the 50 MiB streams (peak); `VmRSS` before and after the
  {segments} {times} {segment} streaming invocations (growth); and, once per run (not per
  repetition), `VmRSS` before and after {growth_invocations} trivial buffered invocations, each
  with its own trace id (ours, awslambdaric and the null sender as the control; the peers take
  turns in slices).
- **End to end** (ours only): the emulator's Function URL (`emulator/`), the demo's
  `lambda_src/stream_text.py` against the fake Bedrock with zero token delay, {e2e_requests}
  warm requests (tokens/s = tokens / (request sent → last token)), next to the same Bedrock
  stream read by boto3 straight from the fake (no Lambda in between); and the ticks handler through
  the Function URL, {e2e_ticks_invocations} invocations: write → client p50, minus ours' p50 on
  the bench's Runtime API in the same repetition (= the front door's added latency).
"""


def chart(results_json: Path, png: Path) -> None:
    """Draw the PNG with the bench venv's matplotlib (bench/requirements.txt)."""
    python = BENCH_PYTHON if BENCH_PYTHON.exists() else Path(sys.executable)
    subprocess.run([str(python), str(BENCH / "chart.py"), str(results_json), str(png)], check=True)


if __name__ == "__main__":
    print(markdown(__import__("json").loads(Path(sys.argv[1]).read_text())))

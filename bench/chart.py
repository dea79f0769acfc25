"""Draw the bench's chart: ``python bench/chart.py results.json out.png`` (needs matplotlib).

Run by ``python -m bench --chart`` with the bench venv's interpreter (bench/requirements.txt).
One panel per headline metric, one bar per runtime (medians), ours highlighted; the title
carries the date, the machine and the repetition count, as the Markdown report does.
"""

import json
import sys
from pathlib import Path

import matplotlib as mpl

mpl.use("Agg")
import matplotlib.pyplot as plt

PANELS = [
    ("cold_start_ms", "cold start (ms)"),
    ("first_answer_buffered_ms", "spawn → first answer, buffered (ms)"),
    ("first_answer_streaming_ms", "spawn → first answer, streaming (ms)"),
    ("cpu_buffered_us", "CPU / buffered invocation (µs)"),
    ("cpu_streaming_us", "CPU / streaming invocation (µs)"),
    ("ttfb_ms", "time to first byte (ms)"),
    ("chunk_p50_ms", "chunk write→arrival p50 (ms)"),
    ("chunk_p99_ms", "chunk write→arrival p99 (ms)"),
    ("throughput_mib_s", "50 MiB stream (MiB/s, higher is better)"),
    ("tokens_cpu_us", "CPU / token-sized chunk (µs)"),
    ("rss_peak_mib", "RSS peak, streaming 50 MiB (MiB)"),
    ("rss_growth_long_mib", "RSS growth, 100k invocations (MiB)"),
]
COLORS = {
    "ours": "#d6604d",
    "node": "#4393c3",
    "awslambdaric": "#92c5de",
    "hayate": "#b2abd2",
    "null": "#bababa",
}


def main(source: str, target: str) -> None:
    results = json.loads(Path(source).read_text())
    figure, axes = plt.subplots(3, 4, figsize=(16, 11))
    for axis, (metric, title) in zip(axes.flat, PANELS, strict=True):
        row = results["medians"].get(metric, {})
        names = [name for name in results["peers"] if name in row]
        values = [row[name] for name in names]
        bars = axis.bar(names, values, color=[COLORS.get(name, "#888888") for name in names])
        axis.bar_label(bars, labels=[_label(value) for value in values], fontsize=8)
        axis.set_title(title, fontsize=10)
        axis.tick_params(axis="x", labelrotation=30, labelsize=8)
        axis.margins(y=0.15)
    smoke = " (SMOKE: tiny counts)" if results["smoke"] else ""
    figure.suptitle(
        f"lambda-streaming vs peers, medians of {results['counts']['reps']} interleaved "
        f"repetitions{smoke}; lower is better unless noted\n"
        f"{results['date']}, {results['machine']}",
        fontsize=11,
    )
    figure.tight_layout()
    figure.savefig(target, dpi=110)


def _label(value: float) -> str:
    return f"{value:.0f}" if value >= 100 else f"{value:.3g}"


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

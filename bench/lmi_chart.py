"""Draw the Managed Instances bench's chart: ``python bench/lmi_chart.py [lmi.json] [out.png]``.

Run with the bench venv's interpreter (matplotlib, bench/requirements.txt), as
``make bench-lmi`` does after its run. Reads what it wrote (bench/results/lmi.json) and draws,
per concurrency, one line per runtime for the figures the issue's targets are about: memory of
the whole environment (PSS), the per-chunk gap p99 against the model's pacing, time to first
byte p99 and CPU per 1,000 streams. Nothing is measured here.
"""

import json
import sys
from pathlib import Path
from typing import Any

import matplotlib as mpl

mpl.use("Agg")
import matplotlib.pyplot as plt

RESULTS = Path(__file__).resolve().parent / "results" / "lmi.json"
OUT = Path(__file__).resolve().parents[1] / "docs" / "images" / "bench-lmi.png"
PANELS = [
    ("pss_mib", "PSS of the environment (MiB)", True),
    ("gap_p99_ms", "chunk gap p99 (ms; the model paces {pace:g} ms)", False),
    ("ttfb_p99_ms", "time to first byte p99 (ms)", True),
    ("cpu_s_per_1000", "CPU s per 1,000 streams", False),
]
COLOURS = {"ours": "#d62728", "awslambdaric": "#1f77b4", "node": "#2ca02c"}


def draw(record: dict[str, Any], out: Path) -> None:
    rows = record["results"]
    peers = sorted({row["peer"] for row in rows}, key=lambda p: (p != "ours", p))
    figure, axes = plt.subplots(1, len(PANELS), figsize=(4.2 * len(PANELS), 3.6))
    for axis, (field, title, log_scale) in zip(axes, PANELS, strict=True):
        for peer in peers:
            points = sorted(
                (row["concurrency"], row[field])
                for row in rows
                if row["peer"] == peer and isinstance(row.get(field), int | float)
            )
            if points:
                xs, ys = zip(*points, strict=True)
                axis.plot(xs, ys, marker="o", label=peer, color=COLOURS.get(peer))
        axis.set_xscale("log", base=2)
        if log_scale:
            axis.set_yscale("log")
        axis.set_title(title.format(pace=record.get("pace_ms", 0)), fontsize=9)
        axis.set_xlabel("concurrent streams in one environment", fontsize=8)
        axis.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    figure.suptitle(
        f"Lambda Managed Instances bench: {record.get('tokens')} tokens per stream, "
        f"{record.get('cpus')} CPUs (awslambdaric buffers: no chunk gap)",
        fontsize=10,
    )
    figure.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(out, dpi=110)


def main(argv: list[str]) -> int:
    source = Path(argv[0]) if argv else RESULTS
    out = Path(argv[1]) if len(argv) > 1 else OUT
    draw(json.loads(source.read_text()), out)
    print(f"chart: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

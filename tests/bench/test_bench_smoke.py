"""The bench's smoke mode runs end to end, so the harness cannot rot (no timing is asserted).

``python -m bench --smoke``: our runtime and the null sender only, tiny counts, a few seconds.
What is checked: every metric of issue 6 was produced, with a finite value, for each runtime
that has it; the targets were evaluated; the report names them all.
"""

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bench.report import METRICS, TARGETS

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def smoke(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], str]:
    out = tmp_path_factory.mktemp("bench")
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--smoke", "--out", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    return json.loads((out / "latest.json").read_text()), (out / "latest.md").read_text()


def test_every_metric_is_produced(smoke: tuple[dict[str, Any], str]) -> None:
    results, _ = smoke
    medians = results["medians"]
    assert set(medians) == set(METRICS)
    for metric in METRICS:
        # The null sender has no Function URL, so no end-to-end figures.
        runtimes = {"ours"} if metric.startswith("e2e_") else {"ours", "null"}
        assert set(medians[metric]) == runtimes, metric
        for runtime in runtimes:
            assert math.isfinite(medians[metric][runtime]), (metric, runtime)


def test_targets_are_evaluated_and_reported(smoke: tuple[dict[str, Any], str]) -> None:
    results, report = smoke
    evaluated = {(target["metric"], target["peer"]) for target in results["targets"]}
    assert evaluated == {(metric, peer) for metric, peer, *_ in TARGETS if peer in (None, "null")}
    for label, _unit, _better in METRICS.values():
        assert label in report
    assert "smoke mode" in report


def test_latencies_come_from_the_chunks_timestamps(smoke: tuple[dict[str, Any], str]) -> None:
    """Write -> arrival uses the time each handler wrote into its chunk: it must be positive
    (arrival after write) and shorter than the whole run."""
    results, _ = smoke
    for runtime in ("ours", "null"):
        for metric in ("chunk_p50_ms", "chunk_p99_ms", "ttfb_ms"):
            value = results["medians"][metric][runtime]
            assert 0 < value < results["wall_s"] * 1000, (metric, runtime, value)

"""``python -m bench.icount --smoke`` counts instructions under callgrind and reports them.

No figure is asserted beyond what cannot be otherwise: every metric is produced, positive, and
the instructions of one buffered invocation are far fewer than those of start-up (a harness that
dumped the wrong counters, e.g. a whole process per invocation, fails that).
"""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bench.icount import METRICS

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(
    shutil.which("valgrind") is None, reason="valgrind not installed (bench/setup_peers.sh)"
)


def test_icount_smoke(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench.icount", "--smoke", "--out", str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    results = json.loads((tmp_path / "icount.json").read_text())
    medians = results["medians"]
    assert set(medians) == set(METRICS)
    for metric in METRICS:
        assert medians[metric]["ours"] > 0, metric
    assert medians["icount_buffered"]["ours"] * 20 < medians["icount_startup"]["ours"]
    report = (tmp_path / "icount.md").read_text()
    for label, _scale, _unit in METRICS.values():
        assert label in report

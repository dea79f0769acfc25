"""``npx cdk synth`` offline: the pinned CLI, cdk.json, app.py and the construct, together.

The one synth of the session (conftest.cli_synth) runs without network and without Docker,
with the interpreter layer laid out from this machine's CPython (``-c interpreter=<prefix>``),
exactly as docs/deploy.md tells offline users to.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from stacks.demo import DEMO_FUNCTIONS
from tests.infra.cfn import resources
from tests.infra.conftest import CloudAssembly

#: Lambda's limit on a function's code plus its layers, unzipped (Lambda quotas page).
UNZIPPED_LIMIT = 250 * 1024 * 1024
#: The module of each function the demo stack deploys: a new demo function is checked too.
HANDLERS = tuple(handler.removesuffix(".handler") for _, handler, _, _ in DEMO_FUNCTIONS)


def tree_size(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file() and not p.is_symlink())


def test_synth_writes_the_demo_with_every_asset_built(cli_synth: CloudAssembly) -> None:
    assets = json.loads((cli_synth.outdir / "LambdaStreamingDemo.assets.json").read_text())
    assert assets.get("dockerImages", {}) == {}  # nothing needs Docker to publish
    for handler in HANDLERS:
        function = cli_synth.function(f"{handler}.handler")
        task = cli_synth.asset_dir(function["Properties"]["Code"])
        assert (task / "bootstrap").is_file() and os.access(task / "bootstrap", os.X_OK)
        assert (task / f"{handler}.py").is_file()
        assert (cli_synth.layer_dir(function) / "bin" / "python3.13").is_file()
    assert len(resources(cli_synth.template, "AWS::Lambda::LayerVersion")) == 1


def test_cdk_nag_ran_in_the_cli_synth_and_passed(cli_synth: CloudAssembly) -> None:
    report = json.loads((cli_synth.outdir / "validation-report.json").read_text())
    assert [(r["pluginName"], r["conclusion"]) for r in report["pluginReports"]] == [
        ("AwsSolutions", "success")
    ]


def test_each_function_fits_lambdas_unzipped_size_limit(cli_synth: CloudAssembly) -> None:
    for handler in HANDLERS:
        function = cli_synth.function(f"{handler}.handler")
        size = tree_size(cli_synth.asset_dir(function["Properties"]["Code"]))
        size += tree_size(cli_synth.layer_dir(function))
        assert size < UNZIPPED_LIMIT, f"{handler}: {size / 2**20:.0f} MiB with its layer"


def test_template_carries_no_cdk_metadata(cli_synth: CloudAssembly) -> None:
    # cdk.json sets versionReporting false: no AWS::CDK::Metadata resource is deployed.
    assert resources(cli_synth.template, "AWS::CDK::Metadata") == {}

"""Shared fixtures of the infra tier: synthesized apps, the build machine's CPython, CDK's node.

Most tests synthesize with bundling skipped (``aws:cdk:bundling-stacks: []``): the template is
complete, only the assets are not built, so they are fast. The tests about assets bundle for
real, with local bundling only (no Docker), the interpreter layer laid out from this machine's
own CPython 3.13 (``InterpreterSource.directory``), pip cross-installs cached under the
build cache (stacks/build_cache.py).
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
HELLO = FIXTURES / "hello"

# jsii runs aws-cdk-lib in node; the repo pins node 22 through npm (package.json) because jsii
# no longer supports the machine's node 20. Must be set before aws_cdk is first imported.
_NODE = REPO / "node_modules" / ".bin" / "node"
if _NODE.exists():
    os.environ.setdefault("JSII_NODE", str(_NODE))
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

import aws_cdk as cdk  # noqa: E402 - after JSII_NODE
from aws_cdk import aws_lambda as lambda_  # noqa: E402


def host_cpython() -> Path:
    """This machine's CPython 3.13 installation prefix (bin/ + lib/), e.g. a pyenv version."""
    prefix = Path(sys.base_prefix)
    if sys.version_info[:2] != (3, 13) or not (prefix / "bin" / "python3.13").is_file():
        pytest.fail(
            f"the infra tests lay out the layer from this machine's CPython 3.13, but "
            f"{prefix} is not one; run them with the repo's .venv (CPython 3.13)."
        )
    return prefix


def host_architecture() -> lambda_.Architecture:
    """The Lambda architecture matching this machine (so the laid-out CPython runs here)."""
    return (
        lambda_.Architecture.ARM_64
        if platform.machine() in ("aarch64", "arm64")
        else lambda_.Architecture.X86_64
    )


def app(outdir: Path, *, bundle: bool, **context: Any) -> cdk.App:
    """A CDK app writing to ``outdir``; ``bundle=False`` skips building assets."""
    if not bundle:
        context["aws:cdk:bundling-stacks"] = []
    return cdk.App(outdir=str(outdir), context=context)


def stack(scope: cdk.App, name: str) -> cdk.Stack:
    """A stack in the article's Region, account left to deploy time."""
    return cdk.Stack(scope, name, env=cdk.Environment(region="us-east-1"))


@pytest.fixture(scope="session")
def cpython_prefix() -> Path:
    return host_cpython()


@pytest.fixture(scope="module")
def module_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    yield tmp_path_factory.mktemp("infra")


@pytest.fixture
def fresh_stack(tmp_path: Path) -> Callable[..., cdk.Stack]:
    """A new unbundled app + stack per call, for validation tests that never synthesize."""
    counter = iter(range(1000))

    def make(**context: Any) -> cdk.Stack:
        return stack(app(tmp_path / f"app{next(counter)}", bundle=False, **context), "Test")

    return make


class CloudAssembly:
    """What ``npx cdk synth`` wrote: the demo app synthesized offline by the pinned CLI."""

    def __init__(self, outdir: Path, result: subprocess.CompletedProcess[str]) -> None:
        self.outdir = outdir
        self.result = result
        self.template: dict[str, Any] = json.loads(
            (outdir / "LambdaStreamingDemo.template.json").read_text()
        )

    def function(self, handler: str) -> dict[str, Any]:
        """The AWS::Lambda::Function resource running ``handler``."""
        for resource in self.template["Resources"].values():
            if resource["Type"] == "AWS::Lambda::Function" and (
                resource["Properties"]["Handler"] == handler
            ):
                return resource  # type: ignore[no-any-return]
        raise KeyError(handler)

    def asset_dir(self, code: dict[str, Any]) -> Path:
        """The directory synth wrote for a Code/Content property (its S3Key names it)."""
        return self.outdir / f"asset.{code['S3Key'].removesuffix('.zip')}"

    def layer_dir(self, function: dict[str, Any]) -> Path:
        (layer_ref,) = function["Properties"]["Layers"]
        layer = self.template["Resources"][layer_ref["Ref"]]
        return self.asset_dir(layer["Properties"]["Content"])


@pytest.fixture(scope="session")
def cli_synth(tmp_path_factory: pytest.TempPathFactory) -> CloudAssembly:
    """The README's offline synth, run once: the pinned CLI, no network, no Docker.

    It runs in a new network namespace (only a downed loopback), so anything that needs the
    network (telemetry, notices, a download) fails it. The only download a first synth needs,
    the functions' dependencies from PyPI, is made beforehand into the build cache, which the
    CLI's synth then uses, as a user's second synth would.
    """
    _fill_dependency_cache()
    cdk_cli = REPO / "node_modules" / ".bin" / "cdk"
    if not cdk_cli.exists():
        pytest.fail("the pinned CDK CLI is missing: run scripts/setup.sh (npm ci)")
    outdir = tmp_path_factory.mktemp("cli") / "cdk.out"
    architecture = "arm64" if host_architecture() == lambda_.Architecture.ARM_64 else "x86_64"
    command = [
        "unshare",
        "--user",
        "--map-root-user",
        "--net",
        "--",
        str(cdk_cli),
        "synth",
        "--quiet",
        "--output",
        str(outdir),
        "--context",
        f"interpreter={host_cpython()}",
        "--context",
        "interpreter_check=warn",  # this machine's CPython links its own libffi, sqlite, ...
        "--context",
        f"architecture={architecture}",
    ]
    env = {**os.environ, "PATH": f"{cdk_cli.parent}{os.pathsep}{os.environ['PATH']}"}
    env.pop("JSII_NODE", None)  # what a user's shell has: the CLI picks node from PATH
    result = subprocess.run(
        command, cwd=REPO, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    if result.returncode != 0:
        pytest.fail(f"cdk synth failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return CloudAssembly(outdir, result)


def _fill_dependency_cache() -> None:
    from stacks.demo import DEMO_FUNCTIONS, LAMBDA_SRC
    from stacks.dependencies import as_requirements, install
    from stacks.packaging import with_runtime_requirements
    from stacks.target import Target

    target = Target.of("3.13", host_architecture())
    for _, _, _, requirements in DEMO_FUNCTIONS:
        wanted = as_requirements(LAMBDA_SRC / requirements if requirements else None, LAMBDA_SRC)
        install(with_runtime_requirements(wanted), target)

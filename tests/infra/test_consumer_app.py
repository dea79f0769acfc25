"""Another CDK app can use the construct: ``pip install`` this repository, import, synthesize.

The repository is copied (so the build leaves nothing in the shared tree) and installed with
pip, as a wheel, into a fresh virtual environment; a separate app (fixtures/consumer_app)
then runs from a directory outside the repository, so ``stacks`` can only come from the
installed package, with the runtime files that the package ships.

To keep this fast, the new environment sees the project's already-installed third-party
packages (aws-cdk-lib is 60 MB) through a ``.pth`` file placed after its own site-packages;
pip still resolves the package's declared dependencies against them.
"""

from __future__ import annotations

import json
import os
import shutil
import site
import stat
import subprocess
import venv
from pathlib import Path
from typing import Any

import pytest

from tests.infra.conftest import FIXTURES, REPO, host_architecture, host_cpython

SHIPPED = ("pyproject.toml", "setup.py", "stacks", "runtime")


@pytest.fixture(scope="module")
def consumer(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, subprocess.CompletedProcess[str]]:
    root = tmp_path_factory.mktemp("consumer")
    source = root / "lambda-streaming"
    source.mkdir()
    for name in SHIPPED:
        if (REPO / name).is_dir():
            shutil.copytree(
                REPO / name, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
            )
        else:
            shutil.copy2(REPO / name, source / name)
    environment = root / "venv"
    venv.create(environment, with_pip=True, symlinks=True)
    python = environment / "bin" / "python"
    own_site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    (Path(own_site) / "zz-project-deps.pth").write_text(site.getsitepackages()[0] + "\n")
    clean_env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", str(source)],
        env=clean_env,
        check=True,
        timeout=600,
        capture_output=True,
    )
    app_dir = root / "consumer_app"
    shutil.copytree(FIXTURES / "consumer_app", app_dir)
    architecture = "arm64" if host_architecture().name == "arm64" else "x86_64"
    result = subprocess.run(
        [python, "app.py", str(root / "cdk.out"), str(host_cpython()), architecture],
        cwd=app_dir,
        env=clean_env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return root, result


def test_the_construct_comes_from_the_installed_package(
    consumer: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    root, result = consumer
    imported = result.stdout.strip().splitlines()[-1].removeprefix("construct imported from ")
    assert Path(imported).is_relative_to(root / "venv")
    assert not Path(imported).is_relative_to(REPO)


def files(root: Path) -> set[Path]:
    return {
        p.relative_to(root) for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts
    }


def test_the_installed_package_ships_the_whole_runtime_and_construct(
    consumer: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    root, _ = consumer
    (package,) = (root / "venv").glob("lib/python3.*/site-packages/stacks")
    runtime = files(REPO / "runtime")
    found = files(package / "_runtime")
    assert runtime <= found, f"missing from the wheel: {sorted(map(str, runtime - found))}"
    # Every module and sub-package of the construct, found by setup.py, not listed by hand.
    construct = {p for p in files(REPO / "stacks") if p.parts[0] != "demo"}
    found = {p for p in files(package) if p.parts[0] != "_runtime"}
    assert construct == found, f"wheel vs stacks/: {sorted(map(str, construct ^ found))}"
    assert (package / "al2023_libraries.txt").is_file()
    assert not (package / "demo").exists()  # the demo app's stack is not the construct's


def test_the_consumer_app_synthesizes_a_working_asset(
    consumer: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    root, _ = consumer
    template = json.loads((root / "cdk.out" / "ConsumerStack.template.json").read_text())
    functions = [r for r in template["Resources"].values() if r["Type"] == "AWS::Lambda::Function"]
    (function,) = functions
    assert function["Properties"]["Runtime"] == "provided.al2023"
    assert function["Properties"]["Handler"] == "echo.handler"
    task = root / "cdk.out" / f"asset.{function['Properties']['Code']['S3Key'][:-4]}"
    assert (task / "echo.py").is_file()
    assert (task / "lambda_streaming" / "__main__.py").is_file()
    assert not (task / "six.py").exists()  # in the shared layer instead
    assert stat.S_IMODE((task / "bootstrap").stat().st_mode) == 0o755
    bedrock = [
        s
        for r in template["Resources"].values()
        if r["Type"] == "AWS::IAM::Policy"
        for s in r["Properties"]["PolicyDocument"]["Statement"]
        if "bedrock:" in str(s["Action"])
    ]
    assert json.dumps(bedrock).count("eu-west-1::foundation-model/amazon.nova-lite-v1:0") == 1


def test_the_consumer_app_uses_vpc_kms_shared_layer_and_an_alias_url(
    consumer: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    root, _ = consumer
    template = json.loads((root / "cdk.out" / "ConsumerStack.template.json").read_text())

    def of(kind: str) -> dict[str, Any]:
        return {k: r for k, r in template["Resources"].items() if r["Type"] == kind}

    ((_, function),) = of("AWS::Lambda::Function").items()
    props = function["Properties"]
    assert "SecurityGroupIds" in props["VpcConfig"] and len(props["VpcConfig"]["SubnetIds"]) == 2
    (key_id,) = of("AWS::KMS::Key")
    assert props["KmsKeyArn"] == {"Fn::GetAtt": [key_id, "Arn"]}
    assert props["Environment"]["Variables"]["PYTHONPATH"] == "/opt/python"
    layers = of("AWS::Lambda::LayerVersion")
    assert {ref["Ref"] for ref in props["Layers"]} == set(layers)
    shared = next(r for r in layers.values() if "dependencies" in r["Properties"]["Description"])
    site = root / "cdk.out" / f"asset.{shared['Properties']['Content']['S3Key'][:-4]}"
    assert (site / "python" / "six.py").is_file()
    ((_, alias),) = of("AWS::Lambda::Alias").items()
    assert alias["Properties"]["Name"] == "live"
    ((_, url),) = of("AWS::Lambda::Url").items()
    assert url["Properties"]["Qualifier"] == "live"  # the URL invokes the alias, not $LATEST

"""The assets synth writes to cdk.out: what the function and the interpreter layer hold.

Bundled for real (local bundling, no Docker): the layer is laid out from this machine's CPython
3.13, dependencies are cross-installed by pip from PyPI (cached, stacks/build_cache.py).
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Template

from stacks import InterpreterSource, StreamingPythonFunction
from stacks.target import elf_machine_of
from tests.infra.cfn import resources
from tests.infra.conftest import HELLO, REPO, app, host_architecture, stack

ELF = {"x86_64": 62, "aarch64": 183}
HOST_MACHINE = "aarch64" if host_architecture() == lambda_.Architecture.ARM_64 else "x86_64"


class Assets:
    def __init__(self, outdir: Path, cpython: Path, entry: Path) -> None:
        self.outdir = outdir
        self.app = app(outdir, bundle=True)
        host = stack(self.app, "Host")
        StreamingPythonFunction(
            host,
            "Fn",
            entry=entry,
            handler="app.handler",
            architecture=host_architecture(),
            interpreter=InterpreterSource.directory(cpython, allow_missing_libraries=True),
            requirements=["six==1.17.0"],
        )
        cross = stack(self.app, "Cross")
        StreamingPythonFunction(
            cross,
            "Fn",
            entry=HELLO,
            handler="app.handler",
            architecture=lambda_.Architecture.ARM_64
            if HOST_MACHINE == "x86_64"
            else lambda_.Architecture.X86_64,
            python_layer=lambda_.LayerVersion.from_layer_version_arn(
                cross, "Py", "arn:aws:lambda:us-east-1:123456789012:layer:py:1"
            ),
        )
        self.assembly = self.app.synth()

    def template(self, name: str) -> dict[str, Any]:
        return self.assembly.get_stack_by_name(name).template  # type: ignore[no-any-return]

    def asset(self, name: str, kind: str, code_key: str) -> Path:
        (resource,) = resources(self.template(name), kind).values()
        key = resource["Properties"][code_key]["S3Key"].removesuffix(".zip")
        return self.outdir / f"asset.{key}"


@pytest.fixture(scope="module")
def assets(module_dir: Path, cpython_prefix: Path) -> Assets:
    entry = module_dir / "entry"
    shutil.copytree(HELLO, entry)
    (entry / ".venv" / "lib").mkdir(parents=True)
    (entry / ".venv" / "lib" / "junk.py").write_text("raise SystemExit('copied a venv')\n")
    (entry / "__pycache__").mkdir()
    (entry / "__pycache__" / "stale.cpython-313.pyc").write_bytes(b"stale")
    (entry / "helpers").mkdir()
    (entry / "helpers" / "__init__.py").write_text("ANSWER = 42\n")
    (entry / "helpers" / "private.txt").write_text("secret")
    (entry / "helpers" / "private.txt").chmod(0o600)
    return Assets(module_dir / "cdk.out", cpython_prefix, entry)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_function_asset_holds_runtime_code_and_dependencies(assets: Assets) -> None:
    task = assets.asset("Host", "AWS::Lambda::Function", "Code")
    assert (task / "bootstrap").read_bytes() == (REPO / "runtime" / "bootstrap").read_bytes()
    assert mode(task / "bootstrap") == 0o755
    shipped = {p.name for p in (REPO / "runtime" / "lambda_streaming").glob("*.py")}
    assert shipped <= {p.name for p in (task / "lambda_streaming").glob("*.py")}
    assert (task / "app.py").read_text() == (HELLO / "app.py").read_text()
    assert (task / "helpers" / "__init__.py").is_file()
    for package in ("awslambdaric", "simplejson", "six.py"):  # runtime's and the function's
        assert (task / package).exists(), package
    assert not (task / ".venv").exists()
    assert not (task / "__pycache__" / "stale.cpython-313.pyc").exists()
    assert not (task / "bin").exists()  # pip's console scripts point at this machine's Python


def test_every_file_is_readable_by_the_lambda_user(assets: Assets) -> None:
    task = assets.asset("Host", "AWS::Lambda::Function", "Code")
    assert mode(task / "helpers" / "private.txt") & 0o444 == 0o444
    unreadable = [p for p in task.rglob("*") if mode(p) & 0o444 != 0o444]
    assert unreadable == []


def test_native_dependencies_are_built_for_the_function_cpu(assets: Assets) -> None:
    for name, machine in (
        ("Host", HOST_MACHINE),
        ("Cross", "x86_64" if HOST_MACHINE == "aarch64" else "aarch64"),
    ):
        task = assets.asset(name, "AWS::Lambda::Function", "Code")
        (extension,) = task.glob("runtime_client.cpython-313-*-linux-gnu.so")
        assert machine in extension.name
        assert elf_machine_of(extension) == ELF[machine]


def test_python_files_are_precompiled_with_unchecked_hashes(assets: Assets) -> None:
    task = assets.asset("Host", "AWS::Lambda::Function", "Code")
    layer = assets.asset("Host", "AWS::Lambda::LayerVersion", "Content")
    for pyc in (
        task / "__pycache__" / "app.cpython-313.pyc",
        task / "lambda_streaming" / "internals" / "__pycache__" / "loop.cpython-313.pyc",
        layer / "lib" / "python3.13" / "__pycache__" / "os.cpython-313.pyc",
    ):
        flags = int.from_bytes(pyc.read_bytes()[4:8], "little")
        assert flags == 0b01, f"{pyc}: PEP 552 flags {flags:#b}, want hash-based, unchecked"


def test_layer_is_cpython_as_bin_and_lib_without_the_test_suite(
    assets: Assets, cpython_prefix: Path
) -> None:
    layer = assets.asset("Host", "AWS::Lambda::LayerVersion", "Content")
    assert sorted(p.name for p in (layer / "bin").iterdir()) == ["python3.13"]
    assert mode(layer / "bin" / "python3.13") == 0o755
    assert (layer / "lib" / "python3.13" / "os.py").is_file()
    assert (layer / "lib" / "python3.13" / "lib-dynload").is_dir()
    for dropped in ("test", "idlelib", "tkinter", "ensurepip", "site-packages"):
        assert not (layer / "lib" / "python3.13" / dropped).exists(), dropped
    assert not any(p.is_symlink() for p in layer.rglob("*"))
    if (cpython_prefix / "lib" / "libpython3.13.so.1.0").exists():
        assert (layer / "lib" / "libpython3.13.so.1.0").is_file()
        assert not (layer / "lib" / "libpython3.13.so").exists()


def test_layer_interpreter_relocates_to_where_it_is_unpacked(assets: Assets) -> None:
    layer = assets.asset("Host", "AWS::Lambda::LayerVersion", "Content")
    result = subprocess.run(
        [
            str(layer / "bin" / "python3.13"),
            "-I",
            "-c",
            "import sys, ssl, json, zoneinfo; print(sys.prefix); print(sys.path[-1])",
        ],
        env={"LD_LIBRARY_PATH": str(layer / "lib"), "PATH": os.defpath},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    prefix, dynload = result.stdout.split()
    assert Path(prefix) == layer
    assert Path(dynload) == layer / "lib" / "python3.13" / "lib-dynload"


def test_asset_hashes_follow_the_inputs(tmp_path: Path) -> None:
    apps = iter(range(100))

    def function_key(entry: Path, **props: Any) -> str:
        target = stack(app(tmp_path / f"out{next(apps)}", bundle=False), "S")
        StreamingPythonFunction(target, "Fn", entry=entry, handler="app.handler", **props)
        (function,) = resources(
            Template.from_stack(target).to_json(), "AWS::Lambda::Function"
        ).values()
        return str(function["Properties"]["Code"]["S3Key"])

    entry = tmp_path / "entry"
    shutil.copytree(HELLO, entry)
    first = function_key(entry)
    assert function_key(entry) == first  # deterministic
    (entry / "__pycache__").mkdir(exist_ok=True)
    (entry / "__pycache__" / "x.pyc").write_bytes(b"x")
    assert function_key(entry) == first  # excluded files do not count
    (entry / "app.py").write_text((entry / "app.py").read_text() + "\n# changed\n")
    changed = function_key(entry)
    assert changed != first
    assert function_key(entry, requirements=["six==1.17.0"]) != changed
    assert function_key(entry, python_version="3.12") != changed
    assert function_key(entry, architecture=lambda_.Architecture.X86_64) != changed

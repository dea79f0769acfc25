"""Bad props fail at construction, before any synth or deploy, saying what to fix."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Annotations, Match

from stacks import InterpreterSource, RuntimeMode, StreamingPythonFunction
from stacks.interpreter import INTERPRETER_WARNING_ID
from tests.infra.conftest import HELLO

ELF_MACHINES = {"x86_64": 62, "aarch64": 183}


def build(stack: cdk.Stack, **props: Any) -> StreamingPythonFunction:
    props.setdefault("entry", HELLO)
    props.setdefault("handler", "app.handler")
    return StreamingPythonFunction(stack, "Fn", **props)


@pytest.mark.parametrize(
    ("props", "message"),
    [
        ({"entry": HELLO / "missing"}, "is not a directory: pass the folder"),
        ({"handler": "app"}, "must look like 'module.function'"),
        ({"handler": "nope.handler"}, r"needs .*nope\.py .*Python files in entry: \['app\.py'\]"),
        ({"python_version": "3.10"}, "runs on CPython 3.11, 3.12, 3.13"),
        ({"memory_size": 64}, "128 to 10240 MB"),
        ({"timeout": cdk.Duration.minutes(16)}, "1 s to 15 minutes"),
        ({"reserved_concurrent_executions": -1}, "must be 0 or more"),
        ({"environment": {"AWS_REGION": "x"}}, r"environment\['AWS_REGION'\] is set by Lambda"),
        ({"environment": {"LAMBDA_STREAMING_PYTHON": "/x"}}, "use interpreter= or python_layer="),
        ({"requirements": "no-such-file.txt"}, "is not a file"),
        ({"requirements": ["boto3", ""]}, "non-empty requirement strings"),
        (
            {"runtime_mode": RuntimeMode.MANAGED, "interpreter": InterpreterSource.lambda_image()},
            "managed runtime brings its own Python",
        ),
        (
            {"cloudfront": True, "auth_type": lambda_.FunctionUrlAuthType.NONE},
            "needs auth_type=AWS_IAM",
        ),
    ],
)
def test_bad_props_raise_with_the_fix(
    fresh_stack: Callable[..., cdk.Stack], props: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        build(fresh_stack(), **props)


def test_entry_must_not_shadow_the_runtime(
    fresh_stack: Callable[..., cdk.Stack], tmp_path: Path
) -> None:
    (tmp_path / "app.py").write_text("def handler(event, context):\n    return 1\n")
    (tmp_path / "bootstrap").write_text("#!/bin/sh\n")
    with pytest.raises(ValueError, match="would overwrite the streaming runtime's bootstrap"):
        build(fresh_stack(), entry=tmp_path)
    build(fresh_stack(), entry=tmp_path, exclude=["bootstrap"])  # excluded: fine


def test_dotted_handler_in_a_package_is_accepted(
    fresh_stack: Callable[..., cdk.Stack], tmp_path: Path
) -> None:
    (tmp_path / "pkg" / "sub").mkdir(parents=True)
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "sub" / "__init__.py").write_text("def handler(e, c):\n    return 1\n")
    build(fresh_stack(), entry=tmp_path, handler="pkg.sub.handler")


def fake_cpython(root: Path, machine: str, glibc_minor: int) -> Path:
    """A directory shaped like a CPython 3.13 prefix whose binary is an ELF header only."""
    header = bytearray(64)
    header[:4] = b"\x7fELF"
    header[4], header[5] = 2, 1  # 64-bit, little-endian
    header[18:20] = ELF_MACHINES[machine].to_bytes(2, "little")
    (root / "bin").mkdir(parents=True)
    (root / "bin" / "python3.13").write_bytes(bytes(header) + f"GLIBC_2.{glibc_minor}".encode())
    (root / "lib" / "python3.13").mkdir(parents=True)
    (root / "lib" / "python3.13" / "os.py").write_text("")
    return root


def test_directory_interpreter_must_match_the_architecture(
    fresh_stack: Callable[..., cdk.Stack], tmp_path: Path
) -> None:
    prefix = fake_cpython(tmp_path / "py", "x86_64", 17)
    with pytest.raises(ValueError, match=r"built for x86_64, but the function runs on aarch64"):
        build(fresh_stack(), interpreter=InterpreterSource.directory(prefix))
    build(
        fresh_stack(),
        interpreter=InterpreterSource.directory(prefix),
        architecture=lambda_.Architecture.X86_64,
    )


def test_directory_interpreter_must_be_a_cpython_prefix(
    fresh_stack: Callable[..., cdk.Stack], tmp_path: Path
) -> None:
    with pytest.raises(ValueError, match=r"has no bin/python3\.13"):
        build(fresh_stack(), interpreter=InterpreterSource.directory(tmp_path))
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "python3.13").write_text("")
    with pytest.raises(ValueError, match=r"has no lib/python3\.13/os\.py"):
        build(fresh_stack(), interpreter=InterpreterSource.directory(tmp_path))


@pytest.mark.parametrize(("glibc_minor", "warned"), [(34, False), (35, True)])
def test_an_interpreter_newer_than_amazon_linux_2023_glibc_is_warned_about(
    fresh_stack: Callable[..., cdk.Stack], tmp_path: Path, glibc_minor: int, warned: bool
) -> None:
    stack = fresh_stack()
    prefix = fake_cpython(tmp_path / "py", "aarch64", glibc_minor)
    build(stack, interpreter=InterpreterSource.directory(prefix))
    annotations = Annotations.from_stack(stack)
    if warned:
        annotations.has_warning(
            "/Test/CPython313Aarch64Directory",
            Match.string_like_regexp(
                f"needs glibc 2.35, but Lambda's Amazon Linux 2023 has 2.34.*"
                f"will not start on AWS.*{INTERPRETER_WARNING_ID}"
            ),
        )
    else:
        annotations.has_no_warning("*", Match.any_value())


def test_python_build_standalone_needs_uv_only_when_assets_are_built(tmp_path: Path) -> None:
    missing = InterpreterSource.python_build_standalone(uv="no-such-uv")
    skipped = cdk.Stack(
        cdk.App(outdir=str(tmp_path / "a"), context={"aws:cdk:bundling-stacks": []}), "Test"
    )
    build(skipped, interpreter=missing)  # nothing will be built: fine
    bundled = cdk.Stack(cdk.App(outdir=str(tmp_path / "b")), "Test")
    with pytest.raises(
        ValueError, match=r"`no-such-uv` is not on PATH: install it \(pip install uv\)"
    ):
        build(bundled, interpreter=missing)

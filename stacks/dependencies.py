"""Installing a function's third-party dependencies for Lambda's platform, without Docker.

pip can install wheels built for another platform than the build machine's: with
``--platform``/``--python-version``/``--implementation``/``--abi`` and ``--only-binary=:all:``
it resolves and unpacks manylinux wheels for the target CPU and CPython (the idea, not the code,
of aws-lambda-python-alpha's local bundling; ../shared/docs/cdk-packaging.md §1.3). Packages that
publish only source distributions cannot be cross-installed; the error says so.

Results are cached by a digest of every input (build_cache.py), so re-synthesizing is quick.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from stacks.build_cache import cached_directory, digest
from stacks.bytecode import host_python, precompile
from stacks.target import Target

_INCLUDE = re.compile(r"^\s*(?:-r|--requirement|-c|--constraint)[\s=]+(\S+)")


class DependencyInstallError(RuntimeError):
    """pip could not install the function's dependencies for the target platform."""


@dataclass(frozen=True, slots=True)
class Requirements:
    """What to install: requirements files and/or single requirement lines."""

    files: tuple[Path, ...] = ()
    lines: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.files or self.lines)

    def key_parts(self) -> list[str]:
        """Everything that determines the install: file contents (with -r/-c includes) and lines."""
        parts: list[str] = []
        for path in self.files:
            parts.extend(_read_with_includes(path, seen=set()))
        return [*parts, "--lines--", *self.lines]


def install(requirements: Requirements, target: Target) -> Path:
    """Cross-install ``requirements`` for ``target``; return the (cached) site directory."""
    pip_version = _pip_version()
    key = digest(
        ["deps", pip_version, target.python_version, target.machine, *requirements.key_parts()]
    )
    return cached_directory("deps", key, lambda out: _pip_install(requirements, target, out))


def _pip_install(requirements: Requirements, target: Target, out: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="requirements-") as scratch:
        args: list[str] = []
        for path in requirements.files:
            args += ["-r", str(path)]
        if requirements.lines:
            listed = Path(scratch) / "requirements.txt"
            listed.write_text("\n".join(requirements.lines) + "\n")
            args += ["-r", str(listed)]
        platforms = [arg for tag in target.pip_platforms for arg in ("--platform", tag)]
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "--no-input",
                "--no-compile",
                "--target",
                str(out),
                *platforms,
                "--implementation",
                "cp",
                "--python-version",
                target.python_version,
                "--abi",
                target.abi,
                "--only-binary=:all:",
                *args,
            ],
            capture_output=True,
            text=True,
            timeout=1800,
            check=False,
        )
    if result.returncode != 0:
        raise DependencyInstallError(
            f"pip could not install the function's dependencies for CPython "
            f"{target.python_version} on {target.machine} Linux:\n{result.stderr.strip()[-1500:]}\n"
            "Every dependency must publish a wheel for manylinux/"
            f"{target.machine} (or a pure-Python wheel): pin a version that does, or vendor the "
            "package into the entry directory."
        )
    # Console scripts carry this build machine's interpreter path: useless on Lambda.
    shutil.rmtree(out / "bin", ignore_errors=True)
    python = host_python(target.python_version)
    if python is not None:
        precompile(out, python)


def _pip_version() -> str:
    result = subprocess.run(
        [sys.executable, "-m", "pip", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if result.returncode != 0:
        raise DependencyInstallError(
            f"installing the function's dependencies needs pip in the Python running the CDK "
            f"app ({sys.executable}), and `python -m pip` failed: {result.stderr.strip()}. "
            "Install it with `python -m ensurepip` (or `uv venv --seed`)."
        )
    return result.stdout.split()[1]


def _read_with_includes(path: Path, seen: set[Path]) -> list[str]:
    resolved = path.resolve()
    if resolved in seen:
        return []
    seen.add(resolved)
    text = resolved.read_text()
    parts = [str(resolved.name), text]
    for line in text.splitlines():
        match = _INCLUDE.match(line)
        if match:
            parts += _read_with_includes(resolved.parent / match.group(1), seen)
    return parts


def find_uv(name: str = "uv") -> str | None:
    """``uv`` on PATH, else the one installed next to the Python running the CDK app (a venv's
    ``bin/``, where ``pip install uv`` puts it even when the venv is not activated)."""
    found = shutil.which(name)
    if found is None and name == "uv":
        beside = Path(sys.executable).parent / "uv"
        found = str(beside) if beside.is_file() and os.access(beside, os.X_OK) else None
    return found


def as_requirements(
    value: str | os.PathLike[str] | Sequence[str] | None, entry: Path, *, uv: str | None = None
) -> Requirements:
    """Normalize the construct's ``requirements`` prop (see StreamingPythonFunction).

    A path may name a requirements file, a ``pyproject.toml`` (its ``[project] dependencies``)
    or a ``uv.lock`` (exported with ``uv export --frozen``, offline: the exact locked versions).
    Without a value: ``entry/requirements.txt``, else ``entry/uv.lock``, else
    ``entry/pyproject.toml``, else nothing.
    """
    if value is None:
        for name in ("requirements.txt", "uv.lock", "pyproject.toml"):
            if (entry / name).is_file():
                return as_requirements(entry / name, entry, uv=uv)
        return Requirements()
    if isinstance(value, (str, os.PathLike)):
        path = Path(value).expanduser().resolve()
        if not path.is_file():
            raise ValueError(
                f"requirements={str(value)!r} is not a file: pass the path of a requirements "
                "file, a pyproject.toml or a uv.lock, or a list of requirement lines such as "
                '["boto3==1.44.5"].'
            )
        if path.name == "uv.lock":
            return Requirements(lines=_uv_export(path, uv or find_uv() or "uv"))
        if path.name == "pyproject.toml":
            return Requirements(lines=_project_dependencies(path))
        return Requirements(files=(path,))
    if isinstance(value, (bytes, bytearray)):
        raise TypeError("requirements= takes a path or a list of strings, not bytes.")
    lines = tuple(value)
    if not all(isinstance(line, str) and line.strip() for line in lines):
        raise ValueError(
            "requirements must be a file path or a list of non-empty requirement strings, "
            f"got {value!r}."
        )
    return Requirements(lines=lines)


def _project_dependencies(path: Path) -> tuple[str, ...]:
    try:
        project = tomllib.loads(path.read_text(encoding="utf-8")).get("project", {})
    except tomllib.TOMLDecodeError as error:
        raise ValueError(f"requirements={str(path)!r}: not valid TOML ({error}).") from error
    dependencies = project.get("dependencies", [])
    if not isinstance(dependencies, list) or not all(isinstance(d, str) for d in dependencies):
        raise ValueError(f"{path}: [project] dependencies must be a list of strings.")
    if "dependencies" in project.get("dynamic", []):
        raise ValueError(
            f"{path}: its dependencies are dynamic (computed by the build backend); pass a "
            "requirements file or a uv.lock instead."
        )
    return tuple(dependencies)


def _uv_export(lock: Path, uv: str) -> tuple[str, ...]:
    if not (lock.parent / "pyproject.toml").is_file():
        raise ValueError(f"{lock}: a uv.lock needs its pyproject.toml next to it.")
    command = [
        uv,
        "export",
        "--frozen",
        "--no-dev",
        "--no-hashes",
        "--no-emit-project",
        "--no-header",
        "--no-annotate",
        "--format",
        "requirements-txt",
    ]
    try:
        result = subprocess.run(
            command, cwd=lock.parent, capture_output=True, text=True, timeout=120, check=False
        )
    except FileNotFoundError:
        raise DependencyInstallError(
            f"requirements={str(lock)!r} is a uv.lock, which `{uv} export` turns into pinned "
            "requirements, but uv is not installed: pip install uv (or pass a requirements "
            "file)."
        ) from None
    if result.returncode != 0:
        raise DependencyInstallError(
            f"`uv export --frozen` of {lock} failed: {result.stderr.strip()[-800:]}"
        )
    lines = [
        line.strip()
        for line in result.stdout.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    return tuple(lines)

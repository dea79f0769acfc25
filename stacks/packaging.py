"""The function asset: handler code + its dependencies + the streaming runtime, in one directory.

What Lambda unpacks into ``/var/task``::

    bootstrap              the runtime's entry (mode 0755), from runtime/
    lambda_streaming/      the runtime package, from runtime/
    <dependencies>/        runtime/requirements.txt + the function's requirements, cross-installed
    <entry contents>       the handler code, minus caches and virtual environments

Everything is bundled locally (no Docker). The asset hash is a digest of every input, so an
unchanged function is neither rebuilt nor redeployed. This module does not know about layers,
interpreters or IAM.
"""

from __future__ import annotations

import fnmatch
import os
import re
import shutil
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import AssetHashType, BundlingOptions, DockerImage, ILocalBundling
from aws_cdk import aws_lambda as lambda_

from stacks import dependencies, package_size
from stacks.build_cache import copy_tree, digest
from stacks.bytecode import host_python, precompile
from stacks.dependencies import Requirements
from stacks.target import Target

#: Entry-directory names never copied into the asset.
DEFAULT_EXCLUDES = (
    "__pycache__",
    "*.pyc",
    ".venv",
    "venv",
    ".git",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    "node_modules",
    "cdk.out",
    ".DS_Store",
)
#: What the runtime contributes to the asset root (RUNTIME_API.md: bootstrap + package).
RUNTIME_FILES = ("bootstrap", "lambda_streaming")
_PACKAGING_VERSION = "1"  # bump when the asset's layout changes
_HANDLER = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)+$")


def runtime_dir() -> Path:
    """The shipped runtime: ``stacks/_runtime`` in a wheel, else ``runtime/`` in the repo."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "_runtime", here.parent / "runtime"):
        if (candidate / "bootstrap").is_file():
            return candidate
    raise FileNotFoundError(
        f"the streaming runtime is missing: neither {here / '_runtime'} nor "
        f"{here.parent / 'runtime'} holds a `bootstrap`. Reinstall the package (pip install "
        "<repo>) or restore runtime/ in the checkout."
    )


def check_entry(entry: Path, handler: str, exclude: Sequence[str]) -> None:
    """Fail with an actionable message unless ``entry`` can serve ``handler``."""
    if not entry.is_dir():
        raise ValueError(
            f"entry={str(entry)!r} is not a directory: pass the folder that holds "
            "the handler's module."
        )
    if not _HANDLER.match(handler):
        raise ValueError(
            f"handler={handler!r} must look like 'module.function' (dotted "
            "packages allowed), e.g. 'app.handler'."
        )
    module = handler.rsplit(".", 1)[0].replace(".", "/")
    if not ((entry / f"{module}.py").is_file() or (entry / module / "__init__.py").is_file()):
        listed = sorted(p.name for p in entry.glob("*.py"))[:10]
        raise ValueError(
            f"handler={handler!r} needs {entry / module}.py (or a package "
            f"{module}/), which does not exist; Python files in entry: {listed}."
        )
    for name in RUNTIME_FILES:
        if (entry / name).exists() and not _excluded(name, exclude):
            raise ValueError(
                f"{entry / name} would overwrite the streaming runtime's {name} in "
                "the asset: rename it, or add it to exclude."
            )


def function_code(
    *, entry: Path, requirements: Requirements, target: Target, exclude: Sequence[str]
) -> tuple[lambda_.Code, str]:
    """The function's ``lambda_.Code`` (bundled locally, hashed from its inputs) and its key."""
    runtime = runtime_dir()
    requirements = with_runtime_requirements(requirements)
    key = digest(
        [
            "function",
            _PACKAGING_VERSION,
            target.python_version,
            target.machine,
            *requirements.key_parts(),
            "--runtime--",
            *_tree_fingerprint(runtime, RUNTIME_FILES, DEFAULT_EXCLUDES),
            "--entry--",
            *_tree_fingerprint(entry, None, exclude),
            "--exclude--",
            *exclude,
        ]
    )
    bundler = _FunctionBundler(entry, runtime, requirements, target, tuple(exclude), key=key)
    code = lambda_.Code.from_asset(
        str(entry),
        asset_hash=key,
        asset_hash_type=AssetHashType.CUSTOM,
        # The image is never pulled: local bundling always succeeds or raises.
        bundling=BundlingOptions(image=DockerImage.from_registry("scratch"), local=bundler),
    )
    return code, key


def with_runtime_requirements(requirements: Requirements) -> Requirements:
    """What the asset installs: the runtime's own requirements, then the function's.

    One pip run resolves both, so they cannot disagree on a shared dependency's version.
    """
    runtime = runtime_dir() / "requirements.txt"
    return replace(requirements, files=(runtime, *requirements.files))


@jsii.implements(ILocalBundling)
class _FunctionBundler:
    def __init__(
        self,
        entry: Path,
        runtime: Path,
        requirements: Requirements,
        target: Target,
        exclude: tuple[str, ...],
        *,
        key: str,
    ) -> None:
        self._entry, self._runtime, self._requirements = entry, runtime, requirements
        self._target, self._exclude, self._key = target, exclude, key

    def try_bundle(self, output_dir: str, *_options: Any, **_kw: Any) -> bool:
        out = Path(output_dir)
        copy_tree(dependencies.install(self._requirements, self._target), out)
        for name in RUNTIME_FILES:
            _copy(self._runtime / name, out / name, DEFAULT_EXCLUDES)
        for child in sorted(self._entry.iterdir()):
            if not _excluded(child.name, self._exclude):
                _copy(child, out / child.name, self._exclude)
        python = host_python(self._target.python_version)
        if python is not None:
            precompile(out, python)
        _make_readable(out)
        (out / "bootstrap").chmod(0o755)  # wheels and some checkouts drop the executable bit
        package_size.record(self._key, "function code", out)
        return True


def _copy(source: Path, destination: Path, exclude: Sequence[str]) -> None:
    if source.is_dir():
        shutil.copytree(
            source,
            destination,
            dirs_exist_ok=True,
            ignore=lambda _dir, names: {n for n in names if _excluded(n, exclude)},
        )
    else:
        shutil.copy2(source, destination)


def _excluded(name: str, exclude: Sequence[str]) -> bool:
    return any(fnmatch.fnmatch(name, pattern) for pattern in exclude)


def _make_readable(root: Path) -> None:
    """Lambda runs the code as another user than the one who built it: everything a+r(x)."""
    for directory, dirs, files in os.walk(root):
        Path(directory).chmod(0o755)
        for name in files:
            path = Path(directory) / name
            path.chmod(path.stat().st_mode | 0o444)
        del dirs


def _tree_fingerprint(root: Path, only: Sequence[str] | None, exclude: Sequence[str]) -> list[str]:
    parts: list[str] = []
    for directory, dirs, files in os.walk(root):
        here = Path(directory)
        top = here == root
        dirs[:] = sorted(
            d for d in dirs if not _excluded(d, exclude) and (not top or only is None or d in only)
        )
        for name in sorted(files):
            if _excluded(name, exclude) or (top and only is not None and name not in only):
                continue
            path = here / name
            parts += [str(path.relative_to(root)), digest([path.read_bytes()])]
    return parts

"""Precompiling ``.py`` files to ``.pyc`` for a read-only Lambda filesystem.

``/opt`` and ``/var/task`` are read-only on Lambda, so CPython cannot cache bytecode there and
recompiles every imported module on every cold start (measured: stdlib imports 0.25 s without
``.pyc``, 0.05 s with; ../shared/docs/cdk-packaging.md §1.3). ``unchecked-hash`` ``.pyc`` files
are used without comparing timestamps, which asset zips do not preserve reliably.

Bytecode is version-specific, so compiling needs a CPython of the target's minor version on the
build machine; this module finds one or reports that none is available.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path


def host_python(python_version: str, extra: Sequence[Path] = ()) -> list[str] | None:
    """A command prefix running a CPython ``python_version`` on this machine, or None.

    Tries the Python running the CDK app, then each of ``extra`` (e.g. a freshly laid-out
    interpreter, which runs only if its architecture is the build machine's), then
    ``pythonX.Y`` on PATH.
    """
    if "{}.{}".format(*sys.version_info[:2]) == python_version:
        return [sys.executable]
    on_path = shutil.which(f"python{python_version}")
    candidates = [str(path) for path in extra] + ([on_path] if on_path else [])
    for candidate in candidates:
        if _reports_version(candidate, python_version):
            return [candidate]
    return None


def precompile(tree: Path, python: Sequence[str], env: Mapping[str, str] | None = None) -> None:
    """Write unchecked-hash ``.pyc`` files for every ``.py`` under ``tree``.

    A file that does not compile (e.g. a template with ``.py`` suffix) is skipped, as pip does:
    it will be compiled at import time instead, if it is ever imported.
    """
    subprocess.run(
        [
            *python,
            "-m",
            "compileall",
            "-q",
            "-j",
            "0",
            "--invalidation-mode",
            "unchecked-hash",
            str(tree),
        ],
        check=False,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, **(env or {})},
        timeout=600,
    )


def _reports_version(executable: str, python_version: str) -> bool:
    try:
        result = subprocess.run(
            [executable, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=30,
            env={**os.environ, "LD_LIBRARY_PATH": str(Path(executable).parent.parent / "lib")},
            check=False,
        )
    except OSError:  # e.g. an aarch64 binary on an x86_64 build machine
        return False
    return result.returncode == 0 and result.stdout.strip() == python_version

"""A CPython prefix on disk (``InterpreterSource.directory``): whether Lambda can run it, and
its fingerprint.

The check reads the prefix's ELF files: the newest glibc symbol version they need (Amazon Linux
2023 has 2.34) and the shared libraries they need that neither the prefix's own ``lib/`` nor
Lambda's provided.al2023 image has (stacks/al2023_libraries.txt). Either means the interpreter,
or some stdlib modules, would fail to load on AWS while working on the build machine.
"""

from __future__ import annotations

import os
from pathlib import Path

from stacks.layer_layout import (
    AL2023_GLIBC,
    InterpreterLayoutError,
    check_prefix,
    dangling_links,
    missing_libraries,
    required_glibc,
)
from stacks.target import Target


def lambda_readiness(prefix: Path, target: Target, *, allow_missing_libraries: bool) -> list[str]:
    """Raise unless ``prefix`` is a CPython for ``target``; return the warnings to show.

    Shared libraries missing on Lambda raise too, unless ``allow_missing_libraries``.
    """
    check_prefix(prefix, target)
    warnings = [f"{prefix}: skipped {link}" for link in dangling_links(prefix)]
    glibc = required_glibc(prefix, target)
    if glibc is not None and glibc > AL2023_GLIBC:
        warnings.append(
            f"The CPython at {prefix} needs glibc {glibc[0]}.{glibc[1]}, but Lambda's "
            f"Amazon Linux 2023 has {AL2023_GLIBC[0]}.{AL2023_GLIBC[1]}: the layer works for "
            "offline synth and local tests, but the function will not start on AWS. Deploy "
            "with InterpreterSource.python_build_standalone() or .lambda_image(), or point "
            "at a CPython built on glibc 2.34 or older."
        )
    absent = missing_libraries(prefix, target)
    if absent:
        listed = "; ".join(
            f"{name} (needed by {', '.join(sorted(users)[:3])})"
            for name, users in sorted(absent.items())
        )
        message = (
            f"The CPython at {prefix} needs shared libraries that neither its lib/ "
            f"nor Lambda's provided.al2023 image has: {listed}. On AWS the interpreter or "
            "those stdlib modules would fail to load. Deploy with "
            "InterpreterSource.python_build_standalone() (self-contained), copy the "
            "libraries into the prefix's lib/, or pass "
            "InterpreterSource.directory(..., allow_missing_libraries=True) if you only "
            "synthesize offline or checked the image yourself (list: "
            "stacks/al2023_libraries.txt)."
        )
        if not allow_missing_libraries:
            raise InterpreterLayoutError(message)
        warnings.append(message)
    return warnings


def fingerprint_prefix(prefix: Path, target: Target) -> list[str]:
    """Names, sizes and mtimes of what lay_out() reads: cheap, and changes when they change."""
    try:
        check_prefix(prefix, target)
    except InterpreterLayoutError:
        return [str(prefix)]
    files = [prefix / "bin" / target.interpreter_name, *sorted((prefix / "lib").glob("*.so*"))]
    for root, dirs, names in os.walk(prefix / "lib" / target.interpreter_name):
        dirs.sort()
        files.extend(Path(root) / name for name in sorted(names))
    parts = [str(prefix)]
    for path in files:
        if not path.exists():  # a dangling link: lay_out skips it too
            continue
        stat = path.stat()
        parts.append(f"{path.relative_to(prefix)}:{stat.st_size}:{stat.st_mtime_ns}")
    return parts

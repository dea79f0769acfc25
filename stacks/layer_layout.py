"""Laying out a CPython installation as a Lambda layer: ``bin/`` + ``lib/`` at the layer root.

Lambda unpacks layers into ``/opt`` and already has ``/opt/bin`` on ``PATH`` and ``/opt/lib`` on
``LD_LIBRARY_PATH``; CPython finds its standard library from the executable's location, so a
prefix copied there needs no ``PYTHONHOME`` (../shared/docs/cdk-packaging.md §1.2).

This module copies only what runs an application: the versioned interpreter, its shared
libraries and the standard library, without the test suite, IDLE, Tk, ``ensurepip``,
``site-packages``, the static-linking ``config-*`` directory or test extension modules.
Symlinks are resolved (layer zips are not guaranteed to keep them). Native files are stripped
when the build machine's ``strip`` understands them, and the standard library is precompiled.
It does not know where the prefix came from (see interpreter/).
"""

from __future__ import annotations

import fnmatch
import re
import shutil
import subprocess
from pathlib import Path

from stacks.bytecode import host_python, precompile
from stacks.shared_libraries import missing
from stacks.target import Target, elf_machine_of, machine_name

#: Parts of ``lib/pythonX.Y`` a Lambda function never uses; about 170 MB of a full install.
STDLIB_EXCLUDES = (
    "__pycache__",
    "*.pyc",
    "test",
    "tests",
    "idlelib",
    "tkinter",
    "turtledemo",
    "ensurepip",
    "site-packages",
    "config-*",
    "lib2to3",
    "_test*.so",
    "_xxtestfuzz*.so",
    "xxlimited*.so",
    "_ctypes_test*.so",
    "_tkinter*.so",
    "*.a",
)


class InterpreterLayoutError(ValueError):
    """A directory is not a usable CPython prefix for the target."""


def check_prefix(prefix: Path, target: Target) -> None:
    """Fail with an actionable message unless ``prefix`` holds a CPython for ``target``."""
    executable = prefix / "bin" / target.interpreter_name
    stdlib = prefix / "lib" / target.interpreter_name
    if not executable.is_file():
        raise InterpreterLayoutError(
            f"{prefix} has no bin/{target.interpreter_name}: point the directory interpreter "
            f"source at a CPython {target.python_version} prefix laid out as bin/ + lib/ "
            "(for example the output of `uv python find` two levels up, or /var/lang copied "
            "out of public.ecr.aws/lambda/python)."
        )
    if not (stdlib / "os.py").is_file():
        raise InterpreterLayoutError(
            f"{prefix} has no lib/{target.interpreter_name}/os.py, so it is not a CPython "
            f"{target.python_version} installation prefix (bin/ + lib/)."
        )
    found = elf_machine_of(executable)
    if found != target.elf_machine:
        raise InterpreterLayoutError(
            f"{executable} is built for {machine_name(found)}, but the function runs on "
            f"{target.machine}: pass a CPython built for {target.machine}, or build the "
            "function for the interpreter's architecture (architecture=lambda_.Architecture."
            f"{'X86_64' if found == 62 else 'ARM_64'})."
        )


def lay_out(prefix: Path, out: Path, target: Target) -> None:
    """Copy the runnable part of the CPython at ``prefix`` into ``out`` as bin/ + lib/."""
    check_prefix(prefix, target)
    (out / "bin").mkdir(parents=True, exist_ok=True)
    executable = out / "bin" / target.interpreter_name
    shutil.copy2(prefix / "bin" / target.interpreter_name, executable)
    executable.chmod(0o755)
    (out / "lib").mkdir(exist_ok=True)
    for library in sorted((prefix / "lib").glob("*.so*")):
        # `libpython3.13.so` is a link-time name; the loader asks for the SONAME
        # (`libpython3.13.so.1.0`), which is the file or a versioned symlink to it.
        if library.is_symlink() and library.name.endswith(".so"):
            continue
        if not library.exists():  # dangling: validate() warned about it
            continue
        shutil.copy2(library.resolve(), out / "lib" / library.name)
    shutil.copytree(
        prefix / "lib" / target.interpreter_name,
        out / "lib" / target.interpreter_name,
        symlinks=False,
        ignore=_ignore_excluded,
        ignore_dangling_symlinks=True,  # validate() warned about each
    )
    _strip_native(out)
    python = host_python(target.python_version, extra=[executable])
    if python is not None:
        precompile(
            out / "lib" / target.interpreter_name, python, env={"LD_LIBRARY_PATH": str(out / "lib")}
        )


def dangling_links(prefix: Path) -> list[str]:
    """Symlinks in what lay_out() copies whose target is missing (lay_out skips them)."""
    found = []
    for root in (prefix / "lib",):
        for path in sorted(root.rglob("*")) if root.is_dir() else []:
            if path.is_symlink() and not path.exists():
                found.append(f"dangling symlink {path.relative_to(prefix)} -> {path.readlink()}")
    return found


def native_files(prefix: Path, target: Target) -> list[Path]:
    """The ELF files lay_out() puts in the layer: interpreter, lib/*.so*, extension modules."""
    stdlib = prefix / "lib" / target.interpreter_name
    candidates = [prefix / "bin" / target.interpreter_name]
    candidates += sorted((prefix / "lib").glob("*.so*"))
    for path in sorted(stdlib.rglob("*.so")):
        relative = path.relative_to(stdlib).parts
        if not any(fnmatch.fnmatch(part, p) for part in relative for p in STDLIB_EXCLUDES):
            candidates.append(path)
    return [path for path in candidates if path.is_file() and _is_elf(path)]


def missing_libraries(prefix: Path, target: Target) -> dict[str, list[str]]:
    """Shared libraries the layer's native files need that neither it nor Lambda provides."""
    own = [path.name for path in (prefix / "lib").glob("*.so*")]
    return missing(native_files(prefix, target), own)


def _ignore_excluded(_directory: str, names: list[str]) -> set[str]:
    return {name for name in names if any(fnmatch.fnmatch(name, p) for p in STDLIB_EXCLUDES)}


def _strip_native(root: Path) -> None:
    """Drop debug symbols from ELF files if this machine's ``strip`` handles their format."""
    strip = shutil.which("strip")
    if strip is None:
        return
    native = [path for path in root.rglob("*") if path.is_file() and _is_elf(path)]
    for path in native:
        # An x86_64 binutils cannot read aarch64 files: the layer then stays unstripped.
        subprocess.run(
            [strip, "--strip-unneeded", str(path)], check=False, capture_output=True, timeout=120
        )


def _is_elf(path: Path) -> bool:
    with path.open("rb") as file:
        return file.read(4) == b"\x7fELF"


#: glibc of Amazon Linux 2023, the OS of provided.al2023 and the python3.1x managed runtimes.
AL2023_GLIBC = (2, 34)


def required_glibc(prefix: Path, target: Target) -> tuple[int, int] | None:
    """The newest ``GLIBC_2.x`` symbol version the interpreter's native files ask for.

    Reads the version-needed names straight from the files (they sit in ``.dynstr`` as plain
    ``GLIBC_2.NN`` strings), so no binutils are needed.
    """
    native = [prefix / "bin" / target.interpreter_name, *sorted((prefix / "lib").glob("*.so*"))]
    native += sorted((prefix / "lib" / target.interpreter_name / "lib-dynload").glob("*.so"))
    newest: tuple[int, int] | None = None
    for path in native:
        if not path.is_file():
            continue
        for minor in re.findall(rb"GLIBC_2\.(\d+)", path.read_bytes()):
            version = (2, int(minor))
            newest = version if newest is None or version > newest else newest
    return newest

"""Running a command in an isolated root with bubblewrap (user, mount and PID namespaces).

The root is a fresh tmpfs holding only the OS (``/usr``, ``/etc`` and the merged-usr links,
read-only) plus the directories a test maps in: nothing of the repository, its virtual
environment, ``/root`` or ``/home`` is visible unless mapped, and the OS's own Pythons are
masked (their executables replaced by ``/dev/null``, their libraries by empty directories), so a
process inside can only use an interpreter that was mapped in. The network namespace is
shared, so a process inside reaches loopback servers the test runs outside.

What it is not: Amazon Linux 2023. The OS libraries are this machine's (glibc, OpenSSL), so it
proves the asset is self-contained apart from the OS, not that it matches AL2023's OS.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path

import pytest

_OS_DIRS = ("/usr", "/etc")
_MERGED_USR = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")


def bwrap() -> str:
    """The bwrap executable, or a test failure that says how to get it."""
    found = shutil.which("bwrap")
    if found is None:
        pytest.fail(
            "bubblewrap (bwrap) is missing: scripts/setup.sh installs it "
            "(apt-get install bubblewrap)"
        )
    return found


def isolated(
    command: list[str],
    *,
    read_only: Mapping[Path, str] = {},
    writable: Mapping[Path, str] = {},
    env: Mapping[str, str] = {},
    cwd: str = "/",
    inherit_env: bool = False,
) -> list[str]:
    """The argv running ``command`` in an isolated root with the given mappings.

    The environment is only ``env``, unless ``inherit_env`` keeps the caller's (``env`` then
    overrides).
    """
    args = [
        bwrap(),
        "--unshare-user",
        "--unshare-pid",
        "--unshare-ipc",
        "--unshare-uts",
        "--die-with-parent",
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        "--tmpfs",
        "/tmp",
    ]
    if not inherit_env:
        args.append("--clearenv")
    for directory in _OS_DIRS:
        args += ["--ro-bind", directory, directory]
    args += _hide_host_pythons()
    for directory in _MERGED_USR:
        path = Path(directory)
        if path.is_symlink():
            args += ["--symlink", str(path.readlink()), directory]
        elif path.is_dir():
            args += ["--ro-bind", directory, directory]
    for host, inside in read_only.items():
        args += ["--ro-bind", str(host), inside]
    for host, inside in writable.items():
        args += ["--bind", str(host), inside]
    for key, value in env.items():
        args += ["--setenv", key, value]
    return [*args, "--chdir", cwd, "--", *command]


def _hide_host_pythons() -> list[str]:
    args = []
    for pattern in ("python*", "pip*", "pydoc*"):
        for executable in sorted(Path("/usr/bin").glob(pattern)):
            if executable.is_file() and not executable.is_symlink():
                args += ["--ro-bind", "/dev/null", str(executable)]
    for library in sorted(Path("/usr/lib").glob("python3*")):
        if library.is_dir() and not library.is_symlink():
            args += ["--tmpfs", str(library)]
    if Path("/usr/local").is_dir():
        args += ["--tmpfs", "/usr/local"]
    return args

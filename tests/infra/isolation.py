"""Running a command in an isolated root with bubblewrap (user, mount and PID namespaces).

The root is a fresh tmpfs holding only the OS (``/usr``, ``/etc`` and the merged-usr links,
read-only) plus the directories a test maps in: nothing of the repository, its virtual
environment or this machine's Python installations is visible unless mapped. The network
namespace is shared, so a process inside reaches loopback servers the test runs outside.
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
) -> list[str]:
    """The argv running ``command`` in an isolated root with the given mappings and only ``env``."""
    args = [
        bwrap(),
        "--unshare-user",
        "--unshare-pid",
        "--unshare-ipc",
        "--unshare-uts",
        "--die-with-parent",
        "--new-session",
        "--clearenv",
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        "--tmpfs",
        "/tmp",
    ]
    for directory in _OS_DIRS:
        args += ["--ro-bind", directory, directory]
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

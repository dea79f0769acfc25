"""A directory cache for slow, deterministic build steps (pip cross-installs, interpreter layouts).

Synthesizing an app bundles every asset again into a fresh ``cdk.out``; without a cache each
synth would re-run pip and re-lay-out CPython. An entry is a directory named by the caller's
key (a digest of every input of the step), built once into a temporary sibling and renamed
into place, so a crash or a concurrent build never leaves a half-built entry behind.

Location: ``$LAMBDA_STREAMING_CACHE_DIR``, else ``$XDG_CACHE_HOME/lambda-streaming``, else
``~/.cache/lambda-streaming``. Deleting it is always safe.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

CACHE_DIR_ENV = "LAMBDA_STREAMING_CACHE_DIR"


def cache_root() -> Path:
    """The cache directory (not created)."""
    explicit = os.environ.get(CACHE_DIR_ENV)
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "lambda-streaming"


def digest(parts: Iterable[str | bytes]) -> str:
    """A stable hex digest of an ordered sequence of strings and bytes."""
    sha = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        sha.update(len(data).to_bytes(8, "big"))
        sha.update(data)
    return sha.hexdigest()


def cached_directory(kind: str, key: str, build: Callable[[Path], None]) -> Path:
    """Return the cache entry ``kind/key``, calling ``build(empty_dir)`` first if it is missing.

    ``build`` fills the directory it is given; if it raises, nothing is cached.
    """
    entry = cache_root() / kind / key
    if entry.is_dir():
        return entry
    entry.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{key[:12]}-", dir=entry.parent))
    try:
        build(scratch)
        scratch.chmod(0o755)  # mkdtemp made it private; it becomes an asset's root
        try:
            scratch.rename(entry)
        except OSError:
            if not entry.is_dir():  # not a lost race with another builder: a real error
                raise
    finally:
        if scratch.exists():
            shutil.rmtree(scratch, ignore_errors=True)
    return entry


def copy_tree(source: Path, destination: Path) -> None:
    """Copy a cache entry's contents into ``destination`` (merged, symlinks kept as links)."""
    shutil.copytree(source, destination, symlinks=True, dirs_exist_ok=True)

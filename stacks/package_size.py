"""Lambda's 250 MB limit on a function's unzipped code plus layers, checked at synth.

Lambda refuses, at deploy time, a function whose deployment package and layers together exceed
262,144,000 bytes unzipped (Lambda quotas page, "Deployment package (.zip file archive) size":
"250 MB (unzipped)", "This quota applies to all the files you upload, including layers").
The bundlers of this package record what they built (``record``); the construct then sums its
function's asset and layers (``check``) and fails the synth naming the biggest contributors.

Measurements are kept in the build cache by asset key, so a synth that finds an asset already
staged (and skips bundling) still knows its size. Layers the construct did not build (``layers=``
of your own) are not measured: their size is not known at synth time.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

import jsii
from constructs import IValidation

from stacks.build_cache import cache_root

#: Lambda's limit, in bytes: function code and all its layers, unzipped.
UNZIPPED_LIMIT = 262_144_000
_TOP = 5


def record(key: str, label: str, root: Path) -> None:
    """Measure the asset built into ``root`` and remember it under ``key``."""
    parts: dict[str, int] = {}
    for directory, _dirs, files in os.walk(root):
        relative = Path(directory).relative_to(root).parts
        for name in files:
            path = Path(directory) / name
            if path.is_symlink():
                continue
            top = relative[0] if relative else name
            # Name packages by their top two levels inside layer prefixes (python/, lib/).
            if relative and relative[0] in ("python", "lib") and len(relative) > 1:
                top = f"{relative[0]}/{relative[1]}"
            parts[top] = parts.get(top, 0) + path.stat().st_size
    target = _file(key)
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = target.with_suffix(f".{os.getpid()}.tmp")
    scratch.write_text(json.dumps({"label": label, "parts": parts}))
    scratch.replace(target)


def measured(key: str) -> tuple[str, dict[str, int]] | None:
    """What ``record`` stored for ``key``, or None if that asset was never built here."""
    try:
        document = json.loads(_file(key).read_text())
    except (OSError, ValueError):
        return None
    return str(document["label"]), {str(k): int(v) for k, v in document["parts"].items()}


def check(keys: Sequence[str], *, what: str) -> list[str]:
    """Errors (empty if fine) for a function made of the assets ``keys``."""
    found = [m for m in (measured(key) for key in keys) if m is not None]
    total = sum(sum(parts.values()) for _, parts in found)
    if total <= UNZIPPED_LIMIT:
        return []
    contributors = sorted(
        ((size, f"{label}: {name}") for label, parts in found for name, size in parts.items()),
        reverse=True,
    )[:_TOP]
    listed = ", ".join(f"{name} {size / 1e6:.1f} MB" for size, name in contributors)
    return [
        f"{what}: code and layers add up to {total / 1e6:.1f} MB unzipped; Lambda's limit is "
        f"{UNZIPPED_LIMIT / 1e6:.1f} MB (250 MiB) and the deploy would fail. Biggest: {listed}. "
        "Drop unused dependencies, move big ones to a shared dependencies layer only if the "
        "total still fits, or use a container image function."
    ]


@jsii.implements(IValidation)
class SizeCheck:
    """A construct validation running :func:`check` at synth, after the assets were built."""

    def __init__(self, keys: list[str], path: str) -> None:
        self._keys, self._path = keys, path

    def validate(self) -> list[str]:
        return check(self._keys, what=self._path)


def _file(key: str) -> Path:
    return cache_root() / "sizes" / f"{key}.json"

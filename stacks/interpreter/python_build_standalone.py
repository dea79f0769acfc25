"""python-build-standalone through ``uv``: which build a request resolves to, and installing it.

The build is resolved offline from uv's own download list (``uv python list --only-downloads``),
so the layer's asset key names that exact build; uv checks the archive's SHA-256 against the
same list when ``uv python install`` downloads it into a scratch directory, from which
layer_layout.lay_out() builds the layer.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import tempfile
from pathlib import Path

from stacks.dependencies import find_uv
from stacks.layer_layout import InterpreterLayoutError, lay_out
from stacks.target import Target


def resolve_build(uv: str, request: str) -> dict[str, str] | None:
    """``uv python list <request> --only-downloads``: the build uv would download, offline."""
    found = find_uv(uv)
    if found is None:
        return None
    result = subprocess.run(
        [found, "python", "list", request, "--only-downloads", "--output-format", "json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "UV_OFFLINE": "1", "NO_COLOR": "1"},
    )
    if result.returncode != 0:
        return None
    try:
        builds = json.loads(result.stdout)
    except ValueError:
        return None
    for build in builds:
        if isinstance(build, dict) and build.get("url") and build.get("key"):
            return {
                "key": str(build["key"]),
                "version": str(build["version"]),
                "url": str(build["url"]),
            }
    return None


def install_layer(
    out: Path, *, uv: str, target: Target, request: str, build: dict[str, str] | None
) -> None:
    """``uv python install <request>`` into a scratch directory, laid out as a layer in ``out``,
    with ``python-build.json`` recording what was deployed."""
    with tempfile.TemporaryDirectory(prefix="uv-python-") as scratch:
        installs, links = Path(scratch) / "installs", Path(scratch) / "bin"
        result = subprocess.run(
            [uv, "python", "install", request],
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
            env={
                **os.environ,
                "UV_PYTHON_INSTALL_DIR": str(installs),
                "UV_PYTHON_BIN_DIR": str(links),
                "NO_COLOR": "1",  # the error goes into our message verbatim
            },
        )
        prefixes = sorted(installs.glob(f"*/bin/{target.interpreter_name}"))
        if result.returncode != 0 or not prefixes:
            raise InterpreterLayoutError(
                f"`{uv} python install {request}` failed "
                f"(exit {result.returncode}): {result.stderr.strip()[-800:]}\n"
                "It downloads from GitHub. Offline, pass interpreter="
                "InterpreterSource.directory(<CPython prefix>) instead."
            )
        lay_out(prefixes[-1].parent.parent, out, target)
    # What was deployed, for audits: the build uv resolved and what it installed.
    record = dict(build or {"key": request})
    executable = out / "bin" / target.interpreter_name
    record["python_sha256"] = hashlib.sha256(executable.read_bytes()).hexdigest()
    (out / "python-build.json").write_text(json.dumps(record, indent=1) + "\n")

"""The interpreter sources other than ``directory``, exercised without their downloads.

python-build-standalone comes through ``uv``, which needs GitHub; the Lambda image needs Docker.
Neither is reachable here, so: a stand-in ``uv`` on PATH plays the download (it "installs"
this machine's CPython where uv would), and the shell script the Docker source runs inside the
Lambda image runs in a bubblewrap root where this machine's CPython is mapped to ``/var/lang``.
Everything else (the command line, the layout, the errors) is the real code.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from stacks import StreamingPythonFunction
from stacks.interpreter import _copy_var_lang_script
from stacks.layer_layout import lay_out
from stacks.target import Target
from tests.infra.cfn import resources
from tests.infra.conftest import HELLO, app, host_architecture, stack
from tests.infra.isolation import isolated

MACHINE = "aarch64" if host_architecture().name == "arm64" else "x86_64"
FAKE_UV = """#!/bin/sh
echo "$@" >>"$FAKE_UV_LOG"
echo "UV_PYTHON_INSTALL_DIR=$UV_PYTHON_INSTALL_DIR" >>"$FAKE_UV_LOG"
if [ -n "$FAKE_UV_FAIL" ]; then
  echo "error: Failed to download cpython: dns error: failed to lookup address information" >&2
  exit 2
fi
installed="$UV_PYTHON_INSTALL_DIR/cpython-3.13.0-linux-{machine}-gnu"
mkdir -p "$installed"
ln -s "$FAKE_UV_PREFIX/bin" "$installed/bin"
ln -s "$FAKE_UV_PREFIX/lib" "$installed/lib"
"""


@pytest.fixture
def fake_uv(tmp_path: Path, cpython_prefix: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    tools = tmp_path / "tools"
    tools.mkdir()
    (tools / "uv").write_text(FAKE_UV.format(machine=MACHINE))
    (tools / "uv").chmod(0o755)
    log = tmp_path / "uv.log"
    monkeypatch.setenv("PATH", f"{tools}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_UV_LOG", str(log))
    monkeypatch.setenv("FAKE_UV_PREFIX", str(cpython_prefix))
    monkeypatch.setenv("LAMBDA_STREAMING_CACHE_DIR", str(tmp_path / "cache"))  # uv really runs
    return log


def synth_default_interpreter(outdir: Path) -> dict[str, Any]:
    target_app = app(outdir, bundle=True)
    target = stack(target_app, "Pbs")
    StreamingPythonFunction(
        target, "Fn", entry=HELLO, handler="app.handler", architecture=host_architecture()
    )
    return target_app.synth().get_stack_by_name("Pbs").template  # type: ignore[no-any-return]


def test_default_source_lays_out_what_uv_installs(fake_uv: Path, tmp_path: Path) -> None:
    template = synth_default_interpreter(tmp_path / "out")
    (layer,) = resources(template, "AWS::Lambda::LayerVersion").values()
    assert "python-build-standalone" in layer["Properties"]["Description"]
    asset = tmp_path / "out" / f"asset.{layer['Properties']['Content']['S3Key'][:-4]}"
    assert (asset / "bin" / "python3.13").is_file()
    assert (asset / "lib" / "python3.13" / "os.py").is_file()
    calls = fake_uv.read_text().splitlines()
    assert calls[0] == f"python install cpython-3.13-linux-{MACHINE}-gnu"
    install_dir = calls[1].removeprefix("UV_PYTHON_INSTALL_DIR=")
    assert install_dir and not Path(install_dir).exists()  # a scratch dir, removed afterwards


def test_default_source_offline_fails_saying_what_to_use_instead(
    fake_uv: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_UV_FAIL", "1")
    with pytest.raises(
        Exception,
        match=r"(?s)dns error.*downloads from GitHub.*"
        r"InterpreterSource\.directory",
    ):
        synth_default_interpreter(tmp_path / "out")
    assert not (tmp_path / "cache" / "layers").exists() or not any(
        p for p in (tmp_path / "cache" / "layers").iterdir() if not p.name.startswith(".")
    )


def test_lambda_image_script_trims_like_the_local_layout(
    tmp_path: Path, cpython_prefix: Path
) -> None:
    target = Target("3.13", MACHINE)
    from_image = tmp_path / "from-image"
    from_image.mkdir()
    subprocess.run(
        isolated(
            ["/bin/sh", "-c", _copy_var_lang_script(target)],
            read_only={cpython_prefix: "/var/lang"},
            writable={from_image: "/asset-output"},
            env={"PATH": "/usr/bin:/bin", "LD_LIBRARY_PATH": "/var/lang/lib"},
        ),
        check=True,
        timeout=300,
        capture_output=True,
    )
    local = tmp_path / "local"
    lay_out(cpython_prefix, local, target)

    def listing(root: Path) -> set[str]:
        return {str(p.relative_to(root)) for p in root.rglob("*") if "__pycache__" not in p.parts}

    assert listing(from_image) == listing(local)
    assert (from_image / "lib" / "python3.13" / "__pycache__").is_dir()  # precompiled too

"""The interpreter sources other than ``directory``, exercised without their downloads.

python-build-standalone comes through ``uv``, which needs GitHub; the Lambda image needs Docker.
Neither is reachable here, so: a stand-in ``uv`` on PATH plays the download (it "installs"
this machine's CPython where uv would), and the shell script the Docker source runs inside the
Lambda image runs in a bubblewrap root where this machine's CPython is mapped to ``/var/lang``.
Everything else (the command line, the layout, the errors) is the real code.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Annotations, Match

from stacks import InterpreterSource, StreamingPythonFunction
from stacks.interpreter.lambda_image import copy_var_lang_script
from stacks.layer_layout import lay_out
from stacks.target import Target
from tests.infra.cfn import resources
from tests.infra.conftest import HELLO, app, host_architecture, stack
from tests.infra.isolation import isolated

MACHINE = "aarch64" if host_architecture().name == "arm64" else "x86_64"
FAKE_UV = """#!/bin/sh
if [ "$1 $2" = "python list" ]; then
  # uv's offline download list: the newest build of the request it knows (FAKE_UV_PATCH).
  version="3.13.${{FAKE_UV_PATCH:-18}}"
  case "$3" in cpython-3.13-*|cpython-$version-*) ;; *) echo "[]"; exit 0 ;; esac
  printf '[{{"key":"cpython-%s-linux-{machine}-gnu","version":"%s","url":"%s"}}]' \\
    "$version" "$version" "https://example.invalid/${{FAKE_UV_BUILD:-20261110}}/cpython-$version.tar.gz"
  exit 0
fi
echo "$@" >>"$FAKE_UV_LOG"
echo "UV_PYTHON_INSTALL_DIR=$UV_PYTHON_INSTALL_DIR" >>"$FAKE_UV_LOG"
if [ -n "$FAKE_UV_FAIL" ]; then
  echo "error: Failed to download cpython: dns error: failed to lookup address information" >&2
  exit 2
fi
installed="$UV_PYTHON_INSTALL_DIR/$3"
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
    assert calls[0] == f"python install cpython-3.13.18-linux-{MACHINE}-gnu"  # the resolved build
    assert "cpython-3.13.18-linux" in layer["Properties"]["Description"]
    recorded = json.loads((asset / "python-build.json").read_text())
    assert recorded["url"] == "https://example.invalid/20261110/cpython-3.13.18.tar.gz"
    assert len(recorded["python_sha256"]) == 64
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
            ["/bin/sh", "-c", copy_var_lang_script(target)],
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


def layer_hash(outdir: Path, **source: Any) -> str:
    target_app = app(outdir, bundle=False)  # the hash is known without building anything
    target = stack(target_app, "Pbs")
    StreamingPythonFunction(
        target,
        "Fn",
        entry=HELLO,
        handler="app.handler",
        architecture=host_architecture(),
        interpreter=InterpreterSource.python_build_standalone(**source),
    )
    template = target_app.synth().get_stack_by_name("Pbs").template
    (layer,) = resources(template, "AWS::Lambda::LayerVersion").values()
    return str(layer["Properties"]["Content"]["S3Key"])


def test_a_new_patch_release_changes_the_layer_and_the_same_build_keeps_it(
    fake_uv: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = layer_hash(tmp_path / "a")
    assert layer_hash(tmp_path / "b") == first  # same build: same asset, nothing redeployed
    monkeypatch.setenv("FAKE_UV_PATCH", "19")  # a newer uv knows 3.13.19
    patched = layer_hash(tmp_path / "c")
    assert patched != first
    monkeypatch.setenv("FAKE_UV_BUILD", "20261201")  # same patch, rebuilt by pbs
    assert layer_hash(tmp_path / "d") != patched
    monkeypatch.delenv("FAKE_UV_BUILD")
    assert layer_hash(tmp_path / "e", version="3.13.19") == patched  # pinned = that build


def test_a_pinned_version_must_exist_and_match_python_version(
    fake_uv: Path, tmp_path: Path
) -> None:
    with pytest.raises(ValueError, match=r"pin a patch release like '3\.13\.9'"):
        InterpreterSource.python_build_standalone(version="3.13")
    with pytest.raises(ValueError, match=r"is not a CPython 3\.13 release"):
        layer_hash(tmp_path / "a", version="3.12.4")
    bundled = stack(app(tmp_path / "b", bundle=True), "Pbs")
    with pytest.raises(ValueError, match="does not know that version"):
        StreamingPythonFunction(
            bundled,
            "Fn",
            entry=HELLO,
            handler="app.handler",
            architecture=host_architecture(),
            interpreter=InterpreterSource.python_build_standalone(version="3.13.99"),
        )


def test_dangling_symlinks_in_a_directory_are_skipped_with_a_warning(
    tmp_path: Path, cpython_prefix: Path
) -> None:
    prefix = tmp_path / "py"
    (prefix / "bin").mkdir(parents=True)
    (prefix / "bin" / "python3.13").symlink_to(cpython_prefix / "bin" / "python3.13")
    (prefix / "lib" / "python3.13").mkdir(parents=True)
    (prefix / "lib" / "python3.13" / "os.py").write_text("")
    (prefix / "lib" / "libgone.so.1").symlink_to(tmp_path / "nowhere.so.1")
    (prefix / "lib" / "python3.13" / "gone.py").symlink_to(tmp_path / "nowhere.py")
    for library in (cpython_prefix / "lib").glob("libpython3.13.so*"):
        (prefix / "lib" / library.name).symlink_to(library)
    target_app = app(tmp_path / "out", bundle=True)
    target = stack(target_app, "Dangling")
    StreamingPythonFunction(
        target,
        "Fn",
        entry=HELLO,
        handler="app.handler",
        architecture=host_architecture(),
        interpreter=InterpreterSource.directory(prefix, allow_missing_libraries=True),
    )
    template = target_app.synth().get_stack_by_name("Dangling").template
    (layer,) = resources(template, "AWS::Lambda::LayerVersion").values()
    asset = tmp_path / "out" / f"asset.{layer['Properties']['Content']['S3Key'][:-4]}"
    assert (asset / "lib" / "python3.13" / "os.py").is_file()
    assert not (asset / "lib" / "libgone.so.1").exists()
    Annotations.from_stack(target).has_warning(
        "*", Match.string_like_regexp("skipped dangling symlink lib/libgone.so.1")
    )

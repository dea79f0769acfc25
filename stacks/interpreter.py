"""Where the CPython in a function's layer comes from: a small strategy per source.

``provided.al2023`` has no Python (../shared/docs/cdk-packaging.md §1.1), so the construct ships
one in a layer laid out as ``bin/`` + ``lib/`` (layer_layout.py). Three sources exist:

- :meth:`InterpreterSource.python_build_standalone` (the default): a relocatable CPython from
  python-build-standalone, fetched by ``uv`` on the build machine. No Docker; needs GitHub.
- :meth:`InterpreterSource.lambda_image`: ``/var/lang`` copied out of the Lambda Python base
  image with Docker, i.e. the very interpreter of the managed runtime.
- :meth:`InterpreterSource.directory`: a CPython prefix you already have (offline and
  air-gapped builds, CI). It must be built for the function's CPU and for Amazon Linux 2023's
  glibc (2.34) to start on Lambda; the construct warns at synth time when it is not.

Each source knows how to validate itself for a target, how to name its layer (so functions of
the same version, architecture and source share one), and how to turn into ``lambda_.Code``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import tempfile
import weakref
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import (
    Annotations,
    AssetHashType,
    BundlingOptions,
    DockerImage,
    ILocalBundling,
    Stack,
)
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from stacks import package_size
from stacks.build_cache import cached_directory, copy_tree, digest
from stacks.dependencies import find_uv
from stacks.layer_layout import (
    AL2023_GLIBC,
    STDLIB_EXCLUDES,
    InterpreterLayoutError,
    check_prefix,
    dangling_links,
    lay_out,
    missing_libraries,
    required_glibc,
)
from stacks.target import Target

# A tiny directory CDK can point sources without input files at; bundling never reads it.
_NO_INPUT = Path(__file__).resolve().parent / "_no_input"
_LAYOUT_VERSION = "1"
#: The id of the synth-time warning about an interpreter Lambda cannot start.
INTERPRETER_WARNING_ID = (
    "@lambda-streaming/interpreter-glibc"  # bump when lay_out() changes what it produces
)


class InterpreterSource(ABC):
    """Where the CPython of the function's layer comes from. Use one of the factories."""

    @staticmethod
    def python_build_standalone(*, uv: str = "uv", version: str | None = None) -> InterpreterSource:
        """python-build-standalone's CPython, downloaded by ``uv python install`` (default).

        Needs ``uv`` on the build machine (``pip install uv``) and access to GitHub; no Docker.
        The build is resolved offline from uv's own download list (``uv python list
        --only-downloads``): the layer's asset hash is that exact build (CPython patch and
        python-build-standalone release), so a newer uv that knows a newer patch publishes a
        new layer, and the same build keeps the deployed one. uv checks the archive's SHA-256
        against its list when it downloads it.

        :param version: pin a CPython patch release, e.g. ``"3.13.9"`` (default: the newest
            of the function's ``python_version`` that the installed uv knows).
        """
        if version is not None and not re.fullmatch(r"3\.\d+\.\d+", str(version)):
            raise ValueError(
                f"python_build_standalone(version={version!r}): pin a patch release like "
                "'3.13.9' (the minor version comes from python_version)."
            )
        return _PythonBuildStandalone(uv, version)

    @staticmethod
    def lambda_image(*, image: str | None = None) -> InterpreterSource:
        """``/var/lang`` of the Lambda Python base image, copied out with Docker.

        ``image`` defaults to ``public.ecr.aws/lambda/python:<python_version>``.
        """
        return _LambdaImage(image)

    @staticmethod
    def directory(
        path: str | os.PathLike[str], *, allow_missing_libraries: bool = False
    ) -> InterpreterSource:
        """A CPython installation prefix (``bin/pythonX.Y`` + ``lib/pythonX.Y/``) on disk.

        The directory is copied, trimmed and precompiled, never modified. Synth fails if its
        native files need a shared library that neither its own ``lib/`` nor Lambda's
        provided.al2023 image has (stacks/al2023_libraries.txt), since such an interpreter
        fails on AWS; ``allow_missing_libraries=True`` turns that into a warning (offline synth
        and local tests of an interpreter you will not deploy).
        """
        return _Directory(Path(path).expanduser().resolve(), allow_missing_libraries)

    @property
    @abstractmethod
    def key(self) -> str:
        """Identifies the layer this source builds; equal keys share one layer."""

    @abstractmethod
    def describe(self) -> str:
        """A short human description, used in the layer's description."""

    def asset_key(self, target: Target) -> str | None:
        """The layer asset's key (for the 250 MB check), or None if not built locally."""
        del target
        return None

    def validate(self, target: Target, *, bundling: bool) -> list[str]:
        """Raise on a source that cannot work for ``target``; return warnings to show.

        ``bundling`` is False when the stack's assets are not being built (``cdk synth`` of
        another stack, or unit tests), so checks of build tools are skipped.
        """
        del target, bundling
        return []

    @abstractmethod
    def layer_code(self, target: Target) -> lambda_.Code:
        """The layer's code asset for ``target``."""


class _PythonBuildStandalone(InterpreterSource):
    def __init__(self, uv: str, version: str | None) -> None:
        self._uv = uv
        self._version = version
        self._resolved: dict[Target, dict[str, str] | None] = {}

    @property
    def key(self) -> str:
        return f"pbs:{self._version or 'latest'}"

    def describe(self) -> str:
        return "python-build-standalone via uv"

    def request(self, target: Target) -> str:
        """What ``uv python install`` gets asked for."""
        version = self._version or target.python_version
        return f"cpython-{version}-linux-{target.machine}-gnu"

    def resolve(self, target: Target) -> dict[str, str] | None:
        """The exact build uv would install (key, version, url), from uv's own download list,
        offline; None without uv."""
        if target not in self._resolved:
            self._resolved[target] = resolve_build(self._uv, self.request(target))
        return self._resolved[target]

    def validate(self, target: Target, *, bundling: bool) -> list[str]:
        if self._version is not None and not self._version.startswith(target.python_version + "."):
            raise InterpreterLayoutError(
                f"python_build_standalone(version={self._version!r}) is not a CPython "
                f"{target.python_version} release, the function's python_version."
            )
        if bundling and find_uv(self._uv) is None:
            raise InterpreterLayoutError(
                f"the default interpreter source runs `{self._uv} python install "
                f"{self.request(target)}`, but `{self._uv}` is not on PATH: install it "
                "(pip install uv), or pass interpreter=InterpreterSource.directory(<CPython "
                "prefix>) for an offline build, or InterpreterSource.lambda_image() to copy it "
                "out of the Lambda image with Docker."
            )
        if bundling and self.resolve(target) is None:
            raise InterpreterLayoutError(
                f"`{self._uv} python list {self.request(target)} --only-downloads` lists no "
                "build: this uv does not know that version (a newer uv knows newer patches; "
                "`uv python list --only-downloads --all-versions` shows what it knows)."
            )
        return []

    def asset_key(self, target: Target) -> str:
        build = self.resolve(target)
        if build is None:  # assets are not built (no uv): a stable stand-in
            return digest(["pbs", _LAYOUT_VERSION, self.request(target)])
        return digest(["pbs", _LAYOUT_VERSION, build["key"], build["url"]])

    def layer_code(self, target: Target) -> lambda_.Code:
        key = self.asset_key(target)
        build = self.resolve(target)
        request = build["key"] if build else self.request(target)
        uv = find_uv(self._uv) or self._uv
        return _local_asset(_NO_INPUT, key, _UvBundler(uv, target, key, request, build))


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


class _LambdaImage(InterpreterSource):
    def __init__(self, image: str | None) -> None:
        self._image = image

    @property
    def key(self) -> str:
        return "image:" + (self._image or "lambda")

    def describe(self) -> str:
        return f"/var/lang of {self._image or 'the Lambda Python image'}"

    def layer_code(self, target: Target) -> lambda_.Code:
        image = self._image or f"public.ecr.aws/lambda/python:{target.python_version}"
        script = _copy_var_lang_script(target)
        return lambda_.Code.from_asset(
            str(_NO_INPUT),
            asset_hash=digest(["image", _LAYOUT_VERSION, image, target.docker_platform, script]),
            asset_hash_type=AssetHashType.CUSTOM,
            bundling=BundlingOptions(
                image=DockerImage.from_registry(image),
                platform=target.docker_platform,
                entrypoint=["/bin/sh", "-c"],
                command=[script],
                user="root",
            ),
        )


class _Directory(InterpreterSource):
    def __init__(self, prefix: Path, allow_missing_libraries: bool) -> None:
        self._prefix = prefix
        self._allow_missing = allow_missing_libraries

    @property
    def key(self) -> str:
        return f"dir:{self._prefix}"

    def describe(self) -> str:
        return "a local CPython directory"

    def validate(self, target: Target, *, bundling: bool) -> list[str]:
        del bundling
        check_prefix(self._prefix, target)
        warnings = [f"{self._prefix}: skipped {link}" for link in dangling_links(self._prefix)]
        glibc = required_glibc(self._prefix, target)
        if glibc is not None and glibc > AL2023_GLIBC:
            warnings.append(
                f"The CPython at {self._prefix} needs glibc {glibc[0]}.{glibc[1]}, but Lambda's "
                f"Amazon Linux 2023 has {AL2023_GLIBC[0]}.{AL2023_GLIBC[1]}: the layer works for "
                "offline synth and local tests, but the function will not start on AWS. Deploy "
                "with InterpreterSource.python_build_standalone() or .lambda_image(), or point "
                "at a CPython built on glibc 2.34 or older."
            )
        absent = missing_libraries(self._prefix, target)
        if absent:
            listed = "; ".join(
                f"{name} (needed by {', '.join(sorted(users)[:3])})"
                for name, users in sorted(absent.items())
            )
            message = (
                f"The CPython at {self._prefix} needs shared libraries that neither its lib/ "
                f"nor Lambda's provided.al2023 image has: {listed}. On AWS the interpreter or "
                "those stdlib modules would fail to load. Deploy with "
                "InterpreterSource.python_build_standalone() (self-contained), copy the "
                "libraries into the prefix's lib/, or pass "
                "InterpreterSource.directory(..., allow_missing_libraries=True) if you only "
                "synthesize offline or checked the image yourself (list: "
                "stacks/al2023_libraries.txt)."
            )
            if not self._allow_missing:
                raise InterpreterLayoutError(message)
            warnings.append(message)
        return warnings

    def asset_key(self, target: Target) -> str:
        return digest(
            [
                "dir",
                _LAYOUT_VERSION,
                target.python_version,
                target.machine,
                *_fingerprint_prefix(self._prefix, target),
            ]
        )

    def layer_code(self, target: Target) -> lambda_.Code:
        key = self.asset_key(target)
        return _local_asset(self._prefix, key, _DirectoryBundler(self._prefix, target, key))


def _local_asset(source: Path, key: str, bundler: ILocalBundling) -> lambda_.Code:
    return lambda_.Code.from_asset(
        str(source),
        asset_hash=key,
        asset_hash_type=AssetHashType.CUSTOM,
        # The image is never pulled: the local bundler always succeeds or raises.
        bundling=BundlingOptions(image=DockerImage.from_registry("scratch"), local=bundler),
    )


@jsii.implements(ILocalBundling)
class _DirectoryBundler:
    def __init__(self, prefix: Path, target: Target, key: str) -> None:
        self._prefix, self._target, self._key = prefix, target, key

    def try_bundle(self, output_dir: str, *_options: Any, **_kw: Any) -> bool:
        layout = cached_directory(
            "layers", self._key, lambda out: lay_out(self._prefix, out, self._target)
        )
        copy_tree(layout, Path(output_dir))
        package_size.record(self._key, "interpreter layer", Path(output_dir))
        return True


@jsii.implements(ILocalBundling)
class _UvBundler:
    def __init__(
        self, uv: str, target: Target, key: str, request: str, build: dict[str, str] | None
    ) -> None:
        self._uv, self._target, self._key = uv, target, key
        self._request, self._build = request, build

    def try_bundle(self, output_dir: str, *_options: Any, **_kw: Any) -> bool:
        copy_tree(cached_directory("layers", self._key, self._build_layer), Path(output_dir))
        package_size.record(self._key, "interpreter layer", Path(output_dir))
        return True

    def _build_layer(self, out: Path) -> None:
        with tempfile.TemporaryDirectory(prefix="uv-python-") as scratch:
            installs, links = Path(scratch) / "installs", Path(scratch) / "bin"
            result = subprocess.run(
                [self._uv, "python", "install", self._request],
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
            prefixes = sorted(installs.glob(f"*/bin/{self._target.interpreter_name}"))
            if result.returncode != 0 or not prefixes:
                raise InterpreterLayoutError(
                    f"`{self._uv} python install {self._request}` failed "
                    f"(exit {result.returncode}): {result.stderr.strip()[-800:]}\n"
                    "It downloads from GitHub. Offline, pass interpreter="
                    "InterpreterSource.directory(<CPython prefix>) instead."
                )
            lay_out(prefixes[-1].parent.parent, out, self._target)
        # What was deployed, for audits: the build uv resolved and what it installed.
        record = dict(self._build or {"key": self._request})
        executable = out / "bin" / self._target.interpreter_name
        record["python_sha256"] = hashlib.sha256(executable.read_bytes()).hexdigest()
        (out / "python-build.json").write_text(json.dumps(record, indent=1) + "\n")


def _fingerprint_prefix(prefix: Path, target: Target) -> list[str]:
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


def _copy_var_lang_script(target: Target) -> str:
    """Shell run inside the Lambda image: the same trimming as layer_layout.lay_out()."""
    name = target.interpreter_name
    prune = " -o ".join(f"-name '{pattern}'" for pattern in STDLIB_EXCLUDES)
    return " && ".join(
        [
            "set -eu",
            "mkdir -p /asset-output/bin /asset-output/lib",
            f"cp -L /var/lang/bin/{name} /asset-output/bin/",
            'for f in /var/lang/lib/*.so*; do case "$f" in *.so) [ -L "$f" ] && continue;; esac; '
            'cp -L "$f" /asset-output/lib/; done',
            f"cp -rL /var/lang/lib/{name} /asset-output/lib/",
            f"find /asset-output/lib/{name} -depth \\( {prune} \\) -exec rm -rf {{}} +",
            f"/var/lang/bin/{name} -m compileall -q -j 0 --invalidation-mode unchecked-hash "
            f"/asset-output/lib/{name}",
        ]
    )


_LAYERS: weakref.WeakKeyDictionary[Stack, dict[str, tuple[str, lambda_.LayerVersion]]] = (
    weakref.WeakKeyDictionary()
)


_LAYER_KEYS: weakref.WeakKeyDictionary[lambda_.ILayerVersion, str] = weakref.WeakKeyDictionary()


def layer_asset_key(layer: lambda_.ILayerVersion) -> str:
    """The asset key of a layer python_layer() built ("" if it was not built locally)."""
    return _LAYER_KEYS.get(layer, "")


def python_layer(
    scope: Construct, target: Target, source: InterpreterSource
) -> lambda_.LayerVersion:
    """The stack-wide interpreter layer for ``target`` from ``source``: created once, then shared.

    Its construct id names only the version, CPU and kind of source, so logical ids do not
    depend on the build machine's paths.
    """
    stack = Stack.of(scope)
    layers = _LAYERS.setdefault(stack, {})
    kind = type(source).__name__.strip("_")
    layer_id = f"CPython{target.abi[2:]}{target.machine.capitalize()}{kind}"
    if layer_id in layers:
        key, layer = layers[layer_id]
        if key != source.key:
            raise InterpreterLayoutError(
                f"this stack already has a CPython {target.python_version} ({target.machine}) "
                f"layer from {layers[layer_id][1].node.path}, built from another {kind} source; "
                "use the same interpreter source for every function of a stack."
            )
        return layer
    warnings = source.validate(target, bundling=stack.bundling_required)
    if isinstance(source, _PythonBuildStandalone):
        build = source.resolve(target)
        built_from = f"python-build-standalone {build['key']}" if build else source.describe()
    else:
        built_from = source.describe()
    layer = lambda_.LayerVersion(
        stack,
        layer_id,
        code=source.layer_code(target),
        compatible_runtimes=[lambda_.Runtime.PROVIDED_AL2023],
        compatible_architectures=[target.architecture],
        description=f"CPython {target.python_version} ({target.machine}) as /opt/bin + /opt/lib, "
        f"from {built_from}"[:256],
    )
    asset_key = source.asset_key(target)
    if asset_key is not None:
        _LAYER_KEYS[layer] = asset_key
    for warning in warnings:
        Annotations.of(layer).add_warning_v2(INTERPRETER_WARNING_ID, warning)
    layers[layer_id] = (source.key, layer)
    return layer

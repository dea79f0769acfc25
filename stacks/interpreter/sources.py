"""The interpreter sources: :class:`InterpreterSource` and one small strategy per source.

Each strategy names its layer (``key``), validates itself for a target, and turns into
``lambda_.Code``; the work behind each lives in its own module (python_build_standalone.py,
lambda_image.py, cpython_prefix.py, local_asset.py).
"""

from __future__ import annotations

import os
import re
from abc import ABC, abstractmethod
from functools import partial
from pathlib import Path

from aws_cdk import aws_lambda as lambda_

from stacks.build_cache import digest
from stacks.dependencies import find_uv
from stacks.interpreter.cpython_prefix import fingerprint_prefix, lambda_readiness
from stacks.interpreter.lambda_image import image_layer_code
from stacks.interpreter.local_asset import LAYOUT_VERSION, NO_INPUT, local_asset
from stacks.interpreter.python_build_standalone import install_layer, resolve_build
from stacks.layer_layout import InterpreterLayoutError, lay_out
from stacks.target import Target


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

    def built_from(self, target: Target) -> str:
        """What the layer's description says it was built from (default: ``describe()``)."""
        del target
        return self.describe()

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

    def built_from(self, target: Target) -> str:
        build = self.resolve(target)
        return f"python-build-standalone {build['key']}" if build else self.describe()

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
            return digest(["pbs", LAYOUT_VERSION, self.request(target)])
        return digest(["pbs", LAYOUT_VERSION, build["key"], build["url"]])

    def layer_code(self, target: Target) -> lambda_.Code:
        build = self.resolve(target)
        install = partial(
            install_layer,
            uv=find_uv(self._uv) or self._uv,
            target=target,
            request=build["key"] if build else self.request(target),
            build=build,
        )
        return local_asset(NO_INPUT, self.asset_key(target), install)


class _LambdaImage(InterpreterSource):
    def __init__(self, image: str | None) -> None:
        self._image = image

    @property
    def key(self) -> str:
        return "image:" + (self._image or "lambda")

    def describe(self) -> str:
        return f"/var/lang of {self._image or 'the Lambda Python image'}"

    def layer_code(self, target: Target) -> lambda_.Code:
        return image_layer_code(self._image, target)


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
        return lambda_readiness(self._prefix, target, allow_missing_libraries=self._allow_missing)

    def asset_key(self, target: Target) -> str:
        return digest(
            [
                "dir",
                LAYOUT_VERSION,
                target.python_version,
                target.machine,
                *fingerprint_prefix(self._prefix, target),
            ]
        )

    def layer_code(self, target: Target) -> lambda_.Code:
        key = self.asset_key(target)
        return local_asset(self._prefix, key, partial(lay_out, self._prefix, target=target))

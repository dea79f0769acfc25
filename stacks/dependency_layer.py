"""A dependencies layer several StreamingPythonFunctions share: installed once, uploaded once.

The layer holds the requirements cross-installed for the target (dependencies.py) under
``python/``; a function that uses it gets ``PYTHONPATH=/opt/python`` (Lambda unpacks layers into
``/opt``; bootstrap keeps ``PYTHONPATH`` and puts ``/var/task`` first, so the function's own
files still win). Each function's asset then carries only its handler code, the streaming
runtime and the runtime's own small requirements.

Example::

    shared = DependenciesLayer(self, "Deps", requirements="requirements.txt")
    for name in ("Chat", "Summary"):
        StreamingPythonFunction(self, name, entry="src", handler=f"{name.lower()}.handler",
                                requirements=[], dependencies_layer=shared)
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import AssetHashType, BundlingOptions, DockerImage, ILocalBundling, Stack
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from stacks import dependencies, package_size
from stacks.build_cache import copy_tree, digest
from stacks.dependencies import Requirements, as_requirements
from stacks.target import Target

#: Where Lambda puts the layer's packages, and what the function's PYTHONPATH names.
SITE_DIR = "/opt/python"
_NO_ENTRY = Path(__file__).resolve().parent / "_no_input"


class DependenciesLayer(Construct):
    """Third-party packages for one Python version and CPU, as a layer functions share.

    Attributes: ``layer`` (the ``LayerVersion``), ``target`` and ``asset_key`` (what the
    functions' 250 MB check adds up).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        requirements: str | os.PathLike[str] | Sequence[str],
        python_version: str = "3.13",
        architecture: lambda_.Architecture = lambda_.Architecture.ARM_64,
        description: str | None = None,
    ) -> None:
        """:param requirements: a requirements file, pyproject.toml, uv.lock or list of lines.
        :param python_version: the CPython of the functions that use it (default ``"3.13"``).
        :param architecture: their CPU (default ARM_64).
        """
        super().__init__(scope, construct_id)
        self.target = Target.of(python_version, architecture)
        if isinstance(requirements, (str, os.PathLike)):
            wanted = as_requirements(requirements, Path(requirements).parent)
        else:
            wanted = as_requirements(list(requirements), Path())
        if not wanted:
            raise ValueError("DependenciesLayer needs at least one requirement.")
        self.requirements: Requirements = wanted
        self.asset_key = digest(
            [
                "deps-layer",
                "1",
                self.target.python_version,
                self.target.machine,
                *wanted.key_parts(),
            ]
        )
        self.layer = lambda_.LayerVersion(
            self,
            "Layer",
            code=lambda_.Code.from_asset(
                str(_NO_ENTRY),
                asset_hash=self.asset_key,
                asset_hash_type=AssetHashType.CUSTOM,
                bundling=BundlingOptions(
                    image=DockerImage.from_registry("scratch"),
                    local=_LayerBundler(wanted, self.target, self.asset_key),
                ),
            ),
            compatible_architectures=[self.target.architecture],
            description=description
            or f"Shared Python dependencies for CPython {python_version} ({self.target.machine})",
        )
        self._stack = Stack.of(self)

    def check_target(self, target: Target, user: str) -> None:
        """Fail unless a function of ``target`` can load this layer's packages."""
        if target != self.target:
            raise ValueError(
                f"{user}: dependencies_layer was built for CPython {self.target.python_version} "
                f"on {self.target.machine}, the function runs CPython {target.python_version} "
                f"on {target.machine}; native packages would not load. Build one layer per "
                "Python version and CPU."
            )

    def check_function(self, target: Target, user: str, environment: Mapping[str, str]) -> None:
        """Fail unless a function of ``target`` with ``environment`` can use this layer."""
        self.check_target(target, user)
        if "PYTHONPATH" in environment:
            raise ValueError(
                "environment['PYTHONPATH'] and dependencies_layer= both set the module "
                f"path; drop PYTHONPATH (the layer's packages are in {SITE_DIR})."
            )


@jsii.implements(ILocalBundling)
class _LayerBundler:
    def __init__(self, requirements: Requirements, target: Target, key: str) -> None:
        self._requirements, self._target, self._key = requirements, target, key

    def try_bundle(self, output_dir: str, *_options: Any, **_kw: Any) -> bool:
        site = dependencies.install(self._requirements, self._target)
        out = Path(output_dir) / "python"
        copy_tree(site, out)
        for directory, _dirs, files in os.walk(Path(output_dir)):
            Path(directory).chmod(0o755)
            for name in files:
                path = Path(directory) / name
                path.chmod(path.stat().st_mode | 0o444)
        package_size.record(self._key, "dependencies layer", Path(output_dir))
        return True

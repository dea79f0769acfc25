"""An interpreter layer asset built on this machine, without Docker, cached by its key.

The layer's content is produced once per key into the build cache (stacks/build_cache.py), then
copied into the asset directory CDK stages; its size is recorded for the 250 MB check.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import AssetHashType, BundlingOptions, DockerImage, ILocalBundling
from aws_cdk import aws_lambda as lambda_

from stacks import package_size
from stacks.build_cache import cached_directory, copy_tree

#: A tiny directory CDK can point sources without input files at; bundling never reads it.
NO_INPUT = Path(__file__).resolve().parents[1] / "_no_input"
#: Part of every interpreter layer's asset key: bump when lay_out() changes what it produces.
LAYOUT_VERSION = "1"


def local_asset(source: Path, key: str, build: Callable[[Path], None]) -> lambda_.Code:
    """Code whose content ``build(out)`` writes into an empty directory, hashed as ``key``."""
    return lambda_.Code.from_asset(
        str(source),
        asset_hash=key,
        asset_hash_type=AssetHashType.CUSTOM,
        # The image is never pulled: the local bundler always succeeds or raises.
        bundling=BundlingOptions(
            image=DockerImage.from_registry("scratch"), local=_CachedLayerBundler(key, build)
        ),
    )


@jsii.implements(ILocalBundling)
class _CachedLayerBundler:
    def __init__(self, key: str, build: Callable[[Path], None]) -> None:
        self._key, self._build = key, build

    def try_bundle(self, output_dir: str, *_options: Any, **_kw: Any) -> bool:
        copy_tree(cached_directory("layers", self._key, self._build), Path(output_dir))
        package_size.record(self._key, "interpreter layer", Path(output_dir))
        return True

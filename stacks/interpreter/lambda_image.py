"""``/var/lang`` of the Lambda Python base image as a layer, copied out with Docker.

The copy is trimmed and precompiled inside the image exactly as layer_layout.lay_out() does
for a prefix on disk, so both sources produce the same layout.
"""

from __future__ import annotations

from aws_cdk import AssetHashType, BundlingOptions, DockerImage
from aws_cdk import aws_lambda as lambda_

from stacks.build_cache import digest
from stacks.interpreter.local_asset import LAYOUT_VERSION, NO_INPUT
from stacks.layer_layout import STDLIB_EXCLUDES
from stacks.target import Target


def image_layer_code(image: str | None, target: Target) -> lambda_.Code:
    """The layer's code: ``image`` (default the Lambda image of ``target``'s Python) bundled."""
    image = image or f"public.ecr.aws/lambda/python:{target.python_version}"
    script = copy_var_lang_script(target)
    return lambda_.Code.from_asset(
        str(NO_INPUT),
        asset_hash=digest(["image", LAYOUT_VERSION, image, target.docker_platform, script]),
        asset_hash_type=AssetHashType.CUSTOM,
        bundling=BundlingOptions(
            image=DockerImage.from_registry(image),
            platform=target.docker_platform,
            entrypoint=["/bin/sh", "-c"],
            command=[script],
            user="root",
        ),
    )


def copy_var_lang_script(target: Target) -> str:
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

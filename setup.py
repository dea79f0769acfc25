"""The packages ``pip install <this repo>`` ships, found rather than listed (pyproject.toml holds
the rest of the packaging): every package under stacks/ except the demo app's stack
(stacks.demo, which deploys this repository's lambda_src/), and runtime/ as ``stacks._runtime``
with every package below it, so a new sub-package ships without editing a list.

setuptools' own discovery (``[tool.setuptools.packages.find]``) cannot put runtime/'s packages
under ``stacks._runtime``; ``package-dir`` in pyproject.toml maps the directory.
"""

from pathlib import Path

from setuptools import find_packages, setup

ROOT = Path(__file__).resolve().parent

setup(
    packages=[
        *find_packages(ROOT, include=["stacks", "stacks.*"], exclude=["stacks.demo*"]),
        "stacks._runtime",
        *(f"stacks._runtime.{name}" for name in find_packages(ROOT / "runtime")),
    ]
)

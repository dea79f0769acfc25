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

Modules: ``sources`` (the strategies), ``python_build_standalone`` (uv's build resolution and
install), ``cpython_prefix`` (whether a prefix on disk can run on Lambda: ELF glibc version and
shared libraries), ``lambda_image`` (copying ``/var/lang`` out of the image), ``local_asset``
(layer assets built on this machine, cached by key), ``layer`` (one layer per stack and source).
"""

from stacks.interpreter.layer import INTERPRETER_WARNING_ID, layer_asset_key, python_layer
from stacks.interpreter.python_build_standalone import resolve_build
from stacks.interpreter.sources import InterpreterSource

__all__ = [
    "INTERPRETER_WARNING_ID",
    "InterpreterSource",
    "layer_asset_key",
    "python_layer",
    "resolve_build",
]

"""The demo's defaults, read from ``lambda_src/demo_settings.json``.

That file is the one place the demo's model, Region and limits are written: the handlers read it
at run time (lambda_src/common.py, deployed next to it), scripts/demo.sh for the local demo, and
this module for the stack and app.py. Handlers cannot import ``stacks``, hence a data file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

LAMBDA_SRC = Path(__file__).resolve().parents[2] / "lambda_src"
SETTINGS_FILE = LAMBDA_SRC / "demo_settings.json"


@dataclass(frozen=True, slots=True)
class DemoDefaults:
    """The values of ``demo_settings.json`` the deployment uses."""

    model_id: str
    region: str
    max_tokens: int

    @classmethod
    def load(cls, path: Path = SETTINGS_FILE) -> DemoDefaults:
        """Read and check the file; a broken one stops synth with what to fix."""
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
            defaults = cls(
                model_id=str(document["model_id"]),
                region=str(document["region"]),
                max_tokens=int(document["max_tokens"]),
            )
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise ValueError(
                f"{path}: the demo's settings file is missing or malformed ({error!r}); it needs "
                '"model_id", "region" and "max_tokens" (restore it from git).'
            ) from error
        if not defaults.model_id or defaults.max_tokens < 1:
            raise ValueError(f"{path}: model_id must be set and max_tokens at least 1.")
        return defaults


DEFAULTS = DemoDefaults.load()

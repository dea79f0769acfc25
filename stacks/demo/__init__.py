"""The demo app's stack (the reference article's five functions) and its defaults.

Demo-only: ``pip install`` of the construct ships :mod:`stacks` without this package
(pyproject.toml lists the shipped packages), since it deploys this repository's lambda_src/.
"""

from stacks.demo.settings import DEFAULTS, LAMBDA_SRC, DemoDefaults
from stacks.demo.stack import DEMO_FUNCTIONS, DemoSettings, StreamingDemoStack

__all__ = [
    "DEFAULTS",
    "DEMO_FUNCTIONS",
    "LAMBDA_SRC",
    "DemoDefaults",
    "DemoSettings",
    "StreamingDemoStack",
]

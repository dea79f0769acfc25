"""A module whose import (Lambda's init phase) takes SLOW_INIT_SECONDS."""

import os
import time

time.sleep(float(os.environ.get("SLOW_INIT_SECONDS", "0")))


def handler(event: object, context: object) -> str:
    return "initialised"

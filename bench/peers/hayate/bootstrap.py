"""What a provided.al2023 ``bootstrap`` for hayate runs: hayate's own streaming loop."""

import importlib
import os

from hayate.adapters.aws import run_lambda_streaming

module = importlib.import_module(os.environ.get("_HANDLER", "app"))
run_lambda_streaming(module.app)

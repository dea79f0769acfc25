#!/usr/bin/env bash
# The project's one test command (README "Test"; .ci/run calls it): set up, lint, type-check, test.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"

ruff check .
ruff format --check .
mypy
pytest "$@"

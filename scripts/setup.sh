#!/usr/bin/env bash
# Set up everything the tests and the demo need, on a fresh machine or an old one.
# Idempotent: a second run with unchanged requirements only checks a stamp.
#
#   LS_PYTHON=/path/to/python3.13  use this interpreter for .venv (default: 3.13 from PATH or pyenv)
set -euo pipefail
cd "$(dirname "$0")/.."

find_python() {
  local candidate
  for candidate in "${LS_PYTHON:-}" python3.13 "$(pyenv prefix 3.13 2>/dev/null)/bin/python3.13"; do
    [ -n "$candidate" ] || continue
    if "$candidate" -c 'import sys; assert sys.version_info[:2] == (3, 13)' 2>/dev/null; then
      command -v "$candidate"
      return 0
    fi
  done
  echo "setup: no CPython 3.13 found; install one (pyenv install 3.13) or set LS_PYTHON" >&2
  return 1
}

if [ ! -x .venv/bin/python ]; then
  "$(find_python)" -m venv .venv
fi

# bubblewrap: tests/infra runs the synthesized Lambda asset in an isolated root with it.
if ! command -v bwrap >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq && apt-get install -y -qq bubblewrap >/dev/null
  else
    echo "setup: bubblewrap is missing; install it (sudo apt-get install bubblewrap)" >&2
  fi
fi

# chromium: tests/browser drive Debian's Chromium with Playwright (never a downloaded browser);
# a Japanese font so the chat page's screenshot shows its answers.
if ! command -v chromium >/dev/null 2>&1 || [ ! -d /usr/share/fonts/opentype/ipafont-gothic ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      chromium fonts-ipafont-gothic >/dev/null
  else
    echo "setup: chromium is missing; install it (sudo apt-get install chromium" \
      "fonts-ipafont-gothic) or tests/browser are skipped" >&2
  fi
fi

stamp=.venv/.requirements-stamp
wanted=$(cat requirements*.txt runtime/requirements.txt scripts/setup.sh package.json package-lock.json \
  | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ] || [ ! -x node_modules/.bin/cdk ]; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
  # The CDK CLI (2.x) and the node 22 it runs on, exactly as package-lock.json pins them.
  npm ci --no-audit --no-fund --loglevel=error
  echo "$wanted" >"$stamp"
fi

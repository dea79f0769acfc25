#!/usr/bin/env bash
# The local demo (README "Try it"): the emulator with the streaming Bedrock handler and a fake Bedrock.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
echo "demo: not yet — the local emulator (issue #3) and the Bedrock handlers (issue #4) have not landed." >&2
exit 1

#!/usr/bin/env bash
# The local demo (README "Try it"): a demo handler from lambda_src/ in the local emulator, on
# the project's runtime, answering through a fake Bedrock. No AWS account needed. Ctrl-C stops all.
#
#   scripts/demo.sh                  (make demo)               fake Bedrock, offline
#   scripts/demo.sh --real-bedrock   (make demo BEDROCK=aws)   real Bedrock, your AWS credentials
#
# Options:
#   --port N          the Function URL's port (default 8080; env PORT)
#   --handler NAME    stream_text (default), stream_sse (also serves a chat page to browsers),
#                     stream_langchain, fastapi_app (a FastAPI app: POST /chat, GET /health),
#                     openai_compat (OpenAI's API: POST /v1/chat/completions, GET /v1/models;
#                     the AI SDK's: POST /api/chat), buffered, aggregated (env HANDLER)
#   --token-delay S   the fake model's pause before each token (default 0.05)
#   --timeout S       the function's timeout (default 300: 5 minutes, as the deployed demo
#                     functions, StreamingPythonFunction's default; `python -m emulator` alone: 3)
#   --verbose         show the emulator's and the function's logs
#   --real-bedrock    no fake: the function calls Bedrock with your credentials (AWS_PROFILE or
#                     AWS_ACCESS_KEY_ID/...), MODEL_ID and BEDROCK_REGION (defaults:
#                     lambda_src/demo_settings.json)
set -euo pipefail
cd "$(dirname "$0")/.."

port=${PORT:-8080}
handler=${HANDLER:-stream_text}
token_delay=0.05
timeout=300
verbose=0
real=0
[ "${BEDROCK:-fake}" = aws ] && real=1

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit "${1:-0}"; }
while [ $# -gt 0 ]; do
  case "$1" in
    --port) port=$2; shift 2 ;;
    --handler) handler=$2; shift 2 ;;
    --token-delay) token_delay=$2; shift 2 ;;
    --timeout) timeout=$2; shift 2 ;;
    --verbose) verbose=1; shift ;;
    --real-bedrock) real=1; shift ;;
    -h | --help) usage 0 ;;
    *) echo "demo: unknown option $1" >&2; usage 2 ;;
  esac
done
case "$handler" in
  stream_text | stream_sse | stream_langchain | fastapi_app | openai_compat) mode=RESPONSE_STREAM ;;
  buffered | aggregated) mode=BUFFERED ;;
  *) echo "demo: unknown handler $handler (see lambda_src/)" >&2; exit 2 ;;
esac

scripts/setup.sh
python=.venv/bin/python
workdir=$(mktemp -d)
pids=()
stop_all() {
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$workdir"
}
trap stop_all EXIT
trap 'echo; echo "demo: stopping"; exit 0' INT TERM

# Wait until process $1 (named $4) prints a line starting with $3 into file $2; print that line.
wait_for_line() {
  local pid=$1 file=$2 prefix=$3 name=$4 _
  for _ in $(seq 300); do
    if grep -q "^$prefix" "$file" 2>/dev/null; then grep -m1 "^$prefix" "$file"; return 0; fi
    if ! kill -0 "$pid" 2>/dev/null; then break; fi
    sleep 0.1
  done
  echo "demo: $name did not start:" >&2
  cat "$file" "$file.err" >&2 2>/dev/null || true
  return 1
}

# The demo's defaults live in lambda_src/demo_settings.json (read by the stack and the handlers
# too); MODEL_ID, BEDROCK_REGION and MAX_TOKENS in the environment override them.
default() { "$python" -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' \
  lambda_src/demo_settings.json "$1"; }
model_id=${MODEL_ID:-$(default model_id)}
bedrock_region=${BEDROCK_REGION:-$(default region)}
env_args=(--env "MAX_TOKENS=${MAX_TOKENS:-$(default max_tokens)}" --env "MODEL_ID=$model_id"
  --env "BEDROCK_REGION=$bedrock_region")
if [ "$real" = 1 ]; then
  # The emulator gives functions dummy keys; replace them with the caller's credentials. Keys
  # in the environment are passed on; otherwise the keys are blanked so boto3 in the function
  # falls through to the profile (~/.aws, AWS_PROFILE), as the AWS CLI would.
  if [ -n "${AWS_ACCESS_KEY_ID:-}" ]; then
    env_args+=(--env "AWS_ACCESS_KEY_ID=$AWS_ACCESS_KEY_ID"
      --env "AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY:-}"
      --env "AWS_SESSION_TOKEN=${AWS_SESSION_TOKEN:-}")
  else
    env_args+=(--env AWS_ACCESS_KEY_ID= --env AWS_SECRET_ACCESS_KEY= --env AWS_SESSION_TOKEN=
      --env "HOME=$HOME")
    for name in AWS_PROFILE AWS_CONFIG_FILE AWS_SHARED_CREDENTIALS_FILE; do
      [ -n "${!name:-}" ] && env_args+=(--env "$name=${!name}")
    done
  fi
  echo "demo: real Bedrock ($bedrock_region, $model_id)"
else
  "$python" -m emulator.bedrock --port 0 --token-delay "$token_delay" \
    >"$workdir/bedrock" 2>"$workdir/bedrock.err" &
  pids+=($!)
  bedrock_url=$(wait_for_line "$!" "$workdir/bedrock" "Fake Bedrock:" "the fake Bedrock" | sed 's/^Fake Bedrock: //')
  env_args+=(--env "BEDROCK_ENDPOINT_URL=$bedrock_url")
  echo "demo: fake Bedrock at $bedrock_url (deterministic answers; see docs/bedrock.md)"
fi

quiet=(--quiet)
[ "$verbose" = 1 ] && quiet=()
if [ "$verbose" = 1 ]; then errors=/dev/stderr; else errors="$workdir/emulator.err"; fi
"$python" -m emulator --handler "$handler.handler" --code lambda_src --port "$port" \
  --invoke-mode "$mode" --timeout "$timeout" "${quiet[@]}" "${env_args[@]}" \
  >"$workdir/emulator" 2>"$errors" &
pids+=($!)
url=$(wait_for_line "$!" "$workdir/emulator" "Function URL:" "the emulator" | sed 's/^Function URL: \([^ ]*\).*/\1/')

chat_page=""
path=""
if [ "$handler" = fastapi_app ]; then
  path=chat  # the FastAPI app's streaming route; GET health is its JSON route
  chat_page=$'\n'"  Its ordinary JSON route: curl ${url}health"$'\n'
fi
if [ "$handler" = stream_sse ]; then
  chat_page=$'\n'"  Or open the chat page in a browser: $url"$'\n'
fi
request='{"prompt": "こんにちは"}'
if [ "$handler" = openai_compat ]; then
  # OpenAI's route; the openai SDK takes base_url=${url}v1 (README "Use it from the OpenAI SDK").
  path=v1/chat/completions
  request='{"model": "'"$model_id"'", "stream": true, "messages": [{"role": "user", "content": "こんにちは"}]}'
  chat_page=$'\n'"  Models: curl ${url}v1/models   openai SDK: base_url=${url}v1   AI SDK: ${url}api/chat"$'\n'
fi
cat <<EOF

  Function URL ($handler.handler, $mode): $url
  Try it (-N shows each token as it arrives):

    curl -N $url$path -H "Content-Type: application/json" -d '$request'
$chat_page
  Ctrl-C stops the demo.
EOF
wait "${pids[@]}"

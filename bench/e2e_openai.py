"""The OpenAI route's cost: ``openai_compat`` vs the plain SSE route, same fake Bedrock, same run.

    .venv/bin/python -m bench.e2e_openai [--requests N] [--idle yes|no]

Both demo handlers (``lambda_src/openai_compat.py`` ``stream: true`` and
``lambda_src/stream_sse.py``; keep-alives off unless ``--keep-alive S``, so by default neither
reads Bedrock in a helper thread) run in the emulator, one warm sandbox each, against one fake
Bedrock at zero token delay, the same prompt (the same tokens). Requests alternate between the
routes so drift hits both alike.

- CPU per token: the sandbox's CPU time (``schedstat`` of every thread of every process in
  its session) over all measured requests, divided by the tokens streamed; the ratio is the OpenAI
  translation's added CPU per token (target: at most +5 %).
- time to first token: request sent -> arrival of the HTTP chunk that carries the first token,
  median; the difference is what the route adds (target: at most 0.2 ms).
- tokens/s: tokens / (request sent -> last token), median.
- the translation alone, in this process: CPU per event of ``sse_stream`` framing vs
  ``chat_completion_chunks`` over the same typed events (no I/O).

Numbers from a shared machine are noisy: read the ratios of one run, with its load average.
"""

import argparse
import json
import os
import socket
import statistics
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from emulator.bedrock import FakeBedrock
from emulator.bedrock.answers import answer_for, tokenize
from emulator.config import FunctionConfig
from emulator.server import Emulator

REPO = Path(__file__).resolve().parents[1]
PROMPT = "How does response streaming work on AWS Lambda?"
FIRST_TOKEN = tokenize(answer_for(PROMPT))[0].strip().encode()
TOKENS = len(tokenize(answer_for(PROMPT)))
ROUTES = {
    "sse": ("stream_sse.handler", "/", {"prompt": PROMPT}),
    "openai": (
        "openai_compat.handler",
        "/v1/chat/completions",
        {
            "model": "claude-haiku-4.5",
            "stream": True,
            "messages": [{"role": "user", "content": PROMPT}],
        },
    ),
}


class Busy(Exception):
    """The emulator's 429: its one sandbox is still finishing the previous request."""


def post(url: str, path: str, document: Any) -> tuple[int, list[tuple[int, bytes]]]:
    """``_post``, again after 1 ms while the sandbox is still busy with the last request."""
    while True:
        try:
            return _post(url, path, document)
        except Busy:
            time.sleep(0.001)


def _post(url: str, path: str, document: Any) -> tuple[int, list[tuple[int, bytes]]]:
    """POST ``document``; the send time and every HTTP chunk with its arrival time."""
    parts = urlsplit(url)
    body = json.dumps(document).encode()
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        request = (
            f"POST {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        ).encode() + body
        rfile = sock.makefile("rb")
        sent = time.monotonic_ns()
        sock.sendall(request)
        status = rfile.readline().split(b" ")[1]
        while rfile.readline() not in (b"\r\n", b""):
            pass
        if status == b"429":
            raise Busy  # the one sandbox has not gone back to /next yet
        if status != b"200":
            raise RuntimeError(f"{path} answered {status!r}")
        chunks: list[tuple[int, bytes]] = []
        while True:
            size = int(rfile.readline().split(b";")[0], 16)
            if size == 0:
                return sent, chunks
            data = rfile.read(size + 2)[:-2]
            chunks.append((time.monotonic_ns(), data))


def session_cpu_s(pid: int) -> float:
    """CPU time (ns-resolution ``schedstat``) of every thread of every process in ``pid``'s
    session: the sandbox's bootstrap and whatever it runs."""
    total_ns = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if int(fields[3]) != pid:  # field 6 of stat, the session id
                continue
            for task in (entry / "task").iterdir():
                total_ns += int((task / "schedstat").read_text().split()[0])
        except (OSError, ValueError):
            continue  # a process or thread that ended meanwhile
    return total_ns / 1e9


def sandbox_pid(emulator: Emulator) -> int:
    (sandbox,) = emulator.function._all  # one warm sandbox (max_sandboxes=1)
    assert sandbox.pid is not None
    return sandbox.pid


def translation_only(repeats: int) -> dict[str, float]:
    """CPU µs per event of each framing over the same typed events, in this process."""
    # Imported here: the runtime package lives in runtime/, put on sys.path by main().
    from lambda_streaming.bedrock import converse_events  # noqa: PLC0415
    from lambda_streaming.openai import chat_completion_chunks  # noqa: PLC0415
    from lambda_streaming.sse import sse_stream  # noqa: PLC0415

    raw: list[dict[str, Any]] = [{"messageStart": {"role": "assistant"}}]
    raw += [
        {"contentBlockDelta": {"delta": {"text": token}, "contentBlockIndex": 0}}
        for token in tokenize(answer_for(PROMPT))
    ]
    raw += [
        {"contentBlockStop": {"contentBlockIndex": 0}},
        {"messageStop": {"stopReason": "end_turn"}},
        {"metadata": {"usage": {"inputTokens": 9, "outputTokens": TOKENS}, "metrics": {}}},
    ]
    result = {}
    for name in ("sse", "openai"):
        started = time.process_time()
        for _ in range(repeats):
            events = converse_events({"stream": raw})
            lines = (
                sse_stream(events, keep_alive=None)
                if name == "sse"
                else chat_completion_chunks(events, "m")
            )
            for _line in lines:
                pass
        result[f"{name}_us_per_token"] = (time.process_time() - started) / repeats / TOKENS * 1e6
    return result


def run(requests: int, keep_alive: str = "0") -> dict[str, Any]:
    samples: dict[str, dict[str, list[float]]] = {r: {"rate": [], "first": []} for r in ROUTES}
    cpu = dict.fromkeys(ROUTES, 0.0)
    with FakeBedrock(token_delay=0.0) as fake:
        emulators = {}
        for route, (handler, _, _) in ROUTES.items():
            config = FunctionConfig(
                handler=handler,
                code_dir=REPO / "lambda_src",
                env={"BEDROCK_ENDPOINT_URL": fake.url, "SSE_KEEP_ALIVE_SECONDS": keep_alive},
                timeout=30.0,
            )
            emulators[route] = Emulator(config, max_sandboxes=1)
            emulators[route].start()
        try:
            for route, (_, path, document) in ROUTES.items():
                for _ in range(3):  # cold start, boto3 client, first connections
                    post(emulators[route].function_url, path, document)
            for _ in range(requests):
                for route, (_, path, document) in ROUTES.items():
                    pid = sandbox_pid(emulators[route])
                    before = session_cpu_s(pid)
                    sent, chunks = post(emulators[route].function_url, path, document)
                    cpu[route] += session_cpu_s(pid) - before
                    first = next(at for at, data in chunks if FIRST_TOKEN in data)
                    samples[route]["first"].append((first - sent) / 1e6)
                    samples[route]["rate"].append(TOKENS / ((chunks[-1][0] - sent) / 1e9))
        finally:
            for emulator in emulators.values():
                emulator.close()
    out: dict[str, Any] = {"requests": requests, "tokens_per_request": TOKENS}
    for route in ROUTES:
        out[f"{route}_cpu_us_per_token"] = cpu[route] / (requests * TOKENS) * 1e6
        out[f"{route}_first_token_ms"] = statistics.median(samples[route]["first"])
        out[f"{route}_tokens_per_s"] = statistics.median(samples[route]["rate"])
    out["cpu_per_token_ratio"] = out["openai_cpu_us_per_token"] / out["sse_cpu_us_per_token"]
    out["first_token_added_ms"] = out["openai_first_token_ms"] - out["sse_first_token_ms"]
    out["translation"] = translation_only(2000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200, help="per route (default 200)")
    parser.add_argument("--idle", choices=("yes", "no"), default="no", help="machine idle?")
    parser.add_argument(
        "--keep-alive",
        default="0",
        help="SSE_KEEP_ALIVE_SECONDS of both functions (default 0: off, each route reads Bedrock "
        "in the handler's thread; the demos ship with 15, a helper thread per stream)",
    )
    args = parser.parse_args()
    sys.path.insert(0, str(REPO / "runtime"))
    result = run(args.requests, args.keep_alive)
    result["keep_alive_s"] = args.keep_alive
    result["machine"] = {
        "idle": args.idle == "yes",
        "load_average": os.getloadavg(),
        "cpus": os.cpu_count(),
    }
    print(json.dumps(result, indent=2))
    print(
        f"\nOpenAI route vs plain SSE ({args.requests} requests each, {TOKENS} tokens, "
        f"keep-alive {args.keep_alive} s, machine "
        f"{'idle' if args.idle == 'yes' else 'NOT idle'}, load {os.getloadavg()[0]:.2f}):\n"
        f"  CPU per token      {result['sse_cpu_us_per_token']:.1f} µs -> "
        f"{result['openai_cpu_us_per_token']:.1f} µs  (x{result['cpu_per_token_ratio']:.3f})\n"
        f"  first token        {result['sse_first_token_ms']:.3f} ms -> "
        f"{result['openai_first_token_ms']:.3f} ms  ({result['first_token_added_ms']:+.3f} ms)\n"
        f"  tokens/s           {result['sse_tokens_per_s']:.0f} -> "
        f"{result['openai_tokens_per_s']:.0f}\n"
        f"  translation alone  {result['translation']['sse_us_per_token']:.2f} µs -> "
        f"{result['translation']['openai_us_per_token']:.2f} µs per token"
    )


if __name__ == "__main__":
    main()

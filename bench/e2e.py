"""End to end through the emulator's Function URL (our runtime only; the emulator runs it).

- tokens per second: the demo's ``lambda_src/stream_text.py``, unmodified, against the fake
  Bedrock at zero token delay; each token is one chunk at the client; rate = tokens / (request
  sent -> last token received), the sandbox warm; and, as the reference, the same
  InvokeModelWithResponseStream read by boto3 straight from the fake (no Lambda in between);
- the front door's added latency per chunk: ``peers/ours/streaming.py``'s ticks through the
  Function URL, write -> arrival at the HTTP client (p50), minus the same handler's write ->
  arrival at the bench's Runtime API in the same repetition.
"""

import json
import socket
import statistics
import time
from urllib.parse import urlsplit

import boto3

from bench.http1 import Chunk, iter_chunks, read_head
from bench.peers import PEERS_DIR, REPO
from bench.phases import Counts, chunk_latencies_ms, percentile
from emulator.bedrock import FakeBedrock
from emulator.config import FunctionConfig
from emulator.server import Emulator

PROMPT = "How does response streaming work on AWS Lambda?"


def post_stream(url: str, body: bytes) -> tuple[int, list[Chunk]]:
    """POST ``body`` to a Function URL; the send time and every chunk with its arrival time."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        request = (
            f"POST / HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        ).encode() + body
        rfile = sock.makefile("rb")
        sent = time.monotonic_ns()
        sock.sendall(request)
        head = read_head(rfile)
        if (
            head is None
            or head[1] != "200"
            or "chunked" not in head[2].get("transfer-encoding", "")
        ):
            raise RuntimeError(f"Function URL answered {head}")
        return sent, list(iter_chunks(rfile, {}))


def _direct(url: str, requests: int) -> dict[str, float]:
    """The demo's Bedrock call (Claude, native body), made by boto3 in this process."""
    client = boto3.client(
        "bedrock-runtime",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
    )
    body = json.dumps(
        {
            "anthropic_version": "bedrock-2023-05-31",
            "max_tokens": 1000,
            "messages": [{"role": "user", "content": PROMPT}],
        }
    )
    rates, first_tokens = [], []
    for attempt in range(requests + 1):
        sent = time.monotonic_ns()
        response = client.invoke_model_with_response_stream(
            modelId="anthropic.claude-3-haiku-20240307-v1:0", body=body
        )
        arrivals = []
        for event in response["body"]:
            if b"content_block_delta" in event["chunk"]["bytes"]:
                arrivals.append(time.monotonic_ns())
        if attempt:  # the first request opens the connection
            rates.append(len(arrivals) / ((arrivals[-1] - sent) / 1e9))
            first_tokens.append((arrivals[0] - sent) / 1e6)
    return {
        "e2e_direct_tokens_per_s": statistics.median(rates),
        "e2e_direct_first_token_ms": statistics.median(first_tokens),
    }


def run(counts: Counts, direct_chunk_p50_ms: float) -> dict[str, float]:
    with FakeBedrock(token_delay=0.0) as fake:
        config = FunctionConfig(
            handler="stream_text.handler",
            code_dir=REPO / "lambda_src",
            env={"BEDROCK_ENDPOINT_URL": fake.url},
            timeout=30.0,
        )
        direct = _direct(fake.url, counts.e2e_requests)
        rates, first_tokens = [], []
        with Emulator(config) as emulator:
            body = json.dumps({"prompt": PROMPT}).encode()
            post_stream(emulator.function_url, body)  # cold start, boto3 client
            for _ in range(counts.e2e_requests):
                sent, chunks = post_stream(emulator.function_url, body)
                rates.append(len(chunks) / ((chunks[-1].arrival_ns - sent) / 1e9))
                first_tokens.append((chunks[0].arrival_ns - sent) / 1e6)
    ticks = {"op": "ticks", "n": counts.ticks, "size": counts.tick_size, "sleep_ms": counts.tick_ms}
    config = FunctionConfig(handler="streaming.handler", code_dir=PEERS_DIR / "ours", timeout=30.0)
    latencies: list[float] = []
    with Emulator(config) as emulator:
        body = json.dumps(ticks).encode()
        post_stream(emulator.function_url, body)  # cold start
        for _ in range(counts.e2e_ticks_invocations):
            _, chunks = post_stream(emulator.function_url, body)
            latencies += chunk_latencies_ms(chunks[1:])
    through_url = percentile(latencies, 50)
    return {
        "e2e_tokens_per_s": statistics.median(rates),
        **direct,
        "e2e_first_token_ms": statistics.median(first_tokens),
        "e2e_chunk_p50_ms": through_url,
        "e2e_added_ms": through_url - direct_chunk_p50_ms,
    }

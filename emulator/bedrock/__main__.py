"""``python -m emulator.bedrock``: run the fake Bedrock Runtime until Ctrl-C."""

import argparse
import os
import sys

from .server import BedrockServer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m emulator.bedrock",
        description="A fake Amazon Bedrock Runtime on loopback (InvokeModel[WithResponseStream], "
        "Converse[Stream]) for the unmodified boto3 client: pass endpoint_url=http://HOST:PORT.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=4010, help="port (default 4010, 0 = any)")
    parser.add_argument(
        "--token-delay",
        type=float,
        default=0.05,
        metavar="S",
        help="seconds before each streamed token (default 0.05; header X-Fake-Bedrock-Token-Delay "
        "or the prompt marker [[bedrock:delay=S]] override it per request)",
    )
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    args = parser.parse_args(argv)
    if args.token_delay < 0:
        parser.error("--token-delay must not be negative")
    try:
        server = BedrockServer(
            (args.host, args.port), token_delay=args.token_delay, verbose=args.verbose
        )
    except OSError as error:
        reason = os.strerror(error.errno) if error.errno else str(error)
        print(f"fake Bedrock: cannot listen on {args.host}:{args.port}: {reason}", file=sys.stderr)
        return 2
    host, port = server.server_address[:2]
    print(f"Fake Bedrock: http://{host!s}:{port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

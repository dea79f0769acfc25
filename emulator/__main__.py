"""``python -m emulator``: run any handler locally behind a Function URL and the Invoke APIs.

Example::

    python -m emulator --code lambda_src --handler chat.handler --port 9000
    curl -N http://127.0.0.1:9000/
"""

import argparse
import errno
import logging
import os
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from emulator.config import DEFAULT_BOOTSTRAP, FunctionConfig
from emulator.http11 import Limits
from emulator.invocation import STREAMED_RESPONSE_LIMIT
from emulator.rest_api import BUFFERED, STREAM, RestApiEmulator
from emulator.server import INVOKE_MODES, Emulator

_DEFAULT_LIMITS = Limits()
_DESCRIPTION = """\
Run a Python Lambda handler locally, offline, with the project's real runtime (runtime/bootstrap)
in child processes. One port serves both:
  - a Function URL (any method and path; RESPONSE_STREAM really streams: try curl -N), and
  - the Lambda Invoke APIs, so boto3.client("lambda", endpoint_url=...) works unmodified
    (invoke, invoke_with_response_stream).
"""

_EPILOG = """\
examples:
  python -m emulator --code lambda_src --handler chat.handler
  python -m emulator --code . --handler app.handler --port 9000 --invoke-mode BUFFERED \\
      --env BEDROCK_ENDPOINT_URL=http://127.0.0.1:9100 --timeout 30

  curl -N http://127.0.0.1:9000/
  python -c 'import boto3; c = boto3.client("lambda", endpoint_url="http://127.0.0.1:9000",
      region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x");
      print(c.invoke(FunctionName="function")["Payload"].read())'

The first line printed is machine-readable:
  Function URL: http://127.0.0.1:PORT/  Invoke API: http://127.0.0.1:PORT
What differs from real Lambda: see docs/emulator.md.
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m emulator",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    function = parser.add_argument_group("the function")
    function.add_argument(
        "--handler", required=True, help="module.function, as Lambda's _HANDLER (e.g. app.handler)"
    )
    function.add_argument(
        "--code",
        type=Path,
        default=Path(),
        help="the code directory (LAMBDA_TASK_ROOT); default: .",
    )
    function.add_argument(
        "--function-name",
        default="function",
        help="function name for ARN and Invoke (default: function)",
    )
    function.add_argument(
        "--timeout",
        type=float,
        default=3.0,
        metavar="SECONDS",
        help="function timeout (default: 3, as Lambda)",
    )
    function.add_argument(
        "--memory",
        type=int,
        default=128,
        metavar="MB",
        help="AWS_LAMBDA_FUNCTION_MEMORY_SIZE (default: 128); not enforced",
    )
    function.add_argument(
        "--region", default="us-east-1", help="AWS_REGION of the function (default: us-east-1)"
    )
    function.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="an environment variable for the function (repeatable)",
    )
    serving = parser.add_argument_group("serving")
    serving.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    serving.add_argument(
        "--port",
        type=int,
        default=9000,
        help="port of the Function URL and Invoke API (0 = any free port; default: 9000)",
    )
    serving.add_argument(
        "--invoke-mode",
        choices=INVOKE_MODES,
        default="RESPONSE_STREAM",
        help="the Function URL's invoke mode (default: RESPONSE_STREAM)",
    )
    serving.add_argument(
        "--front-door",
        choices=("function-url", "rest-api"),
        default="function-url",
        help="function-url (default; with the Invoke API on the same port) or rest-api: an API "
        "Gateway REST API in STREAM mode (BUFFERED with --invoke-mode BUFFERED) at /STAGE/",
    )
    serving.add_argument(
        "--stage", default="prod", help="the REST API's stage, its path prefix (default: prod)"
    )
    serving.add_argument(
        "--max-sandboxes",
        type=int,
        default=4,
        metavar="N",
        help="concurrent sandboxes before throttling with 429 (default: 4)",
    )
    serving.add_argument(
        "--max-connections",
        type=int,
        default=_DEFAULT_LIMITS.max_connections,
        metavar="N",
        help="open client connections; more are answered 503 (default: %(default)s)",
    )
    serving.add_argument(
        "--read-timeout",
        type=float,
        default=_DEFAULT_LIMITS.header_timeout,
        metavar="SECONDS",
        help="seconds a client may take to send a request's head, and again its body; "
        "slower ones get 408 (default: %(default)s)",
    )
    serving.add_argument(
        "--max-concurrency",
        type=int,
        default=1,
        metavar="N",
        help="model a Lambda Managed Instances environment: N invocations at once per sandbox, "
        "JSON logs, no kill at the timeout (default: 1, classic Lambda)",
    )
    serving.add_argument(
        "--max-stream-bytes",
        type=int,
        default=STREAMED_RESPONSE_LIMIT,
        metavar="BYTES",
        help="cap on a streamed response; past it the runtime gets 413 (default: 200 MiB)",
    )
    serving.add_argument(
        "--shape-bandwidth",
        action="store_true",
        help="limit streamed responses as Lambda does: 6 MiB burst, then 2 MiB/s (default: off)",
    )
    serving.add_argument(
        "--bootstrap",
        type=Path,
        default=DEFAULT_BOOTSTRAP,
        help=f"the runtime bootstrap to run (default: {DEFAULT_BOOTSTRAP})",
    )
    serving.add_argument(
        "--quiet", action="store_true", help="log warnings only (the function's output included)"
    )
    return parser


def parse_env(pairs: Sequence[str], parser: argparse.ArgumentParser) -> dict[str, str]:
    env: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            parser.error(f"--env {pair!r}: use KEY=VALUE")
        env[key] = value
    return env


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    code = args.code.resolve()
    if not code.is_dir():
        parser.error(f"--code {args.code}: not a directory")
    if not args.bootstrap.is_file():
        parser.error(f"--bootstrap {args.bootstrap}: no such file (the runtime lives in runtime/)")
    if args.max_stream_bytes < 1:
        parser.error("--max-stream-bytes must be at least 1")
    if args.max_sandboxes < 1:
        parser.error("--max-sandboxes must be at least 1")
    if args.max_connections < 1:
        parser.error("--max-connections must be at least 1")
    if args.read_timeout <= 0:
        parser.error("--read-timeout must be positive")
    logging.basicConfig(
        level=logging.WARNING if args.quiet else logging.INFO,
        format="%(asctime)s %(levelname).1s %(name)s %(message)s",
        stream=sys.stderr,
    )
    try:
        config = FunctionConfig(
            handler=args.handler,
            code_dir=code,
            bootstrap=args.bootstrap.resolve(),
            function_name=args.function_name,
            memory_mb=args.memory,
            timeout=args.timeout,
            region=args.region,
            env=parse_env(args.env, parser),
            shape_bandwidth=args.shape_bandwidth,
            max_concurrency=args.max_concurrency,
            streamed_response_limit=args.max_stream_bytes,
        )
        if args.front_door == "rest-api":
            return _serve_rest_api(config, args)
        emulator = Emulator(
            config,
            host=args.host,
            port=args.port,
            invoke_mode=args.invoke_mode,
            max_sandboxes=args.max_sandboxes,
            limits=Limits(
                header_timeout=args.read_timeout,
                body_timeout=args.read_timeout,
                max_connections=args.max_connections,
            ),
        )
    except ValueError as error:
        parser.error(str(error))
    except OSError as error:
        # Not a usage mistake: say what is wrong with the address, without the usage text.
        reason = os.strerror(error.errno) if error.errno else str(error)
        print(f"emulator: cannot listen on {args.host}:{args.port}: {reason}", file=sys.stderr)
        if error.errno == errno.EADDRINUSE:
            print(
                "emulator: another process uses that port; pass --port N (0 = any free port)",
                file=sys.stderr,
            )
        return 2
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    emulator.start()
    print(
        f"Function URL: {emulator.function_url}  Invoke API: {emulator.invoke_endpoint}", flush=True
    )
    try:
        _wait_for(stop)
    finally:
        emulator.close()
    return 0


def _serve_rest_api(config: FunctionConfig, args: argparse.Namespace) -> int:
    """The REST API door instead of the Function URL (emulator/rest_api.py)."""
    door = RestApiEmulator(
        config,
        host=args.host,
        port=args.port,
        stage=args.stage,
        max_sandboxes=args.max_sandboxes,
        transfer_mode=STREAM if args.invoke_mode == "RESPONSE_STREAM" else BUFFERED,
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    door.start()
    print(f"REST API: {door.url}", flush=True)
    try:
        _wait_for(stop)
    finally:
        door.close()
    return 0


def _wait_for(stop: threading.Event) -> None:
    # With a timeout: a signal the kernel delivers to another thread never interrupts an
    # untimed wait of the main thread, so the SIGTERM handler would not run (seen: 1 stop in 8
    # hung). Waking every half second lets the interpreter run the pending handler.
    while not stop.wait(0.5):
        pass


if __name__ == "__main__":
    sys.exit(main())

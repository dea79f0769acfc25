"""Find the runnable examples of README.md and docs/*.md and run them as a reader would.

The convention (also at the top of test_docs_examples.py and in docs/emulator.md):

- Every fenced block tagged ``sh``, ``bash``, ``shell`` or ``python`` is an example and runs.
  Other blocks (``js``, ``text``, untagged) are never run.
- An HTML comment on the line right before the fence changes that:
  ``<!-- example: needs-aws -->`` skips the block, saying it needs an AWS account;
  ``<!-- example: skip REASON -->`` skips it with REASON (a fragment, a sample, the suite itself).
- The blocks of one Markdown file run in order, as one session: shell blocks in bash from the
  repository root (``.venv/bin`` first on ``PATH``), Python blocks in one namespace.
- A command that starts a server (``python -m emulator``, ``python -m emulator.bedrock``,
  ``make demo``, ``scripts/demo.sh``) keeps running in the background until the file's session
  ends; the next command runs once its port (``--port N``, else the documented default) accepts
  connections. ``curl`` fails on an HTTP error status (a ``~/.curlrc`` with ``--fail-with-body``).

``python -m tests.functional.docs_examples FILE.md`` runs one file's session (the test runs it
in a private network namespace, so the documented ports are free) and exits non-zero with the
failing block's location and output.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import traceback
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
RUN_LANGUAGES = {"sh": "sh", "bash": "sh", "shell": "sh", "python": "python"}
MARKER = re.compile(r"^<!--\s*example:\s*(?P<kind>[\w-]+)\s*(?P<reason>.*?)\s*-->\s*$")
FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>```+|~~~+)\s*(?P<info>[^`\s]*)")
BLOCK_TIMEOUT_S = 90
# A server command, and the port it listens on when the command names none.
SERVERS = [
    (re.compile(r"python3?\s+-m\s+emulator\.bedrock\b"), 4010),
    (re.compile(r"python3?\s+-m\s+emulator(?!\.)\b"), 9000),
    (re.compile(r"^(?:\S*/)?make\s+demo\b|^(?:\S+/)?scripts/demo\.sh\b"), 8080),
]


class MarkerError(ValueError):
    """A marker that is not one of the convention's two forms."""


@dataclass(frozen=True)
class Example:
    path: Path
    line: int  # of the opening fence, 1-based
    language: str  # "sh" or "python"
    code: str
    skip: str | None  # the reason, when marked

    @property
    def where(self) -> str:
        return f"{self.path.relative_to(REPO)}:{self.line}"


def examples(path: Path) -> list[Example]:
    """The runnable blocks of one Markdown file, in order, with their markers applied."""
    lines = path.read_text().splitlines()
    found: list[Example] = []
    index = 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if opening is None:
            index += 1
            continue
        fence, info = opening["fence"], opening["info"].lower()
        end = index + 1
        while end < len(lines) and not lines[end].lstrip().startswith(fence):
            end += 1
        code = "\n".join(line[len(opening["indent"]) :] for line in lines[index + 1 : end])
        language = RUN_LANGUAGES.get(info)
        if language is not None:
            skip = _marker(path, index, lines[index - 1] if index else "")
            found.append(Example(path, index + 1, language, code + "\n", skip))
        index = end + 1
    return found


def _marker(path: Path, fence_index: int, previous: str) -> str | None:
    if not previous.lstrip().startswith("<!-- example"):
        return None
    match = MARKER.match(previous.strip())
    where = f"{path.relative_to(REPO)}:{fence_index}"
    if match is None or match["kind"] not in ("needs-aws", "skip"):
        raise MarkerError(
            f"{where}: unknown example marker {previous.strip()!r}; write "
            "<!-- example: needs-aws --> or <!-- example: skip REASON -->"
        )
    if match["kind"] == "needs-aws":
        return "needs an AWS account" + (f": {match['reason']}" if match["reason"] else "")
    if not match["reason"]:
        raise MarkerError(f"{where}: <!-- example: skip --> needs a reason after 'skip'")
    return match["reason"]


def markdown_files() -> list[Path]:
    return [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]


# --- running a session -------------------------------------------------------------------
def shell_script(code: str, helpers: Path) -> str:
    """The block as a bash script, each server command started through ``start_server``."""
    out = [f"source {shlex.quote(str(helpers))}", "set -euo pipefail"]
    for command in _logical_lines(code):
        stripped = command.strip()
        port = _server_port(stripped)
        if port is None:
            out.append(command)
            continue
        stripped = _without_comment(stripped).removesuffix("&").rstrip()
        out.append(f"start_server {port} {shlex.quote(stripped)}")
    return "\n".join(out) + "\n"


def _without_comment(command: str) -> str:
    """``command`` without a trailing ``# comment`` (a ``#`` outside quotes, after a blank)."""
    quote = ""
    for index, char in enumerate(command):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and index and command[index - 1].isspace():
            return command[:index].rstrip()
    return command


def _logical_lines(code: str) -> list[str]:
    joined: list[str] = []
    current = ""
    for line in code.splitlines():
        current += line
        if current.endswith("\\"):
            current = current[:-1] + " "
            continue
        joined.append(current)
        current = ""
    if current:
        joined.append(current)
    return joined


def _server_port(command: str) -> int | None:
    if not command or command.startswith("#"):
        return None
    for pattern, default in SERVERS:
        if pattern.search(command):
            explicit = re.search(r"--port[=\s]+(\d+)", command)
            if explicit:
                return int(explicit[1])
            env_port = re.search(r"\bPORT=(\d+)", command)
            return int(env_port[1]) if env_port else default
    return None


HELPERS = r"""
# Start a documented server in the background (its own process group) and wait for its port.
start_server() {
  local port=$1 command=$2
  setsid bash -c "$command" >>"$EXAMPLE_SERVER_LOG" 2>&1 </dev/null &
  echo $! >>"$EXAMPLE_PIDS"
  for _ in $(seq 600); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    if ! kill -0 $! 2>/dev/null; then break; fi
    sleep 0.1
  done
  echo "example: '$command' did not listen on port $port; its output:" >&2
  cat "$EXAMPLE_SERVER_LOG" >&2
  return 1
}
"""


def run_session(path: Path) -> int:
    """Run every example of ``path`` in order; 0 if all passed, else 1 (with a report)."""
    work = Path(tempfile.mkdtemp(prefix="docs-examples-"))
    helpers = work / "helpers.sh"
    helpers.write_text(HELPERS)
    (work / "home").mkdir()
    (work / "home" / ".curlrc").write_text("--fail-with-body\n--max-time 60\n")
    env = {
        **os.environ,
        "HOME": str(work / "home"),
        "PATH": f"{REPO / '.venv' / 'bin'}:{os.environ['PATH']}",
        "EXAMPLE_SERVER_LOG": str(work / "servers.log"),
        "EXAMPLE_PIDS": str(work / "pids"),
    }
    sys.path[:0] = [str(REPO), str(REPO / "runtime")]
    namespace: dict[str, object] = {"__name__": f"docs_{path.stem}"}
    status = 0
    try:
        for example in examples(path):
            if example.skip is not None:
                print(f"SKIP {example.where}: {example.skip}")
                continue
            ok, output = _run(example, namespace, env, helpers)
            print(f"{'PASS' if ok else 'FAIL'} {example.where} ({example.language})")
            if not ok:
                print(f"--- the block:\n{example.code}--- its output:\n{output}")
                status = 1
                break
    finally:
        _stop_servers(work / "pids")
        shutil.rmtree(work, ignore_errors=True)
    return status


def _run(
    example: Example, namespace: dict[str, object], env: dict[str, str], helpers: Path
) -> tuple[bool, str]:
    if example.language == "python":
        output = io.StringIO()  # the session runs from the repository root, as a reader does
        try:
            with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
                exec(compile(example.code, example.where, "exec"), namespace)
        except BaseException:  # any failure of the example is the report
            return False, output.getvalue() + traceback.format_exc()
        return True, output.getvalue()
    try:
        result = subprocess.run(
            ["bash", "-c", shell_script(example.code, helpers)],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=BLOCK_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired as expired:
        return False, f"timed out after {BLOCK_TIMEOUT_S} s\n{expired.stdout}{expired.stderr}"
    return result.returncode == 0, result.stdout + result.stderr


def _stop_servers(pids: Path) -> None:
    if not pids.exists():
        return
    for pid in pids.read_text().split():
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(int(pid), 15)


def bring_loopback_up() -> None:
    """In a fresh network namespace ``lo`` is down; bring it up (SIOCSIFFLAGS)."""
    import fcntl
    import socket
    import struct

    request = struct.pack("16sh14x", b"lo", 0)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        flags = struct.unpack("16sh14x", fcntl.ioctl(sock, 0x8913, request))[1]
        fcntl.ioctl(sock, 0x8914, struct.pack("16sh14x", b"lo", flags | 1))


if __name__ == "__main__":
    if "--netns" in sys.argv:
        bring_loopback_up()
    sys.exit(run_session(Path(sys.argv[1]).resolve()))

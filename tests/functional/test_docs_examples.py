"""Every command and code block of README.md and docs/*.md that a user can run is run here.

The examples are read from the Markdown at test time (never copied into a test), file by file,
in order, against the local emulator and the fake Bedrock the docs themselves start.

THE CONVENTION (docs/emulator.md, "Examples in the docs, and how they are tested", says the same):

- Every fenced block tagged ``sh``, ``bash``, ``shell`` or ``python`` runs. Other languages
  (``js``, ``text``, untagged output samples) never run.
- To skip a block, put ONE HTML comment on the line right before its opening fence:

      <!-- example: needs-aws -->          it needs an AWS account (skipped, saying so)
      <!-- example: skip REASON -->        anything else not runnable as written, with REASON

  Any other ``<!-- example...`` comment is an error naming the file and line.
- A file's blocks run in order as one session: shell blocks in bash from the repository root
  (``.venv/bin`` first on ``PATH``), Python blocks in one shared namespace. A server a block
  starts (``python -m emulator``, ``python -m emulator.bedrock``, ``make demo``,
  ``scripts/demo.sh``; with or without ``&``) runs in the background until the file ends, and
  the next command waits for its port (``--port N``, else 9000 / 4010 / 8080). ``curl`` fails on
  an HTTP error status. Each file runs in a private network namespace (``unshare -rn``), so
  the documented ports are the example's own.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.functional.docs_examples import (
    REPO,
    MarkerError,
    examples,
    markdown_files,
    shell_script,
)

SESSION_TIMEOUT_S = 300


def _netns_available() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "-rn", "true"], capture_output=True, check=False)
    return probe.returncode == 0


def _files_with_examples() -> list[Path]:
    return [path for path in markdown_files() if examples(path)]


@pytest.mark.parametrize("path", _files_with_examples(), ids=lambda p: p.name)
def test_every_example_of_the_file_runs(path: Path) -> None:
    runnable = [e for e in examples(path) if e.skip is None]
    if not runnable:
        pytest.skip("every block is marked: " + "; ".join(e.skip or "" for e in examples(path)))
    command = [sys.executable, "-m", "tests.functional.docs_examples", str(path)]
    if _netns_available():
        command = ["unshare", "-rn", *command, "--netns"]
    result = subprocess.run(
        command,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=SESSION_TIMEOUT_S,
        check=False,
    )
    report = result.stdout + result.stderr
    assert result.returncode == 0, report
    passed = [line for line in result.stdout.splitlines() if line.startswith("PASS ")]
    assert len(passed) == len(runnable), report


def test_markers_are_read_from_the_line_before_the_fence(tmp_path: Path) -> None:
    doc = REPO / "docs" / "_marker_probe.md"
    doc.write_text(
        "<!-- example: needs-aws -->\n```sh\nnpx cdk deploy\n```\n\n"
        "<!-- example: skip a fragment -->\n```python\nhandler(event)\n```\n\n"
        "```python\nprint(1)\n```\n\n```js\nnot run\n```\n"
    )
    try:
        found = examples(doc)
    finally:
        doc.unlink()
    assert [(e.language, e.skip) for e in found] == [
        ("sh", "needs an AWS account"),
        ("python", "a fragment"),
        ("python", None),
    ]
    assert [e.line for e in found] == [2, 7, 11]


@pytest.mark.parametrize(
    ("marker", "problem"),
    [
        ("<!-- example: skipp typo -->", "unknown example marker"),
        ("<!-- example: skip -->", "needs a reason after 'skip'"),
    ],
)
def test_a_bad_marker_says_how_to_write_it(marker: str, problem: str) -> None:
    doc = REPO / "docs" / "_marker_probe.md"
    doc.write_text(f"{marker}\n```sh\ntrue\n```\n")
    try:
        with pytest.raises(MarkerError, match=problem) as raised:
            examples(doc)
    finally:
        doc.unlink()
    assert "docs/_marker_probe.md:1" in str(raised.value)


def test_server_commands_run_in_the_background_until_their_port_answers() -> None:
    script = shell_script(
        ".venv/bin/python -m emulator.bedrock --port 4010 &\n"
        ".venv/bin/python -m emulator --code lambda_src --handler stream_text.handler \\\n"
        "  --env BEDROCK_ENDPOINT_URL=http://127.0.0.1:4010\n"
        'curl -N http://127.0.0.1:9000/ -d \'{"prompt": "hi"}\'\n',
        Path("/helpers.sh"),
    )
    lines = script.splitlines()
    assert lines[2] == "start_server 4010 '.venv/bin/python -m emulator.bedrock --port 4010'"
    assert lines[3].startswith("start_server 9000 '.venv/bin/python -m emulator --code")
    assert lines[4] == 'curl -N http://127.0.0.1:9000/ -d \'{"prompt": "hi"}\''


def test_a_comment_after_a_server_command_is_not_part_of_it() -> None:
    script = shell_script(
        "python -m emulator.bedrock --port 4010 &   # the fake (offline) '#1'\n", Path("/h")
    )
    assert script.splitlines()[2] == "start_server 4010 'python -m emulator.bedrock --port 4010'"

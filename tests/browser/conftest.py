"""The browser tier: the chat page in Debian's headless Chromium, driven by Playwright.

- Chromium is the system one (``/usr/bin/chromium``, installed by ``scripts/setup.sh``), passed
  to Playwright as ``executable_path``: no browser is ever downloaded. If it cannot start, the
  tests are skipped saying why, except under CI (``CI=true``), where that is a failure.
- The function is the demo's SSE handler in a real ``python -m emulator`` process, as a user
  runs it; its log (stderr) is kept so a test can wait for an invocation's ``END`` line.
- The fake Bedrock runs in this process (``FakeBedrock``) rather than as
  ``python -m emulator.bedrock``: its ``hold-after`` marker pauses a stream until
  ``release()``, which only an in-process fake can be told. That is how the tests prove what
  the page shows mid-stream without timing anything.
"""

import os
import select
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import pytest
from playwright.sync_api import BrowserContext, Page, Playwright, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from emulator.bedrock import FakeBedrock
from emulator.config import REPO_ROOT

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",  # runs as root in CI containers
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 800, "height": 600}
START_TIMEOUT_S = 30


class RunningFunction:
    """``python -m emulator`` serving ``stream_sse.handler``, with its log lines as they come."""

    max_sandboxes = 4  # concurrent invocations before the emulator throttles (429)

    def __init__(self, bedrock_url: str) -> None:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "emulator",
                "--code",
                str(REPO_ROOT / "lambda_src"),
                "--handler",
                "stream_sse.handler",
                "--port",
                "0",
                "--timeout",
                "30",
                "--env",
                f"BEDROCK_ENDPOINT_URL={bedrock_url}",
                "--env",
                "BEDROCK_MAX_ATTEMPTS=1",
                "--max-sandboxes",
                str(self.max_sandboxes),
            ],
            cwd=REPO_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self._log: list[str] = []
        self._changed = threading.Condition()
        threading.Thread(target=self._read_log, daemon=True).start()
        self.url = self._read_url()
        address = self.url.removeprefix("http://").rstrip("/")
        self.host, self.port = address.rsplit(":", 1)[0], int(address.rsplit(":", 1)[1])

    def _read_url(self) -> str:
        assert self.process.stdout is not None
        ready, _, _ = select.select([self.process.stdout], [], [], START_TIMEOUT_S)
        line = self.process.stdout.readline() if ready else ""
        if not line.startswith("Function URL: "):
            self.stop()
            raise RuntimeError(f"the emulator did not start: {line!r}\n{self.log()}")
        return line.split()[2]

    def _read_log(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            with self._changed:
                self._log.append(line)
                self._changed.notify_all()

    def log(self) -> str:
        with self._changed:
            return "".join(self._log)

    def wait_for_log(self, text: str, timeout: float = 30) -> None:
        """Wait until a log line contains ``text`` (a hang guard, not a timing assertion)."""
        with self._changed:
            found = self._changed.wait_for(
                lambda: any(text in line for line in self._log), timeout=timeout
            )
        assert found, f"the emulator never logged {text!r}:\n{self.log()}"

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()


@pytest.fixture(scope="package")
def fake_bedrock() -> Iterator[FakeBedrock]:
    with FakeBedrock() as fake:
        yield fake


@pytest.fixture(autouse=True)
def held_streams_wait(fake_bedrock: FakeBedrock) -> Iterator[None]:
    """Each test starts with ``hold-after`` streams waiting; none is left waiting after it."""
    fake_bedrock.hold()
    yield
    fake_bedrock.release()


@pytest.fixture(scope="package")
def function(fake_bedrock: FakeBedrock) -> Iterator[RunningFunction]:
    running = RunningFunction(fake_bedrock.url)
    yield running
    running.stop()


def _unavailable(reason: str) -> NoReturn:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI must run the browser tests: scripts/setup.sh installs it)")
    pytest.skip(reason)


@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="package")
def browser(
    playwright: Playwright, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[BrowserContext]:
    """Chromium with a fresh profile; skipped (failed on CI) only if it cannot start."""
    if not CHROMIUM.exists():
        _unavailable(
            f"{CHROMIUM} is missing: run scripts/setup.sh as root (apt-get install chromium)"
        )
    try:
        context = playwright.chromium.launch_persistent_context(
            tmp_path_factory.mktemp("chromium-profile"),
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport=VIEWPORT,
            locale="en-US",
            timeout=START_TIMEOUT_S * 1000,
        )
    except PlaywrightError as error:
        _unavailable(f"{CHROMIUM} cannot start: {error.message.splitlines()[0]}")
    context.set_default_timeout(20_000)  # a hang guard for every wait; nothing is timed
    yield context
    context.close()


@pytest.fixture
def page(browser: BrowserContext, function: RunningFunction) -> Iterator[Page]:
    """A fresh tab on the chat page; the test fails if the page's script throws."""
    tab = browser.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.goto(function.url)
    yield tab
    tab.close()
    assert errors == [], f"the page's script failed: {errors}"

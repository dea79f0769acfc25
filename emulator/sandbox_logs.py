"""A sandbox's log lines: read them, attribute each to its invocation, check the JSON format.

Classic Lambda runs one invocation at a time, so a line belongs to the invocation running
when it was printed. A Lambda Managed Instances environment runs many at once and "only
support[s] JSON log format"
(https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-logformat.html): there a
line belongs to the invocation its ``requestId`` names, and a line that is not one JSON object
is a finding the emulator reports (``violations``), since CloudWatch would not parse it.

Lines come from the process's stdout and, on Managed Instances, from the telemetry log socket
the runtime's workers may connect to (``_LAMBDA_TELEMETRY_LOG_FD_PROVIDER_SOCKET``, a Unix
stream socket; AWS's Python runtime client connects each worker to it and writes there:
https://github.com/aws/aws-lambda-python-runtime-interface-client, file
awslambdaric/lambda_multi_concurrent_utils.py).
"""

import contextlib
import json
import logging
import socket
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from emulator.function_logs import LineReader
from emulator.invocation import Invocation

log = logging.getLogger("emulator.function")
_VIOLATIONS_KEPT = 100


class SandboxLogs:
    """Route a sandbox's lines to ``log`` and to the right invocation's log tail.

    ``running`` returns the invocations running now, keyed by request id.
    """

    def __init__(
        self, number: int, *, json_only: bool, running: Callable[[], dict[str, Invocation]]
    ) -> None:
        self._number = number
        self._json_only = json_only
        self._running = running
        self._lock = threading.Lock()
        self.violations: list[str] = []  # lines that broke the JSON-only rule
        self.records: list[dict[str, object]] = []  # JSON records seen (json_only mode)
        self._socket_dir: Path | None = None
        self._listener: socket.socket | None = None
        self._readers: list[LineReader] = []

    # --- the telemetry log socket --------------------------------------------------------
    def open_socket(self) -> str:
        """Listen on a Unix socket for workers' output; return its path."""
        self._socket_dir = Path(tempfile.mkdtemp(prefix="emulator-logs-"))
        path = str(self._socket_dir / "telemetry.sock")
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(path)
        listener.listen(64)
        self._listener = listener
        threading.Thread(
            target=self._accept, name=f"sandbox-{self._number}-log-socket", daemon=True
        ).start()
        return path

    def close(self) -> None:
        if self._listener is not None:
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()
        if self._socket_dir is not None:
            with contextlib.suppress(OSError):
                (self._socket_dir / "telemetry.sock").unlink()
                self._socket_dir.rmdir()

    def _accept(self) -> None:
        assert self._listener is not None
        while True:
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(
                target=self._read_connection,
                args=(connection,),
                name=f"sandbox-{self._number}-log-conn",
                daemon=True,
            ).start()

    def _read_connection(self, connection: socket.socket) -> None:
        with connection:
            self.pump(connection.fileno())

    # --- lines ---------------------------------------------------------------------------
    def pump(self, fd: int) -> None:
        """Handle every line read from ``fd`` until it ends."""
        reader = LineReader(fd)  # lines of at most 256 KB, as Lambda splits them
        with self._lock:
            self._readers.append(reader)
        try:
            for line in reader.lines():
                self.line(line)
        finally:
            with self._lock:
                self._readers.remove(reader)

    def settle(self, timeout: float = 0.5) -> None:
        """Wait (at most ``timeout`` s) until every line written so far has been handled.

        The runtime writes its log lines before it answers; their readers run on their own
        threads, so without this a line could reach its invocation after the answer and miss
        the log tail (LogType=Tail) and the attribution.
        """
        give_up = time.monotonic() + timeout
        while time.monotonic() < give_up:
            with self._lock:
                readers = list(self._readers)
            if all(reader.caught_up() for reader in readers):
                return
            time.sleep(0.002)

    def line(self, raw: bytes) -> None:
        text = raw.decode("utf-8", "replace").rstrip("\n")
        running = self._running()
        if not self._json_only:
            # Classic: at most one invocation runs, so the line is its.
            invocation = next(iter(running.values()), None)
            self._emit(invocation, text, raw)
            return
        record = _json_object(text)
        if record is None:
            if text.strip():
                self._violation(text)
            self._emit(None, text, raw)
            return
        request_id = record.get("requestId")
        invocation = running.get(request_id) if isinstance(request_id, str) else None
        with self._lock:
            self.records.append(record)
            del self.records[:-1000]
        self._emit(invocation, text, raw)

    def _emit(self, invocation: Invocation | None, text: str, raw: bytes) -> None:
        prefix = invocation.request_id if invocation else f"sandbox {self._number}"
        log.info("[%s] %s", prefix, text)
        if invocation is not None:
            invocation.add_log(raw if raw.endswith(b"\n") else raw + b"\n")

    def _violation(self, text: str) -> None:
        with self._lock:
            self.violations.append(text)
            del self.violations[:-_VIOLATIONS_KEPT]
        log.warning(
            "[sandbox %d] log line is not a JSON object; Lambda Managed Instances support only "
            "the JSON log format: %.200s",
            self._number,
            text,
        )


def _json_object(text: str) -> dict[str, object] | None:
    try:
        decoded = json.loads(text)
    except ValueError:
        return None
    return decoded if isinstance(decoded, dict) else None

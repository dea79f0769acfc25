"""The lines Lambda itself adds to a function's log, and how it cuts the function's own output.

- A function's output is split into log lines at each newline and, for a line that never
  ends, every 256 KB, the largest CloudWatch Logs event
  (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/cloudwatch_limits_cwl.html): the
  emulator holds at most one such piece in memory, whatever the function writes.
- A timeout says which limit it hit: the function's timeout, or the start-up (init) limit.
- ``REPORT`` is followed by a warning when the peak memory exceeded the configured memory size:
  the emulator does not enforce it, Lambda would have ended the invocation
  (``Runtime.OutOfMemory``), so the developer must hear of it here.
"""

import fcntl
import os
import struct
import termios
from collections.abc import Iterator

LOG_LINE_LIMIT = 256 * 1024


class LineReader:
    """The lines of one file descriptor as they arrive, none longer than ``limit`` bytes.

    It knows when it has caught up (``caught_up``): waiting in ``read`` with nothing unread in
    the kernel, so a sandbox can tell that every line its runtime wrote before answering has
    been handled before it writes ``END``/``REPORT`` and the log tail is read.
    """

    def __init__(self, fd: int, limit: int = LOG_LINE_LIMIT) -> None:
        self.fd = fd
        self._limit = limit
        self._waiting = False

    def lines(self) -> Iterator[bytes]:
        pending = b""
        while True:
            self._waiting = True
            try:
                data = os.read(self.fd, 65536)
            except OSError:
                data = b""
            finally:
                self._waiting = False
            if not data:
                if pending:
                    yield pending
                return
            pending += data
            while True:
                end = pending.find(b"\n", 0, self._limit)
                if end >= 0:
                    line, pending = pending[: end + 1], pending[end + 1 :]
                elif len(pending) >= self._limit:
                    line, pending = pending[: self._limit], pending[self._limit :]
                else:
                    break
                yield line

    def caught_up(self) -> bool:
        if not self._waiting:
            return False
        try:
            unread = struct.unpack("i", fcntl.ioctl(self.fd, termios.FIONREAD, b"\0\0\0\0"))[0]
        except OSError:
            return True  # closed: nothing more will come
        return bool(unread == 0)


def timeout_message(request_id: str, limit: float, *, init: bool) -> str:
    """The ``Sandbox.Timedout`` message for the function's timeout or the start-up limit."""
    if init:
        return (
            f"RequestId: {request_id} Error: the function did not start in time: its start-up "
            f"(the init phase: the runtime starting and importing the handler's module) took "
            f"more than {limit:.2f} seconds, the limit for start-up"
        )
    return f"RequestId: {request_id} Error: Task timed out after {limit:.2f} seconds"


def memory_warning(request_id: str, used_mb: int, size_mb: int) -> str | None:
    """A warning line when the peak memory exceeded the memory size, else None."""
    if used_mb <= size_mb:
        return None
    return (
        f"WARNING RequestId: {request_id} Max Memory Used ({used_mb} MB) exceeded the Memory "
        f"Size ({size_mb} MB): on Lambda this invocation would have failed "
        "(Runtime.OutOfMemory). Raise the memory size (--memory) or use less."
    )

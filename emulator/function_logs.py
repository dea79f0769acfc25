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

from collections.abc import Iterator
from typing import IO

LOG_LINE_LIMIT = 256 * 1024


def log_lines(stream: IO[bytes], limit: int = LOG_LINE_LIMIT) -> Iterator[bytes]:
    """The lines of ``stream`` as they arrive, none longer than ``limit`` bytes."""
    while line := stream.readline(limit):
        yield line


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

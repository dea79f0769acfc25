"""The invocation loop: ``/next``, then dispatch, until told to stop.

Bounded by ``max_invocations`` and built from injected collaborators, so a test can serve
exactly one event against a local Runtime API. It never exits the process: a lost Runtime API
surfaces as ``RuntimeApiError`` for ``__main__`` to handle.
"""

from __future__ import annotations

import os

from . import logs

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from .runtime_api import Invocation, RuntimeApiClient

TRACE_ID_ENV = "_X_AMZN_TRACE_ID"
_TRACE_ID_KEY = os.environ.encodekey(TRACE_ID_ENV)


def run(
    client: RuntimeApiClient,
    dispatch: Callable[[Invocation], None],
    *,
    before_invocation: Callable[[], None] = lambda: None,
    max_invocations: int | None = None,
    expose_trace: bool = True,
) -> int:
    """Serve invocations one after another; return how many were served.

    ``expose_trace=False`` (concurrent mode's workers) leaves ``_X_AMZN_TRACE_ID`` unset: it is
    process-wide, and ``context.xray_trace_id`` carries each invocation's own.
    """
    served = 0
    while max_invocations is None or served < max_invocations:
        invocation = client.next_invocation()
        if expose_trace:
            _expose_trace_id(invocation.trace_id)
        logs.request_id.set(invocation.request_id)
        logs.tenant_id.set(invocation.tenant_id)
        before_invocation()
        dispatch(invocation)
        served += 1
    return served


def _expose_trace_id(trace_id: str | None) -> None:
    # "You can set _X_AMZN_TRACE_ID for custom runtimes using the Lambda-Runtime-Trace-Id
    # response header" (Lambda docs, runtimes-custom.html). Deleting it when absent keeps a
    # previous invocation's trace from leaking into this one, as every official runtime client
    # does. Only os.environ's own mapping is updated: os.environ[...] = ... would also call
    # setenv(3), and glibc never frees a replaced value, so a new trace id per invocation grows
    # the process by ~144 bytes each time. Code that reads os.environ / os.getenv (the X-Ray
    # SDK, OpenTelemetry) sees the id; native code calling getenv(3) and child processes do not.
    data = os.environ._data  # type: ignore[attr-defined]  # see above
    if trace_id:
        data[_TRACE_ID_KEY] = os.environ.encodevalue(trace_id)
    else:
        data.pop(_TRACE_ID_KEY, None)

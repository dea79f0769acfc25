"""``streamify_response``: marks a handler as streaming, and decides how it is called.

Two shapes, told apart when the decorator runs (so a malformed handler fails at init):

- Node style, ``handler(event, response_stream, context)``, plain or ``async def``: it writes
  to the stream; the runtime ends the stream when it returns, if it did not.
- Iterator style, ``handler(event, context)`` that is a generator or async generator (or any
  function of two arguments returning an iterable): every item yielded is one chunk; an
  ``HttpMetadata`` yielded first sets the HTTP status, headers and cookies.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from types import CodeType
    from typing import overload
else:
    # typing costs ~4 ms of cold start; at run time the overloads are simply replaced.
    def overload(function):  # type: ignore[no-redef]
        return function


# Code-object flags (Include/cpython/code.h); read directly because importing ``inspect``
# costs ~10 ms of cold start.
_CO_COROUTINE = 0x80
_CO_ASYNC_GENERATOR = 0x200
_CO_GENERATOR = 0x20


class StreamingHandler:
    """A handler marked by ``streamify_response``; still callable as the original function."""

    __slots__ = (
        "__dict__",
        "content_type",
        "function",
        "on_init",
        "rest_api_prelude",
        "takes_stream",
    )

    def __init__(
        self,
        function: Callable[..., object],
        content_type: str | None,
        rest_api_prelude: bool,
        on_init: Callable[[], object] | None,
    ) -> None:
        self.function = function
        self.content_type = content_type
        self.rest_api_prelude = rest_api_prelude
        self.on_init = on_init
        self.takes_stream = _takes_stream(function)
        # functools.update_wrapper's attributes, copied by hand: importing functools (and the
        # collections it pulls in) would cost ~2 ms of cold start.
        for name in ("__module__", "__name__", "__qualname__", "__doc__"):
            if hasattr(function, name):
                setattr(self, name, getattr(function, name))
        self.__dict__.update(getattr(function, "__dict__", {}))
        self.__wrapped__ = function

    def __call__(self, *args: object, **kwargs: object) -> object:
        return self.function(*args, **kwargs)


@overload
def streamify_response(
    function: Callable[..., object],
    /,
    *,
    content_type: str | None = None,
    rest_api_prelude: bool = True,
    on_init: Callable[[], object] | None = None,
) -> StreamingHandler: ...


@overload
def streamify_response(  # noqa: F811  # ruff does not see the run-time stand-in as overload
    *,
    content_type: str | None = None,
    rest_api_prelude: bool = True,
    on_init: Callable[[], object] | None = None,
) -> Callable[[Callable[..., object]], StreamingHandler]: ...


def streamify_response(  # noqa: F811
    function: Callable[..., object] | None = None,
    /,
    *,
    content_type: str | None = None,
    rest_api_prelude: bool = True,
    on_init: Callable[[], object] | None = None,
) -> StreamingHandler | Callable[[Callable[..., object]], StreamingHandler]:
    """Mark ``function`` as a streaming handler; usable bare or with options.

    ``content_type`` is the response's Content-Type unless the handler sets HTTP metadata.
    API Gateway REST ``STREAM`` integrations require HTTP metadata before the body: for their
    events, a handler that sets none gets status 200 with its content type, unless
    ``rest_api_prelude=False`` (then the handler must send its own, or API Gateway fails the
    request). ``on_init`` runs once during Lambda's init when this is the function's handler,
    after its module is imported and on the event loop async handlers run on (an ``async def``
    is awaited there); its failure is the function's init error. Use it for set-up bound to
    that loop, such as an ASGI app's lifespan startup.

    >>> @streamify_response
    ... def handler(event, response_stream, context):
    ...     response_stream.write("hello")

    >>> @streamify_response(content_type="text/event-stream")
    ... def events(event, context):
    ...     yield "data: hello\\n\\n"
    """
    if function is None:
        return lambda inner: StreamingHandler(inner, content_type, rest_api_prelude, on_init)
    return StreamingHandler(function, content_type, rest_api_prelude, on_init)


def _takes_stream(function: Callable[..., object]) -> bool:
    target = _unwrap(function)
    code: CodeType | None = getattr(getattr(target, "__func__", target), "__code__", None)
    if code is None:
        return True  # an object we cannot look into (a callable instance): assume Node's shape
    positional = code.co_argcount - (1 if hasattr(target, "__self__") else 0)
    if code.co_flags & (_CO_GENERATOR | _CO_ASYNC_GENERATOR):
        if positional == 2:
            return False
        raise TypeError(
            f"generator handler {getattr(target, '__qualname__', target)} takes {positional} "
            "positional arguments; a generator handler is handler(event, context) and yields "
            "its chunks"
        )
    if positional >= 3:
        return True
    if positional == 2 and not code.co_flags & _CO_COROUTINE:
        return False
    name = getattr(target, "__qualname__", repr(target))
    raise TypeError(
        f"streaming handler {name} takes {positional} positional arguments; write it as "
        "handler(event, response_stream, context) (plain or async def), or as a generator "
        "handler(event, context) that yields chunks"
    )


def _unwrap(function: object) -> object:
    while hasattr(function, "__wrapped__"):
        function = function.__wrapped__
    return function

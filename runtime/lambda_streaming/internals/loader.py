"""Turn ``_HANDLER`` ("package.module.function") into the callable to invoke.

Each failure has the ``Runtime.*`` type and the message awslambdaric gives it, so an init error
reads the same as on the managed runtime. One addition: a handler that is not callable fails at
init (``Runtime.HandlerNotFound``) rather than on every invocation.
"""

from __future__ import annotations

import importlib
import sys

from lambda_streaming.api.errors import FaultError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable


def load_handler(handler: str) -> Callable[..., object]:
    """Import the handler's module and return the function. Raises ``FaultError``."""
    try:
        module_name, function_name = handler.rsplit(".", 1)
    except ValueError as error:
        raise FaultError(
            f"Bad handler '{handler}': {error}", error_type="Runtime.MalformedHandlerName"
        ) from None
    if module_name.split(".")[0] in sys.builtin_module_names:
        raise FaultError(
            f"Cannot use built-in module {module_name} as a handler module",
            error_type="Runtime.BuiltInModuleConflict",
        )
    try:
        module = importlib.import_module(module_name.replace("/", "."))
    except ImportError as error:
        raise FaultError(
            f"Unable to import module '{module_name}': {error}",
            error_type="Runtime.ImportModuleError",
        ) from None
    except SyntaxError as error:
        raise FaultError(
            f"Syntax error in module '{module_name}': {error}",
            error_type="Runtime.UserCodeSyntaxError",
            stack_trace=[f'  File "{error.filename}" Line {error.lineno}\n    {error.text}'],
        ) from None
    try:
        function = getattr(module, function_name)
    except AttributeError:
        raise FaultError(
            f"Handler '{function_name}' missing on module '{module_name}'",
            error_type="Runtime.HandlerNotFound",
        ) from None
    if not callable(function):
        raise FaultError(
            f"Handler '{function_name}' on module '{module_name}' is a "
            f"{type(function).__name__}, not a function",
            error_type="Runtime.HandlerNotFound",
        )
    return function  # type: ignore[no-any-return]

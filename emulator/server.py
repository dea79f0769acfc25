"""The emulator as one object: a function, its sandbox pool and the front door on one port.

``Emulator`` is what the CLI runs and what tests start. The front door routes Lambda Invoke
API paths (``/2015-03-31/functions/...``, ``/2021-11-15/functions/...``, POST) to
``invoke_api.py`` and every other request to the Function URL (``function_url.py``).

>>> from pathlib import Path
>>> emulator = Emulator(FunctionConfig(handler="app.handler", code_dir=Path(".")))
>>> emulator.start()  # doctest: +SKIP
>>> emulator.function_url  # doctest: +SKIP
'http://127.0.0.1:54321/'
"""

import logging

from emulator.config import FunctionConfig
from emulator.function import Function
from emulator.function_url import BUFFERED, RESPONSE_STREAM, serve_function_url
from emulator.http11 import Exchange, HttpServer, Limits
from emulator.invoke_api import is_invoke_api_path, serve_invoke_api

log = logging.getLogger(__name__)
INVOKE_MODES = (RESPONSE_STREAM, BUFFERED)


class Emulator:
    """Serve one function on ``host:port`` (0 = an ephemeral port) until ``close()``.

    ``limits`` bounds what clients of the front door may do (read timeouts, open connections;
    see ``emulator.listener.Limits``); the default suits a developer's machine.
    """

    def __init__(
        self,
        config: FunctionConfig,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        invoke_mode: str = RESPONSE_STREAM,
        max_sandboxes: int = 4,
        limits: Limits | None = None,
    ) -> None:
        if invoke_mode not in INVOKE_MODES:
            raise ValueError(f"invoke mode {invoke_mode!r}: use RESPONSE_STREAM or BUFFERED")
        self.config = config
        self.invoke_mode = invoke_mode
        self.function = Function(config, max_sandboxes=max_sandboxes)
        self._server = HttpServer(
            self._route, host=host, port=port, name="front-door", limits=limits or Limits()
        )

    @property
    def port(self) -> int:
        return int(self._server.port)

    @property
    def function_url(self) -> str:
        return f"http://{self._server.host}:{self._server.port}/"

    @property
    def invoke_endpoint(self) -> str:
        """The ``endpoint_url`` for ``boto3.client("lambda", ...)``."""
        return f"http://{self._server.host}:{self._server.port}"

    def start(self) -> None:
        self._server.start()
        log.info(
            "function %s (%s, handler %s) ready",
            self.config.function_name,
            self.invoke_mode,
            self.config.handler,
        )

    def close(self) -> None:
        self._server.close()
        self.function.close()

    def __enter__(self) -> "Emulator":
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _route(self, exchange: Exchange) -> None:
        path = exchange.target.split("?", 1)[0]
        if exchange.method == "POST" and is_invoke_api_path(path):
            # "function" is also accepted, as the Runtime Interface Emulator names its function.
            functions = {"function": self.function, self.function.name: self.function}
            serve_invoke_api(exchange, functions, region=self.config.region)
        else:
            serve_function_url(
                exchange, self.function, invoke_mode=self.invoke_mode, port=self.port
            )

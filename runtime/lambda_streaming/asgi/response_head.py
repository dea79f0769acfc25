"""Status, headers and cookies of an answer, in the shape each front door reads.

Owns: turning an app's header list (ASGI's ``[(bytes, bytes)]`` or WSGI's ``[(str, str)]``)
into the metadata of a streamed response (``HttpResponseStream.from_stream``) and the header
fields of a buffered one.

Does not: encode bodies (``buffered.py``) or write anything.

- Payload 2.0 (Function URL, HTTP API): repeated headers joined with ``,``; every
  ``Set-Cookie`` in ``cookies``, each of which "becomes a set-cookie header"
  (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html).
- Payload 1.0 (REST, REST ``STREAM``) and ALB with multi-value headers: a header sent more than
  once goes in ``multiValueHeaders``, ``Set-Cookie`` included, since a comma cannot join cookies
  (https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html#api-gateway-simple-proxy-for-lambda-output-format).
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable

# The front door frames the body itself (chunked when streaming); the app's framing headers
# describe a connection that does not exist here.
_FRAMING = frozenset({"content-length", "transfer-encoding", "connection", "keep-alive"})


class ResponseHead:
    """An answer's status and headers (lower-case names, in the app's order)."""

    __slots__ = ("headers", "status")

    def __init__(self, status: int, headers: list[tuple[str, str]]) -> None:
        self.status = status
        self.headers = headers

    @classmethod
    def from_asgi(cls, message: dict[str, object]) -> ResponseHead:
        """From an ``http.response.start`` message; ``TypeError`` names what is malformed."""
        status = message.get("status")
        if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
            raise TypeError(f"http.response.start status must be an int 100-599, not {status!r}")
        raw = message.get("headers", ())
        pairs: list[object] = list(raw) if isinstance(raw, list | tuple) else [raw]
        headers: list[tuple[str, str]] = []
        for pair in pairs:
            if not (
                isinstance(pair, list | tuple)
                and len(pair) == 2
                and all(isinstance(part, bytes | bytearray) for part in pair)
            ):
                raise TypeError(
                    f"http.response.start headers must be [name, value] bytes pairs, not {pair!r}"
                )
            name, value = pair
            headers.append((bytes(name).decode("latin-1").lower(), bytes(value).decode("latin-1")))
        return cls(status, headers)

    @classmethod
    def from_wsgi(cls, status_line: str, headers: Iterable[tuple[str, str]]) -> ResponseHead:
        """From WSGI's ``start_response("200 OK", [(name, value)])``."""
        code = status_line.split(" ", 1)[0]
        if not (code.isdigit() and len(code) == 3):
            raise ValueError(f"WSGI status must look like '200 OK', not {status_line!r}")
        return cls(int(code), [(str(k).lower(), str(v)) for k, v in headers])

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key == name:
                return value
        return None

    def joined(self, *, framing: bool) -> tuple[dict[str, str], list[str]]:
        """Headers joined with ``,`` and the ``Set-Cookie`` values apart (payload 2.0)."""
        headers: dict[str, str] = {}
        cookies: list[str] = []
        for name, value in self.headers:
            if name == "set-cookie":
                cookies.append(value)
            elif framing or name not in _FRAMING:
                headers[name] = f"{headers[name]},{value}" if name in headers else value
        return headers, cookies

    def multi_value(self, *, framing: bool) -> tuple[dict[str, str], dict[str, list[str]]]:
        """Headers sent once, and those sent more than once as lists (payload 1.0, ALB)."""
        grouped: dict[str, list[str]] = {}
        for name, value in self.headers:
            if framing or name not in _FRAMING:
                grouped.setdefault(name, []).append(value)
        single = {name: values[0] for name, values in grouped.items() if len(values) == 1}
        multi = {name: values for name, values in grouped.items() if len(values) > 1}
        return single, multi

    def stream_metadata(self, kind: str) -> dict[str, object]:
        """The HTTP metadata of a streamed answer to a request of ``kind`` ("v2" or "v1")."""
        if kind == "v2":
            headers, cookies = self.joined(framing=False)
            metadata: dict[str, object] = {"statusCode": self.status, "headers": headers}
            if cookies:
                metadata["cookies"] = cookies
            return metadata
        single, multi = self.multi_value(framing=False)
        metadata = {"statusCode": self.status, "headers": single}
        if multi:
            metadata["multiValueHeaders"] = multi
        return metadata

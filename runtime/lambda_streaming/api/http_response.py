"""HTTP status, headers and cookies for streamed responses (Function URLs, API Gateway STREAM).

Handler-facing only: the runtime never calls this. ``HttpResponseStream.from_stream`` is Node's
``awslambda.HttpResponseStream.from`` (``from`` is a Python keyword). The metadata travels as a
JSON prelude followed by eight NUL bytes, sent as its own chunk just before the first body byte,
or at ``end()`` when the body is empty.
"""

from __future__ import annotations

from .stream import response_of

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from .stream import ResponseStream

# "Only headers, multiValueHeaders, cookies and the statusCode keys are supported" (API Gateway).
_METADATA_KEYS = frozenset({"statusCode", "headers", "multiValueHeaders", "cookies"})


class HttpMetadata:
    """Status, headers and cookies of a streamed HTTP response.

    Yield one first from a generator handler, or pass one to ``HttpResponseStream.from_stream``:

    >>> HttpMetadata(status_code=201, headers={"content-type": "text/plain"}, cookies=["a=1"])
    HttpMetadata(status_code=201, headers={'content-type': 'text/plain'}, cookies=['a=1'])
    """

    __slots__ = ("cookies", "headers", "status_code")

    def __init__(
        self,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        cookies: Iterable[str] = (),
    ) -> None:
        self.status_code = status_code
        self.headers = dict(headers or {})
        self.cookies = list(cookies)
        _validate({"statusCode": status_code, "headers": self.headers, "cookies": self.cookies})

    def to_prelude(self) -> dict[str, object]:
        prelude: dict[str, object] = {"statusCode": self.status_code, "headers": self.headers}
        if self.cookies:
            prelude["cookies"] = self.cookies
        return prelude

    def __repr__(self) -> str:
        return (
            f"HttpMetadata(status_code={self.status_code}, headers={self.headers}, "
            f"cookies={self.cookies})"
        )


class HttpResponseStream:
    """Turns a response stream into an HTTP response with a status, headers and cookies."""

    @staticmethod
    def from_stream(
        response_stream: ResponseStream, metadata: Mapping[str, object] | HttpMetadata
    ) -> ResponseStream:
        """Attach HTTP metadata to ``response_stream`` and return it, ready to write.

        ``metadata`` is Node's shape, ``{"statusCode": 201, "headers": {...}, "cookies": [...]}``,
        or an ``HttpMetadata``. Call it before the first write.

        >>> stream = HttpResponseStream.from_stream(response_stream, {"statusCode": 404})
        >>> stream.end("not found")  # doctest: +SKIP
        """
        if isinstance(metadata, HttpMetadata):
            prelude = metadata.to_prelude()
        else:
            prelude = dict(metadata)
            _validate(prelude)
        response_of(response_stream).set_http_metadata(prelude)
        return response_stream


def _validate(prelude: Mapping[str, object]) -> None:
    unknown = set(prelude) - _METADATA_KEYS
    if unknown:
        raise ValueError(
            f"unsupported HTTP response metadata {sorted(unknown)}; "
            f"use only {sorted(_METADATA_KEYS)}"
        )
    status = prelude.get("statusCode", 200)
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        raise ValueError(f"statusCode must be an int from 100 to 599, not {status!r}")
    headers = prelude.get("headers", {})
    if not isinstance(headers, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in headers.items()
    ):
        raise ValueError(
            f"headers must map str to str, not {headers!r}; "
            "put repeated headers in multiValueHeaders and cookies in cookies"
        )
    cookies = prelude.get("cookies", [])
    if not isinstance(cookies, list) or not all(isinstance(c, str) for c in cookies):
        raise ValueError(f"cookies must be a list of str (Set-Cookie values), not {cookies!r}")

"""(3) Streamed plain text: Bedrock's tokens written to the client as they arrive.

The article's third function, in Python: ``streamify_response`` and ``response_stream.write``.

    curl -N http://127.0.0.1:8080/ -H "Content-Type: application/json" -d '{"prompt": "こんにちは"}'

Failures: a bad request or a Bedrock refusal before the first byte is an HTTP error status with
a JSON body (a function error when invoked directly). A Bedrock exception mid-stream adds a
one-line note to the text, then fails the stream, so ``InvokeWithResponseStream`` callers get
it in the error trailers (``InvokeComplete.ErrorCode``, e.g. ``Function.ThrottlingException``).
Near the function's timeout the answer ends early with a note instead of being cut off.
Keep-alives: none. Plain text has no comment syntax a client would ignore, so any byte sent
during a silence would become part of the answer; behind an idle-timeout proxy, use the SSE
handler (``stream_sse``), whose ``: keep-alive`` comments browsers ignore.
"""

from typing import Any

from common import RequestFailed, invoke_model, is_http, read_conversation

from lambda_streaming import (
    BedrockStreamError,
    HttpResponseStream,
    deadline_guard,
    invoke_text,
    streamify_response,
)


@streamify_response
def handler(event: Any, response_stream: Any, context: Any) -> None:
    try:
        response = invoke_model(read_conversation(event), stream=True, context=context)
    except RequestFailed as failure:
        if not is_http(event):
            raise
        metadata = {"statusCode": failure.status, "headers": failure.headers()}
        HttpResponseStream.from_stream(response_stream, metadata).end(failure.body())
        return
    response_stream.set_content_type("text/plain; charset=utf-8")
    try:
        for text in deadline_guard(invoke_text(response), context):
            response_stream.write(text)
    except BedrockStreamError as error:
        response_stream.write(f"\n\n[error: {error}]\n")
        raise
    response_stream.end()

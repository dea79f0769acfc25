"""(2) Aggregated: Bedrock streams to us, we answer ``{"content": "..."}`` at the end.

The article's second function, with what its author could not do there: only the generated text
is kept, whatever the model family, by ``lambda_streaming.invoke_text``.
"""

from typing import Any

from common import (
    RequestFailed,
    bedrock_failed,
    invoke_model,
    is_http,
    json_answer,
    read_conversation,
)

from lambda_streaming import BedrockStreamError, invoke_text


def handler(event: Any, context: Any) -> Any:
    try:
        response = invoke_model(read_conversation(event), stream=True, context=context)
        content = invoke_text(response).read()
    except BedrockStreamError as error:
        # Nothing has been sent yet, so a failure mid-stream still gets a proper status.
        if is_http(event):
            return bedrock_failed(error).http_response()
        raise
    except RequestFailed as failure:
        if is_http(event):
            return failure.http_response()
        raise
    return json_answer(event, {"content": content})

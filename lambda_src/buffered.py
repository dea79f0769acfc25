"""(1) Buffered: one InvokeModel call, Bedrock's JSON returned as it is (the article's first).

curl http://127.0.0.1:8080/ -H "Content-Type: application/json" -d '{"prompt": "こんにちは"}'
"""

import json
from typing import Any

from common import RequestFailed, invoke_model, is_http, json_answer, read_conversation


def handler(event: Any, context: Any) -> Any:
    try:
        response = invoke_model(read_conversation(event), stream=False, context=context)
    except RequestFailed as failure:
        if is_http(event):
            return failure.http_response()
        raise
    return json_answer(event, json.loads(response["body"].read()))

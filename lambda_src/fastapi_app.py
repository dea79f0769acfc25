"""(6) A FastAPI app on Lambda, streaming, with no adapter process: ``asgi_handler(app)``.

``POST /chat`` streams Bedrock's answer as plain text, token by token (ConverseStream through
``lambda_streaming.converse_text``); ``GET /health`` is an ordinary JSON route. Locally:

    scripts/demo.sh --handler fastapi_app
    curl -N http://127.0.0.1:8080/chat -H "Content-Type: application/json" -d '{"prompt": "hi"}'
    curl http://127.0.0.1:8080/health

Failures before the first byte (an empty prompt, Bedrock refusing) are JSON answers with the
status ``common.RequestFailed`` gives them; a Bedrock exception mid-stream ends the stream with
error trailers (``Function.ThrottlingException`` etc.), as in ``stream_text.py``.
"""

from collections.abc import Iterator

from common import RequestFailed, converse_stream, settings
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel

from lambda_streaming import converse_text
from lambda_streaming.asgi import asgi_handler

app = FastAPI(title="lambda-streaming demo")


class Chat(BaseModel):
    prompt: str


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok", "model": settings().model_id}


@app.post("/chat")
def chat(request: Chat, raw: Request) -> Response:
    prompt = request.prompt.strip()
    try:
        if not prompt:
            raise RequestFailed(400, "BadRequest", "the prompt is empty")
        if len(prompt) > settings().max_prompt_chars:
            raise RequestFailed(
                400, "BadRequest", f"the prompt is over {settings().max_prompt_chars} characters"
            )
        # The Lambda context reaches the route through the ASGI scope: retries of a
        # throttled call stop before the function's timeout.
        response = converse_stream(prompt, context=raw.scope.get("aws.context"))
    except RequestFailed as failure:
        return JSONResponse(
            {"error": failure.name, "message": failure.message},
            status_code=failure.status,
            headers=failure.headers(),
        )

    def tokens() -> Iterator[str]:
        yield from converse_text(response)

    # A sync iterator: Starlette reads it in a worker thread, so the blocking boto3 stream
    # never holds up the event loop; each token is sent as it arrives.
    return StreamingResponse(tokens(), media_type="text/plain; charset=utf-8")


handler = asgi_handler(app)

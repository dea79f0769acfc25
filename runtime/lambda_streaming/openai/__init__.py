"""OpenAI's Chat Completions API over Amazon Bedrock: requests in, streamed chunks out.

Clients that speak OpenAI's API (the ``openai`` SDKs, LangChain's ``ChatOpenAI``, IDE
assistants) work unchanged against a function built from these pieces; each one is a small
translator you can test alone. This package never imports boto3: you call Bedrock with your
own client (see ``lambda_src/openai_compat.py`` for the complete handler).

- ``read_chat_request(body, models=..., default_max_tokens=...) -> ChatRequest``: a request
  body mapped to ``converse``/``converse_stream`` keyword arguments (``.converse``), or an
  ``OpenAIError`` (400 naming the field it cannot map, 404 for an unknown model).
- ``chat_completion_chunks(converse_events(response), model, include_usage=...)``: the
  ``stream: true`` answer as SSE text to write as it comes (each string one or more events):
  ``chat.completion.chunk`` events, then ``data: [DONE]``; a failure mid-stream is an in-band
  error event the SDK raises.
  ``ChunkTranslator`` is the per-event step.
- ``chat_completion(converse_response, model)``: the ``stream: false`` answer.
- ``model_list(names)``: ``GET /v1/models``.
- ``OpenAIError`` / ``openai_error(exc)``: OpenAI's error object and HTTP status, for our own
  refusals and for Bedrock's errors (throttling -> 429, so ``openai.RateLimitError``).

>>> from lambda_streaming.bedrock import converse_events
>>> request = read_chat_request(
...     {"model": "m", "messages": [{"role": "user", "content": "Hi"}], "stream": True},
...     models={"m": "amazon.nova-lite-v1:0"})
>>> request.converse["messages"]
[{'role': 'user', 'content': [{'text': 'Hi'}]}]
>>> events = [{"messageStart": {"role": "assistant"}},
...           {"contentBlockDelta": {"delta": {"text": "Hello"}, "contentBlockIndex": 0}},
...           {"messageStop": {"stopReason": "end_turn"}}]
>>> import json
>>> stream = "".join(chat_completion_chunks(converse_events({"stream": events}), "m"))
>>> for event in stream.split("\\n\\n")[:-1]:
...     data = event.removeprefix("data: ")
...     if data == "[DONE]":
...         print(data)
...     else:
...         choice = json.loads(data)["choices"][0]
...         print(choice["delta"], choice["finish_reason"])
{'role': 'assistant', 'content': '', 'refusal': None} None
{'content': 'Hello'} None
{} stop
[DONE]
"""

from .chunks import (
    DONE,
    FINISH_REASONS,
    ChunkTranslator,
    chat_completion_chunks,
    chunk_event,
    error_event,
    finish_reason,
    openai_usage,
)
from .completion import chat_completion, model_list
from .errors import OpenAIError, bad_request, openai_error
from .messages import IMAGE_FORMATS, converse_image, converse_messages
from .request import REASONING_BUDGETS, ChatRequest, converse_tools, read_chat_request

SSE_HEADERS = {"content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache"}
"""Response headers of a ``stream: true`` answer."""

__all__ = [
    "DONE",
    "FINISH_REASONS",
    "IMAGE_FORMATS",
    "REASONING_BUDGETS",
    "SSE_HEADERS",
    "ChatRequest",
    "ChunkTranslator",
    "OpenAIError",
    "bad_request",
    "chat_completion",
    "chat_completion_chunks",
    "chunk_event",
    "converse_image",
    "converse_messages",
    "converse_tools",
    "error_event",
    "finish_reason",
    "model_list",
    "openai_error",
    "openai_usage",
    "read_chat_request",
]

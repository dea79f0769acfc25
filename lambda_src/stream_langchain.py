"""(5) LangChain: ``ChatBedrockConverse | StrOutputParser`` streamed with ``pipeline()``.

The article's last function. ``pipeline`` writes every chunk, ends the stream, and (unlike
Node's when not awaited) never loses an error: a failure mid-stream fails the stream.

Optional dependency, isolated here: ``langchain-aws`` (lambda_src/requirements-langchain.txt).
No other module imports it, so the other handlers deploy and start without it.
"""

from collections.abc import Iterable, Iterator
from functools import cache
from itertools import chain
from typing import Any

from common import RequestFailed, bedrock_failed, client_within, is_http, read_prompt, settings
from langchain_aws import ChatBedrockConverse
from langchain_core.output_parsers import StrOutputParser

from lambda_streaming import HttpResponseStream, deadline_guard, pipeline, streamify_response
from lambda_streaming.bedrock import bedrock_error


@cache
def text_chain(client: Any) -> Any:
    """The chain on ``client``, built once per sandbox for each of the few boto3 clients
    ``client_within`` gives (one per retry budget)."""
    config = settings()
    model = ChatBedrockConverse(
        client=client,
        model=config.model_id,
        region_name=config.region,
        max_tokens=config.max_tokens,
    )
    return model | StrOutputParser()


@streamify_response
def handler(event: Any, response_stream: Any, context: Any) -> None:
    try:
        # Retries of a throttled call stop before the function's timeout (client_within).
        stream = iter(text_chain(client_within(context)).stream(read_prompt(event)))
        first = next(stream, "")  # Bedrock is called here: its refusals still get a status
    except RequestFailed as failure:
        _refuse(event, response_stream, failure)
        return
    except Exception as error:
        if bedrock_error(error) is None:
            raise
        _refuse(event, response_stream, bedrock_failed(error))
        return
    response_stream.set_content_type("text/plain; charset=utf-8")
    pipeline(deadline_guard(_texts(chain([first], stream)), context), response_stream)


def _texts(chunks: Iterable[str]) -> Iterator[str]:
    """Non-empty text; Bedrock's mid-stream exceptions as BedrockStreamError (trailer type)."""
    try:
        yield from (chunk for chunk in chunks if chunk)
    except Exception as error:
        mapped = bedrock_error(error)
        if mapped is None:
            raise
        raise mapped from error


def _refuse(event: Any, response_stream: Any, failure: RequestFailed) -> None:
    if not is_http(event):
        raise failure
    metadata = {"statusCode": failure.status, "headers": failure.headers()}
    HttpResponseStream.from_stream(response_stream, metadata).end(failure.body())

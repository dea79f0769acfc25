"""The fake's non-streaming Converse answers with the blocks the markers ask for, in the
service model's shapes (botocore's bedrock-runtime model, checked by ``assert_matches_shape``):
``reasoningContent.reasoningText`` (text and signature) before the text, and a ``toolUse``
block with its whole ``input`` after it."""

from typing import Any

from emulator.bedrock.answers import REASONING
from tests.functional.bedrock.test_fake_bedrock import SERVICE, assert_matches_shape

HAIKU = "us.anthropic.claude-haiku-4-5-20251001-v1:0"
TOOLS = {"tools": [{"toolSpec": {"name": "lookup", "inputSchema": {"json": {}}}}]}


def converse(client: Any, text: str) -> Any:
    response = client.converse(
        modelId=HAIKU, messages=[{"role": "user", "content": [{"text": text}]}], toolConfig=TOOLS
    )
    response.pop("ResponseMetadata")
    assert_matches_shape(response, SERVICE.operation_model("Converse").output_shape)
    return response


def test_reasoning_comes_first_with_its_signature(client: Any) -> None:
    response = converse(client, "Hello [[bedrock:reasoning]]")
    content = response["output"]["message"]["content"]
    assert [list(block) for block in content] == [["reasoningContent"], ["text"]]
    reasoning = content[0]["reasoningContent"]["reasoningText"]
    assert reasoning["text"] == REASONING and reasoning["signature"]
    assert response["stopReason"] == "end_turn"


def test_a_tool_call_follows_the_text(client: Any) -> None:
    response = converse(client, "Weather? [[bedrock:tool-use]]")
    content = response["output"]["message"]["content"]
    assert content == [
        {"text": "Let me look that up."},
        {
            "toolUse": {
                "toolUseId": "tooluse_fake0001",
                "name": "lookup",
                "input": {"city": "Tokyo"},
            }
        },
    ]
    assert response["stopReason"] == "tool_use"


def test_without_markers_only_text(client: Any) -> None:
    content = converse(client, "Hello")["output"]["message"]["content"]
    assert content == [{"text": "Hello! I am the local fake Bedrock. How can I help you today?"}]

"""useChat's UIMessage list -> Converse messages (lambda_streaming.aisdk.converse_ui_messages)."""

import base64
from typing import Any

import pytest

from lambda_streaming.aisdk import UIMessageError, converse_ui_messages


def text(role: str, value: str, **extra: Any) -> dict[str, Any]:
    return {"id": role[0], "role": role, "parts": [{"type": "text", "text": value}], **extra}


def test_text_system_files_and_ui_only_parts() -> None:
    png = base64.b64encode(b"img").decode()
    messages, system = converse_ui_messages(
        [
            text("system", "Be brief."),
            {
                "id": "u",
                "role": "user",
                "parts": [
                    {"type": "text", "text": "Look"},
                    {
                        "type": "file",
                        "mediaType": "image/png",
                        "url": f"data:image/png;base64,{png}",
                    },
                    {"type": "data-weather", "data": {}},
                ],
            },
            {
                "id": "a",
                "role": "assistant",
                "parts": [
                    {"type": "step-start"},
                    {"type": "reasoning", "text": "hm"},
                    {"type": "text", "text": "A cat."},
                    {"type": "source-url", "sourceId": "s", "url": "https://x"},
                ],
            },
            text("user", "Thanks"),
        ]
    )
    assert system == [{"text": "Be brief."}]
    assert messages == [
        {
            "role": "user",
            "content": [
                {"text": "Look"},
                {"image": {"format": "png", "source": {"bytes": b"img"}}},
            ],
        },
        {"role": "assistant", "content": [{"text": "A cat."}]},
        {"role": "user", "content": [{"text": "Thanks"}]},
    ]


def test_tool_outputs_and_errors_become_tool_results() -> None:
    messages, _ = converse_ui_messages(
        [
            text("user", "Go"),
            {
                "id": "a",
                "role": "assistant",
                "parts": [
                    {
                        "type": "tool-w",
                        "toolCallId": "1",
                        "state": "output-available",
                        "input": {"a": 1},
                        "output": {"t": 20},
                    },
                    {
                        "type": "dynamic-tool",
                        "toolName": "d",
                        "toolCallId": "2",
                        "state": "output-error",
                        "input": {},
                        "errorText": "down",
                    },
                    {
                        "type": "tool-w",
                        "toolCallId": "3",
                        "state": "output-available",
                        "input": {},
                        "output": [1, 2],
                    },
                ],
            },
        ]
    )
    assert messages[1]["content"] == [
        {"toolUse": {"toolUseId": "1", "name": "w", "input": {"a": 1}}},
        {"toolUse": {"toolUseId": "2", "name": "d", "input": {}}},
        {"toolUse": {"toolUseId": "3", "name": "w", "input": {}}},
    ]
    assert messages[2]["content"] == [
        {"toolResult": {"toolUseId": "1", "content": [{"json": {"t": 20}}]}},
        {"toolResult": {"toolUseId": "2", "content": [{"text": "down"}], "status": "error"}},
        {"toolResult": {"toolUseId": "3", "content": [{"text": "[1, 2]"}]}},
    ]


@pytest.mark.parametrize(
    ("messages", "param"),
    [
        ([], "messages"),
        ([{"role": "user"}], "messages[0]"),
        ([text("tool", "x")], "messages[0]"),
        ([text("assistant", "x")], "messages"),
        (
            [{"id": "u", "role": "user", "parts": [{"type": "file", "url": "https://x/y.png"}]}],
            "messages[0].parts[0]",
        ),
        ([{"id": "u", "role": "user", "parts": [{"type": "tool-w"}]}], "messages[0].parts[0]"),
        (
            [
                text("user", "x"),
                {
                    "id": "a",
                    "role": "assistant",
                    "parts": [
                        {
                            "type": "tool-w",
                            "toolCallId": "1",
                            "state": "input-available",
                            "input": {},
                        }
                    ],
                },
            ],
            "messages[1].parts[0]",
        ),
    ],
)
def test_what_bedrock_cannot_take_names_the_part(messages: Any, param: str) -> None:
    with pytest.raises(UIMessageError) as raised:
        converse_ui_messages(messages)
    assert raised.value.param == param

"""A demo request's conversation: a ``prompt``, or ``messages`` (multi-turn), and a ``system``.

Owns: reading and validating ``{"prompt": "..."}`` or ``{"messages": [{"role": "user",
"content": "..."}, ...], "system": "..."}`` into a ``Conversation``, with an error that says what
to fix; and the conversation in each API's request shape (Converse ``messages``/``system``,
Anthropic Messages, Amazon Nova, the Meta Llama 3 chat template). Bedrock's Converse rules are
checked here, before the call: roles alternate, starting and ending with ``user``
(https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Message.html).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

ROLES = ("user", "assistant")
MAX_MESSAGES = 200
EXAMPLE = (
    '{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"},'
    ' {"role": "user", "content": "How are you?"}], "system": "Answer briefly."}'
)


class ConversationError(ValueError):
    """The request's conversation is not valid; the message says what to fix."""


@dataclass(frozen=True, slots=True)
class Turn:
    role: str
    text: str


@dataclass(frozen=True, slots=True)
class Conversation:
    """The turns (the last one the user's) and an optional system prompt."""

    turns: tuple[Turn, ...]
    system: str | None = None

    @classmethod
    def of(cls, prompt: str) -> "Conversation":
        return cls((Turn("user", prompt),))

    @property
    def prompt(self) -> str:
        """The user's last message."""
        return self.turns[-1].text

    def chars(self) -> int:
        return sum(len(turn.text) for turn in self.turns) + len(self.system or "")

    def converse_messages(self) -> list[dict[str, Any]]:
        return [{"role": t.role, "content": [{"text": t.text}]} for t in self.turns]

    def converse_system(self) -> list[dict[str, str]]:
        return [{"text": self.system}] if self.system else []

    def llama_prompt(self) -> str:
        """The Meta Llama 3 chat template (model-parameters-meta.html)."""
        parts = ["<|begin_of_text|>"]
        turns = [("system", self.system)] if self.system else []
        turns += [(t.role, t.text) for t in self.turns]
        for role, text in turns:
            parts.append(f"<|start_header_id|>{role}<|end_header_id|>\n\n{text}<|eot_id|>")
        parts.append("<|start_header_id|>assistant<|end_header_id|>\n\n")
        return "".join(parts)


def read_conversation(request: Mapping[str, Any]) -> Conversation:
    """The conversation of a request object that has ``prompt`` or ``messages``."""
    if "messages" in request and "prompt" in request:
        raise ConversationError('send either "prompt" or "messages", not both')
    system = request.get("system")
    if system is not None and (not isinstance(system, str) or not system.strip()):
        raise ConversationError('"system" must be a non-empty string when given')
    if "messages" not in request:
        prompt = request.get("prompt")
        if "prompt" not in request:
            raise ConversationError(
                f'"prompt" is missing: send {{"prompt": "..."}} or a conversation, {EXAMPLE}'
            )
        if not isinstance(prompt, str):
            raise ConversationError(f'"prompt" must be a string, not {kind(prompt)}')
        if not prompt.strip():
            raise ConversationError('"prompt" is empty')
        return Conversation((Turn("user", prompt),), system)
    return Conversation(_turns(request["messages"]), system)


def _turns(messages: object) -> tuple[Turn, ...]:
    if not isinstance(messages, list) or not messages:
        raise ConversationError(f'"messages" must be a non-empty array, like {EXAMPLE}')
    if len(messages) > MAX_MESSAGES:
        raise ConversationError(f'"messages" has {len(messages)} items; at most {MAX_MESSAGES}')
    turns = []
    for position, message in enumerate(messages):
        where = f'"messages[{position}]"'
        if not isinstance(message, Mapping):
            raise ConversationError(f'{where} must be an object {{"role", "content"}}')
        role, content = message.get("role"), message.get("content")
        if role not in ROLES:
            raise ConversationError(f'{where}.role must be "user" or "assistant", not {role!r}')
        if not isinstance(content, str) or not content.strip():
            raise ConversationError(f"{where}.content must be a non-empty string")
        expected = ROLES[position % 2]
        if role != expected:
            raise ConversationError(
                f'{where}.role is "{role}" but must be "{expected}": messages alternate '
                'user and assistant, starting with "user"'
            )
        turns.append(Turn(role, content))
    if turns[-1].role != "user":
        raise ConversationError('the last message must be the user\'s ("role": "user")')
    return tuple(turns)


def kind(value: object) -> str:
    """How a JSON value is called in an error message."""
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}.get(
        type(value), "null" if value is None else "a number"
    )

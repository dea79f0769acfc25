"""What the fake Bedrock answers: deterministic text from the prompt, and injected failures.

Owns: the answer to a prompt (Japanese for a Japanese prompt, English otherwise), its split
into tokens, the token counts, and the failure-injection markers and headers. Knows nothing of
HTTP or of Bedrock's JSON shapes (see ``shapes.py`` and ``server.py``).

Failure injection, by a marker anywhere in the prompt or by a request header:

- ``[[bedrock:throttle]]`` (header ``X-Fake-Bedrock-Fault: throttle``): 429
  ThrottlingException before any byte. Likewise ``invalid`` (400 ValidationException),
  ``unavailable`` (503 ServiceUnavailableException), ``internal`` (500
  InternalServerException), ``timeout`` (408 ModelTimeoutException), ``denied`` (403
  AccessDeniedException).
- ``[[bedrock:fail-after=N]]`` (``X-Fake-Bedrock-Fault: fail-after=N``): a stream sends N text
  tokens, then an in-stream ``modelStreamErrorException``; ``fail-after=N:throttlingException``
  picks another stream exception. ``Converse``/``InvokeModel`` answer 424 ModelErrorException.
- ``[[bedrock:delay=S]]`` (``X-Fake-Bedrock-Token-Delay: S``): S seconds before each token,
  instead of the server's ``--token-delay``.
- ``[[bedrock:hold-after=N]]`` (``X-Fake-Bedrock-Hold-After: N``): N tokens, then wait until
  the test calls ``FakeBedrock.release()``, so a test can prove what arrived before the end.

What the model says, by a marker (prompt only), for the typed-event shapes:

- ``[[bedrock:reasoning]]``: reasoning first (Converse ``reasoningContent`` with a signature,
  Claude ``thinking``, gpt-oss ``<reasoning>``, DeepSeek-R1 ``</think>``), then the answer.
  A request asking for extended thinking (``thinking: {type: enabled}``) gets it too.
- ``[[bedrock:tool-use]]``: a short text, then a call of the request's first tool (else
  ``get_weather``) with ``{"city": "Tokyo"}``; the stop reason is ``tool_use``.
- ``[[bedrock:citations]]``: a citation of a document after the answer text.
- ``[[bedrock:guardrail]]``: the guardrail's blocked message instead of the answer, stop
  reason ``guardrail_intervened`` and a guardrail trace.
- ``[[bedrock:cache]]``: usage with prompt-cache tokens (read 1024, write 0).
- ``[[bedrock:silence=S]]``: S seconds of silence after the first token (keep-alive tests).

Markers are removed from the prompt before the answer is made, so the text stays the same.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TypeVar

_N = TypeVar("_N", int, float)

MARKER = re.compile(r"\[\[bedrock:([a-z-]+)(?:=([^\]]*))?\]\]")
FAULT_HEADER = "x-fake-bedrock-fault"
DELAY_HEADER = "x-fake-bedrock-token-delay"
HOLD_HEADER = "x-fake-bedrock-hold-after"

# fault name -> (HTTP status, error code, message), as Bedrock answers before the stream.
PRE_STREAM_FAULTS = {
    "throttle": (429, "ThrottlingException", "Too many requests, please wait before trying again."),
    "invalid": (400, "ValidationException", "Malformed input request (injected by the fake)."),
    "unavailable": (503, "ServiceUnavailableException", "Service unavailable (injected)."),
    "internal": (500, "InternalServerException", "Internal server error (injected)."),
    "timeout": (408, "ModelTimeoutException", "Model has timed out (injected)."),
    "denied": (403, "AccessDeniedException", "You don't have access to the model (injected)."),
}
STREAM_EXCEPTIONS = (
    "modelStreamErrorException",
    "throttlingException",
    "validationException",
    "internalServerException",
    "serviceUnavailableException",
    "modelTimeoutException",
)


_KNOWN = frozenset(
    {
        "fail-after",
        "delay",
        "hold-after",
        "reasoning",
        "tool-use",
        "citations",
        "guardrail",
        "cache",
        "silence",
    }
)
GUARDRAIL_MESSAGE = "Sorry, the model cannot answer this question."
REASONING = "The user asks something simple. A short, friendly answer fits."


class FaultSyntaxError(ValueError):
    """A marker or header the fake does not understand (answered as a ValidationException)."""


@dataclass(frozen=True, slots=True)
class Plan:
    """Everything one request asks of the fake: the clean prompt and how to behave."""

    prompt: str
    fault: str | None = None
    fail_after: int | None = None
    stream_exception: str = "modelStreamErrorException"
    token_delay: float | None = None
    hold_after: int | None = None
    options: dict[str, str] = field(default_factory=dict)
    silence: float | None = None

    def has(self, name: str) -> bool:
        """Whether the marker ``name`` (a flag such as ``reasoning``) was given."""
        return name in self.options


def plan_request(prompt: str, headers: Mapping[str, str]) -> Plan:
    """Read the markers in ``prompt`` and the fake's headers (lower-case names) into a Plan."""
    settings: dict[str, str] = {}
    for match in MARKER.finditer(prompt):
        settings[match.group(1)] = match.group(2) or ""
    if FAULT_HEADER in headers:
        name, _, value = headers[FAULT_HEADER].strip().partition("=")
        settings[name] = value
    if DELAY_HEADER in headers:
        settings["delay"] = headers[DELAY_HEADER]
    if HOLD_HEADER in headers:
        settings["hold-after"] = headers[HOLD_HEADER]
    plan = Plan(prompt=MARKER.sub("", prompt).strip(), options=settings)
    return _apply(plan, settings)


def _apply(plan: Plan, settings: dict[str, str]) -> Plan:
    fault = next((name for name in settings if name in PRE_STREAM_FAULTS), None)
    fail_after, exception = None, plan.stream_exception
    if "fail-after" in settings:
        count, _, exception = settings["fail-after"].partition(":")
        fail_after = _number(int, "fail-after", count)
        exception = exception or plan.stream_exception
        if exception not in STREAM_EXCEPTIONS:
            raise FaultSyntaxError(f"unknown stream exception {exception!r}: {STREAM_EXCEPTIONS}")
    unknown = set(settings) - {*PRE_STREAM_FAULTS, *_KNOWN}
    if unknown:
        raise FaultSyntaxError(f"unknown fake-bedrock setting(s): {sorted(unknown)}")
    delay = _number(float, "delay", settings["delay"]) if "delay" in settings else None
    hold = _number(int, "hold-after", settings["hold-after"]) if "hold-after" in settings else None
    silence = _number(float, "silence", settings["silence"]) if "silence" in settings else None
    return Plan(
        prompt=plan.prompt,
        fault=fault,
        fail_after=fail_after,
        stream_exception=exception,
        token_delay=delay,
        hold_after=hold,
        options=settings,
        silence=silence,
    )


def _number(kind: type[_N], name: str, text: str) -> _N:
    try:
        value = kind(text)
    except ValueError:
        raise FaultSyntaxError(f"{name} needs a number, got {text!r}") from None
    if value < 0:
        raise FaultSyntaxError(f"{name} must not be negative, got {text!r}")
    return value


_JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff66-\uff9f]")
_JA_GREETINGS = ("こんにちは", "こんばんは", "おはよう", "はじめまして")
_EN_GREETINGS = re.compile(r"^\s*(hello|hi|hey|good (morning|afternoon|evening))\b", re.I)


def is_japanese(text: str) -> bool:
    return _JAPANESE.search(text) is not None


def answer_for(prompt: str) -> str:
    """The fake model's answer: the same prompt always gets the same text."""
    topic = " ".join(prompt.split())
    if len(topic) > 40:
        topic = topic[:39] + "…"
    if is_japanese(prompt):
        if any(greeting in prompt for greeting in _JA_GREETINGS):
            return "こんにちは!ローカルの疑似 Bedrock です。今日はどのようなお手伝いができますか?"
        return (
            f"「{topic}」についてのご質問ですね。"
            "これはローカルの疑似 Bedrock が返す決まった回答です。\n\n"
            "同じ質問には、毎回同じ文章を少しずつお返しします。"
        )
    if _EN_GREETINGS.match(prompt):
        return "Hello! I am the local fake Bedrock. How can I help you today?"
    return (
        f'You asked: "{topic}". This is a fixed answer from the local fake Bedrock.\n\n'
        "The same question always gets the same words, streamed one token at a time."
    )


_JA_BREAK = set("。、!?」』)\n")


def tokenize(text: str) -> list[str]:
    """Split text into token-like pieces that concatenate back to ``text``.

    English: a word with the whitespace before it. Japanese: at most two characters, ending at
    punctuation, roughly the size of a real model's Japanese tokens.
    """
    if not is_japanese(text):
        return re.findall(r"\s*\S+|\s+$", text)
    tokens: list[str] = []
    current = ""
    for char in text:
        current += char
        if len(current) >= 2 or char in _JA_BREAK:
            tokens.append(current)
            current = ""
    if current:
        tokens.append(current)
    return tokens


def count_input_tokens(prompt: str) -> int:
    """A stable stand-in for the model's input token count (prompt tokens + chat framing)."""
    return len(tokenize(prompt)) + 7

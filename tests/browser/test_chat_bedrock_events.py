"""The chat page with what typed Bedrock events carry, in Chromium, through the emulator's
Function URL and the fake Bedrock: reasoning collapsed above the answer, a guardrail stop and a
tool-use stop shown as such, and the conversation kept and sent as ``messages``."""

from playwright.sync_api import Locator, Page, expect

from emulator.bedrock import FakeBedrock
from emulator.bedrock.answers import GUARDRAIL_MESSAGE, REASONING, answer_for

from .conftest import RunningFunction

HELLO = answer_for("hi")


def send(page: Page, prompt: str) -> Locator:
    turns = page.locator("#log > li").count()
    page.get_by_label("Your message").fill(prompt)
    page.get_by_label("Your message").press("Enter")
    turn = page.locator("#log > li").nth(turns)
    expect(turn).to_have_attribute("data-state", "done")
    return turn


def test_reasoning_is_a_collapsed_block_above_the_answer(page: Page) -> None:
    turn = send(page, "hi [[bedrock:reasoning]]")
    reasoning = turn.locator("details.reasoning")
    expect(reasoning).to_have_count(1)
    expect(reasoning).not_to_have_attribute("open", "")  # collapsed
    expect(reasoning.locator(".thought")).to_be_hidden()
    expect(reasoning.locator("summary")).to_have_text("Reasoning")
    expect(turn.locator(".answer")).to_have_text(HELLO)  # never the reasoning
    # Above the answer: the block comes first in the turn and sits higher on the screen.
    order = turn.evaluate("t => [...t.children].map(c => c.className.split(' ')[0])")
    assert order.index("reasoning") < order.index("answer")
    box_reasoning = reasoning.bounding_box()
    box_answer = turn.locator(".answer").bounding_box()
    assert box_reasoning is not None and box_answer is not None
    assert box_reasoning["y"] + box_reasoning["height"] <= box_answer["y"]
    reasoning.locator("summary").click()  # opened on request, with the model's reasoning
    expect(reasoning.locator(".thought")).to_have_text(REASONING)


def test_a_guardrail_stop_is_shown_as_such(page: Page) -> None:
    turn = send(page, "hi [[bedrock:guardrail]]")
    expect(turn).to_have_attribute("data-stop", "guardrail_intervened")
    note = turn.locator(".stop-note")
    expect(note).to_have_text(
        "Blocked by a guardrail: this answer was stopped by the content policy."
    )
    expect(note).to_be_visible()
    expect(turn.locator(".answer")).to_have_text(GUARDRAIL_MESSAGE)
    expect(turn.locator(".meta")).to_contain_text("stop: guardrail_intervened")


def test_a_tool_use_stop_is_shown_as_such(page: Page) -> None:
    turn = send(page, "hi [[bedrock:tool-use]]")
    expect(turn).to_have_attribute("data-stop", "tool_use")
    expect(turn.locator(".stop-note").first).to_contain_text("get_weather")
    expect(turn.locator(".stop-note").last).to_contain_text("Stopped to use a tool")


def test_the_conversation_is_kept_and_sent_as_messages(
    page: Page, fake_bedrock: FakeBedrock, function: RunningFunction
) -> None:
    send(page, "hi")
    blocked = send(page, "hi [[bedrock:guardrail]]")  # a blocked turn is not kept
    expect(blocked.locator(".stop-note")).to_be_visible()
    send(page, "What is Lambda?")
    sent = fake_bedrock.requests[-1]["body"]["messages"]
    assert sent == [
        {"role": "user", "content": [{"text": "hi"}]},
        {"role": "assistant", "content": [{"text": HELLO}]},
        {"role": "user", "content": [{"text": "What is Lambda?"}]},
    ]

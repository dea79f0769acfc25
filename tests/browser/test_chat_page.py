"""The chat page served by ``stream_sse.handler``, in Chromium, through the emulator's Function
URL and the fake Bedrock: what a person sees while an answer streams, when it ends, fails or
is stopped.

Order, never time: a ``[[bedrock:hold-after=N]]`` prompt makes the fake send N tokens and then
wait for ``release()``, so "the first tokens are on screen while the rest has not been
generated yet" is a fact the test arranges, not a race it wins. Expected answers come from the
fake's own deterministic functions (``answer_for``, ``tokenize``).
"""

import hashlib
import http.client
import json
import os
import re
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from emulator.bedrock import FakeBedrock
from emulator.bedrock.answers import answer_for, plan_request, tokenize
from emulator.config import REPO_ROOT

from .conftest import RunningFunction

SCREENSHOT = REPO_ROOT / "docs" / "images" / "chat-page.png"
SCREEN = {"width": 800, "height": 680}
PHONE = {"width": 390, "height": 844}


def expected(prompt: str) -> tuple[str, list[str]]:
    """The fake's answer to ``prompt`` (markers removed, as the fake does) and its tokens."""
    answer = answer_for(plan_request(prompt, {}).prompt)
    return answer, tokenize(answer)


def send(page: Page, prompt: str) -> Locator:
    """Type ``prompt``, press Enter, and return its turn in the conversation."""
    turns = page.locator("#log > li").count()
    page.get_by_label("Your message").fill(prompt)
    page.get_by_label("Your message").press("Enter")
    return page.locator("#log > li").nth(turns)


def answer_text(turn: Locator) -> str:
    return turn.locator(".answer").text_content() or ""


def test_a_browser_opening_the_url_gets_the_chat_page(
    page: Page, function: RunningFunction
) -> None:
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    response = page.goto(function.url)
    assert response is not None and response.status == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "connect-src 'self'" in response.headers["content-security-policy"]
    assert requests == [function.url]  # one file: no script, style, font or icon fetched
    expect(page).to_have_title(re.compile("Streaming chat"))
    # Accessible: the input has a label, the conversation is a polite live region.
    expect(page.get_by_label("Your message")).to_be_editable()
    log = page.get_by_role("log")
    expect(log).to_have_attribute("aria-live", "polite")
    expect(page.get_by_role("button", name="Send")).to_be_enabled()
    expect(page.get_by_role("button", name="Stop")).to_be_disabled()
    # Shift+Enter is a new line in the message, not a send.
    box = page.get_by_label("Your message")
    box.fill("line 1")
    box.press("Shift+Enter")
    box.press_sequentially("line 2")
    expect(box).to_have_value("line 1\nline 2")
    expect(log.locator("li")).to_have_count(0)


@pytest.mark.parametrize(
    ("method", "target", "accept", "expected"),
    [
        ("GET", "/", "text/html,application/xhtml+xml,*/*;q=0.8", "200 text/html"),
        ("GET", "/any/path", "text/html", "200 text/html"),
        ("GET", "/", "*/*", "400 application/json"),  # curl: the 400 that says how to ask
        ("GET", "/?prompt=Hello", "text/html", "200 text/event-stream"),
        ("POST", "/", "text/html", "200 text/event-stream"),
    ],
)
def test_only_a_browser_opening_the_url_gets_the_page(
    function: RunningFunction, method: str, target: str, accept: str, expected: str
) -> None:
    port = int(function.url.rsplit(":", 1)[1].strip("/"))
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        body = json.dumps({"prompt": "Hello"}) if method == "POST" else None
        connection.request(method, target, body=body, headers={"Accept": accept})
        response = connection.getresponse()
        response.read()
    finally:
        connection.close()
    content_type = (response.getheader("content-type") or "").split(";")[0]
    assert f"{response.status} {content_type}" == expected


def test_first_tokens_show_while_bedrock_is_still_generating(
    page: Page, fake_bedrock: FakeBedrock
) -> None:
    prompt = "こんにちは [[bedrock:hold-after=3]]"
    answer, tokens = expected(prompt)
    turn = send(page, prompt)
    expect(turn.locator(".answer")).to_have_text("".join(tokens[:3]))
    # The fake holds the other tokens back: everything below is the page mid-stream.
    assert answer_text(turn) == "".join(tokens[:3])
    expect(turn).to_have_attribute("data-state", "streaming")
    expect(turn.locator(".answer")).to_have_attribute("aria-busy", "true")
    expect(turn.locator(".meta")).to_have_text(re.compile(r"^first token \d+ ms$"))
    expect(page.get_by_role("button", name="Stop")).to_be_enabled()
    expect(page.get_by_role("button", name="Send")).to_be_disabled()

    fake_bedrock.release()
    expect(turn).to_have_attribute("data-state", "done")
    assert answer_text(turn) == answer  # every token, in order, no character broken
    expect(turn.locator(".meta")).to_have_text(
        re.compile(rf"^first token \d+ ms · {len(tokens)} tokens in (\d+ ms|\d+\.\d s)$")
    )
    assert turn.locator(".answer").get_attribute("aria-busy") is None
    expect(page.get_by_role("button", name="Send")).to_be_enabled()
    expect(page.get_by_role("button", name="Stop")).to_be_disabled()


def test_answers_equal_the_fake_bedrocks_and_a_screenshot_is_saved(
    page: Page, function: RunningFunction, tmp_path: Path
) -> None:
    page.set_viewport_size(SCREEN)
    questions = ["こんにちは", "How does Lambda response streaming work?"]
    for question in questions:
        with page.expect_request(lambda request: request.method == "POST") as sent:
            turn = send(page, question)
        expect(turn).to_have_attribute("data-state", "done")
        assert answer_text(turn) == expected(question)[0]
        expect(turn.locator(".question")).to_have_text(question)
        # Posted to the page's own URL, so it works unchanged behind CloudFront (which also
        # needs the body's SHA-256) or an API Gateway stage.
        request = sent.value
        assert request.url == function.url
        # The conversation so far, the new question last (see test_chat_bedrock_events.py).
        assert json.loads(request.post_data or "")["messages"][-1] == {
            "role": "user",
            "content": question,
        }
        body = request.post_data_buffer or b""
        assert request.headers["x-amz-content-sha256"] == hashlib.sha256(body).hexdigest()
        assert request.headers["content-type"] == "application/json"
    assert "\n\n" in answer_text(turn)  # paragraphs survive SSE's multi-line data

    page.get_by_label("Your message").blur()
    shot = tmp_path / "chat-page.png"
    page.screenshot(path=shot)
    if os.environ.get("UPDATE_SCREENSHOTS") or not SCREENSHOT.exists():
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, SCREENSHOT)

    # A phone's width: nothing overflows sideways, the form is still on screen.
    page.set_viewport_size(PHONE)
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    expect(page.get_by_role("button", name="Send")).to_be_in_viewport()
    expect(page.get_by_label("Your message")).to_be_in_viewport()


@pytest.mark.parametrize("attempt", range(20))
def test_a_mid_stream_failure_shows_bedrocks_error_under_the_partial_answer(
    page: Page, fake_bedrock: FakeBedrock, attempt: int
) -> None:
    """Bedrock fails after its first tokens; the page must show Bedrock's own error under the
    tokens that came before it, never pass off a partial answer as complete.

    Every time (20 runs): the function writes the in-band ``event: error`` and ends the HTTP
    response cleanly, so Chromium has no cut connection to drop unread bytes with. (When the
    function re-raised instead, the connection was cut and Chromium lost the error event in
    about 3 runs of 10.)
    """
    prompt = "こんにちは [[bedrock:hold-after=1]] [[bedrock:fail-after=2]]"
    _, tokens = expected(prompt)
    turn = send(page, prompt)
    expect(turn.locator(".answer")).to_have_text(tokens[0])
    fake_bedrock.release()  # the second token, then Bedrock's modelStreamErrorException
    expect(turn).to_have_attribute("data-state", "error")
    expect(turn.get_by_role("alert")).to_have_text(
        "Bedrock modelStreamErrorException: The model failed while streaming (injected "
        "by the fake). (Function.ModelStreamErrorException)"
    )
    assert answer_text(turn) == "".join(tokens[:2])  # the last token before the error too
    assert turn.locator(".answer").get_attribute("aria-busy") is None
    expect(page.get_by_role("button", name="Send")).to_be_enabled()
    expect(page.get_by_role("button", name="Stop")).to_be_disabled()


def test_a_failure_before_the_stream_shows_the_status_and_message(page: Page) -> None:
    turn = send(page, "こんにちは [[bedrock:throttle]]")
    expect(turn).to_have_attribute("data-state", "error")
    expect(turn.get_by_role("alert")).to_have_text(
        "The service is busy: Bedrock ThrottlingException: Too many requests, please wait "
        "before trying again. (HTTP 429). Try again in 1 s. Retry"
    )
    assert answer_text(turn) == ""


def test_lambdas_own_throttle_is_a_readable_message_with_a_retry(
    page: Page, fake_bedrock: FakeBedrock, function: RunningFunction
) -> None:
    """Every sandbox busy: the emulator answers as Lambda does, 429 ``{"Message": "Rate
    Exceeded."}``. The page shows that sentence (not the raw JSON) and a Retry button that asks
    the same question again once a sandbox is free."""
    held = []
    for _ in range(function.max_sandboxes):  # occupy every sandbox with a held stream
        connection = http.client.HTTPConnection(function.host, function.port, timeout=30)
        body = json.dumps({"prompt": "busy [[bedrock:hold-after=1]]"})
        connection.request("POST", "/", body, {"content-type": "application/json"})
        response = connection.getresponse()
        assert response.status == 200
        assert response.read1(65536).startswith(b"data: ")  # its first token: it is running
        held.append((connection, response))
    turn = send(page, "Hello")
    expect(turn).to_have_attribute("data-state", "error")
    expect(turn.get_by_role("alert")).to_have_text(
        "The service is busy: Rate Exceeded. (HTTP 429). Try again in a moment. Retry"
    )
    fake_bedrock.release()
    for connection, response in held:
        response.read()
        connection.close()
    turn.get_by_role("button", name="Retry").click()
    retried = page.locator("#log > li").last
    expect(retried).to_have_attribute("data-state", "done")
    assert answer_text(retried) == expected("Hello")[0]


def test_stop_aborts_the_request_and_no_later_token_reaches_the_page(
    page: Page, fake_bedrock: FakeBedrock, function: RunningFunction
) -> None:
    prompt = "こんにちは [[bedrock:hold-after=2]]"
    _, tokens = expected(prompt)
    with page.expect_response(lambda response: response.request.method == "POST") as answered:
        turn = send(page, prompt)
    request_id = answered.value.headers["x-amzn-requestid"]
    expect(turn.locator(".answer")).to_have_text("".join(tokens[:2]))

    with page.expect_event("requestfailed") as failed:
        page.get_by_role("button", name="Stop").click()
    assert failed.value.failure == "net::ERR_ABORTED"
    expect(turn).to_have_attribute("data-state", "stopped")
    expect(turn.locator(".meta")).to_have_text(re.compile(r"^first token \d+ ms · stopped$"))
    expect(page.get_by_role("button", name="Send")).to_be_enabled()
    expect(page.get_by_label("Your message")).to_be_focused()  # ready to type again

    # Let Bedrock finish: the function streams the rest of the answer and ends. The page,
    # having aborted, must not show any of it.
    fake_bedrock.release()
    function.wait_for_log(f"END RequestId: {request_id}")
    function.wait_for_log(f"[{request_id}] client disconnected mid-stream")
    assert answer_text(turn) == "".join(tokens[:2])
    expect(turn).to_have_attribute("data-state", "stopped")

    # The page is ready for the next question.
    next_turn = send(page, "Hello")
    expect(next_turn).to_have_attribute("data-state", "done")
    assert answer_text(next_turn) == expected("Hello")[0]

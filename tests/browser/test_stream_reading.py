"""How the chat page reads a stream, byte by byte, against a scripted server.

The emulator sends each SSE event as one HTTP chunk, so it never splits a character or a line.
Networks, proxies and CloudFront may. Here a loopback server under the test's control serves
the same ``chat_page.html`` and writes the answer in the pieces the test chooses, waiting for
the page to show each one before sending the next: a UTF-8 character split between two reads,
a ``\\r`` and its ``\\n`` in different reads, an in-band error, a connection cut mid-answer.
"""

import queue
import socket
import threading
from collections.abc import Iterator

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from emulator.config import REPO_ROOT

PAGE = (REPO_ROOT / "lambda_src" / "chat_page.html").read_bytes()
END, CUT = "end", "cut"  # finish the body properly / close the connection mid-body


class ScriptedServer:
    """Serves the page on GET; answers a POST with the pieces ``send()`` hands it, each as one
    HTTP chunk, until ``finish(END)`` (terminating chunk) or ``finish(CUT)`` (close)."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self._pieces: queue.Queue[bytes | str] = queue.Queue()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}/"

    def send(self, piece: bytes) -> None:
        self._pieces.put(piece)

    def finish(self, how: str) -> None:
        self._pieces.put(how)

    def close(self) -> None:
        self._stopping.set()
        self._pieces.put(CUT)
        self._thread.join(timeout=10)
        self._listener.close()

    def _serve(self) -> None:
        while not self._stopping.is_set():
            try:
                connection, _ = self._listener.accept()
            except TimeoutError:
                continue
            with connection:
                connection.settimeout(30)
                self._answer(connection)

    def _answer(self, connection: socket.socket) -> None:
        request = b""
        while b"\r\n\r\n" not in request:
            data = connection.recv(65536)
            if not data:
                return
            request += data
        if request.startswith(b"GET "):
            connection.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
                b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(PAGE), PAGE)
            )
            return
        connection.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\n"
            b"Cache-Control: no-cache\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        )
        while True:
            piece = self._pieces.get(timeout=30)
            if piece == END:
                connection.sendall(b"0\r\n\r\n")
            if isinstance(piece, str):
                return  # closing the socket: after the terminating chunk, or as a cut
            connection.sendall(b"%x\r\n%s\r\n" % (len(piece), piece))


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    scripted = ScriptedServer()
    yield scripted
    scripted.close()


@pytest.fixture
def scripted_page(browser: BrowserContext, server: ScriptedServer) -> Iterator[Page]:
    tab = browser.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.goto(server.url)
    yield tab
    tab.close()
    assert errors == [], f"the page's script failed: {errors}"


def ask(page: Page) -> None:
    page.get_by_label("Your message").fill("こんにちは")
    page.get_by_label("Your message").press("Enter")


def test_characters_and_line_breaks_split_across_reads_stay_whole(
    scripted_page: Page, server: ScriptedServer
) -> None:
    page = scripted_page
    answer = page.locator("#log .answer")
    n = "ん".encode()  # three bytes: the first read ends after the first of them
    ask(page)
    server.send(b"data: A\r\n\r\ndata: \xe3\x81\x93" + n[:1])
    expect(answer).to_have_text("A")
    server.send(n[1:] + "にちは\r\ndata: 二行目\r\n\r\ndata: B\r".encode())
    # The second event is whole; "B" waits: its "\r" may be the start of "\r\n".
    expect(answer).to_have_text("Aこんにちは\n二行目")
    server.send(b"\ndata: C\r\n\r\n: a comment\n\nevent: done\rdata: {}\r\r")
    server.finish(END)
    expect(page.locator("#log > li")).to_have_attribute("data-state", "done")
    # "\r" then "\n" in two reads is one line break, so B and C are two lines of one event.
    assert answer.text_content() == "Aこんにちは\n二行目B\nC"


def test_an_in_band_error_event_is_shown_with_its_message(
    scripted_page: Page, server: ScriptedServer
) -> None:
    page = scripted_page
    ask(page)
    server.send(b"data: \xe9\x80\x94\xe4\xb8\xad\n\n")  # 途中
    expect(page.locator("#log .answer")).to_have_text("途中")
    server.send(
        b'event: error\ndata: {"errorType":"Function.ThrottlingException",'
        b'"errorMessage":"Bedrock throttlingException: Rate exceeded"}\n\n'
    )
    alert = page.get_by_role("alert")
    expect(alert).to_have_text(
        "Bedrock throttlingException: Rate exceeded (Function.ThrottlingException)"
    )
    expect(page.locator("#log > li")).to_have_attribute("data-state", "error")
    server.finish(CUT)  # what the emulator does after the error event


def test_a_connection_cut_mid_answer_is_reported(
    scripted_page: Page, server: ScriptedServer
) -> None:
    page = scripted_page
    ask(page)
    server.send(b"data: A\n\n")
    expect(page.locator("#log .answer")).to_have_text("A")
    expect(page.locator("#log > li")).to_have_attribute("data-state", "streaming")
    server.finish(CUT)
    expect(page.get_by_role("alert")).to_have_text(
        "The connection was cut before the answer was complete (network error)."
    )
    expect(page.locator("#log .answer")).to_have_text("A")
    expect(page.get_by_role("button", name="Send")).to_be_enabled()

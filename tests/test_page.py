"""The search page in a real browser: headless Chromium (Debian's ``chromium``)
driven over the DevTools protocol, against the app under uvicorn on 127.0.0.1.

Why the DevTools protocol over a websocket rather than a browser-automation
package: Playwright downloads its own browser build, which cannot be fetched
here; Selenium needs a chromedriver matching the browser. Chromium itself
speaks the protocol, so a small client on ``websockets`` drives the Chromium the
machine has, offline. ``.ci/run`` installs Chromium, so CI runs these tests;
they skip only where no Chromium is installed.
"""

from __future__ import annotations

import itertools
import json
import shutil
import socket
import subprocess
import threading
import time
import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("starlette", reason="the web extra is not installed")
uvicorn = pytest.importorskip("uvicorn", reason="the web extra is not installed")
websockets_sync = pytest.importorskip(
    "websockets.sync.client", reason="websockets (a dev dependency) is not installed"
)

from archive import Archive  # noqa: E402
from archive.web import app  # noqa: E402
from tests.conftest import write_jsonl  # noqa: E402

CHROMIUM = next(
    (found for name in ("chromium", "chromium-browser") if (found := shutil.which(name))), None
)
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="Chromium is not installed (apt-get install chromium; .ci/run installs it)",
)

VOCALISED = "الكِتَابُ"
XSS_TITLE = "<script>window.pwned=1</script>"
XSS_TEXT = 'قرأ النص <script>window.pwned=1</script> "><img src=x onerror="window.pwned=2"> غريب'

#: 24 passages with the word in one spelling or another (three pages of ten), in
#: one source, then one with markup in its title and text.
RECORDS: list[dict[str, Any]] = [
    {
        "id": f"p{i:02}",
        "title": f"باب {i}",
        "source": "كتاب الأدب",
        "text": f"في الباب {i} قال {('الكِتَابُ', 'الكتاب', 'وَالكِتَابِ')[i % 3]} نور والعلم باق",
        "volume": 1,
        "page": i + 1,
    }
    for i in range(24)
]
RECORDS.append({"id": "x1", "title": XSS_TITLE, "source": "كتاب آخر", "text": XSS_TEXT})
#: Two spellings the index folds together (ى and ي), for the strict options.
RECORDS += [
    {"id": "s1", "source": "كتاب آخر", "text": "جلس على الكرسي"},
    {"id": "s2", "source": "كتاب آخر", "text": "جاء علي مبكرا"},
]
SPELLINGS = {"الكِتَابُ", "الكتاب", "وَالكِتَابِ"}

WAIT = 20.0  # seconds any one wait in the browser may take


# --- A small DevTools protocol client -------------------------------------------------


class Page:
    """One tab of a headless Chromium, driven over the DevTools protocol."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.ids = itertools.count(1)
        self.events: list[dict[str, Any]] = []
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        self.send("Runtime.enable", session=True)
        self.send("Page.enable", session=True)

    def send(
        self, method: str, params: dict[str, Any] | None = None, *, session: bool = False
    ) -> Any:
        number = next(self.ids)
        message: dict[str, Any] = {"id": number, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = self.session
        self.ws.send(json.dumps(message))
        deadline = time.monotonic() + WAIT
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no answer to {method} in {WAIT} s")
            data = json.loads(self.ws.recv(timeout=left))
            if data.get("id") == number:
                if "error" in data:
                    raise AssertionError(f"{method}: {data['error']}")
                return data.get("result", {})
            self.events.append(data)

    def js(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (promises awaited)."""
        result = self.send(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
            session=True,
        )
        if "exceptionDetails" in result:
            raise AssertionError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait(self, expression: str, what: str) -> Any:
        deadline = time.monotonic() + WAIT
        while True:
            value = self.js(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"waited {WAIT} s for {what}: {expression}")
            time.sleep(0.05)

    def settled(self) -> None:
        """Wait until the page's last request is answered and drawn."""
        self.wait(
            "document.readyState === 'complete' && document.body.dataset.busy === '0'",
            "the page to settle",
        )

    def open(self, url: str) -> None:
        self.send("Page.navigate", {"url": url}, session=True)
        time.sleep(0.05)
        self.settled()

    def click(self, selector: str) -> None:
        self.js(f"document.querySelector({json.dumps(selector)}).click()")
        self.settled()

    def type_query(self, text: str) -> None:
        """Type into the query box as a person would (text input, then Enter)."""
        self.js("(() => { const q = document.getElementById('q'); q.value = ''; q.focus(); })()")
        self.send("Input.insertText", {"text": text}, session=True)
        for kind in ("keyDown", "keyUp"):
            key = {"type": kind, "key": "Enter", "code": "Enter", "windowsVirtualKeyCode": 13}
            if kind == "keyDown":
                key["text"] = "\r"
            self.send("Input.dispatchKeyEvent", key, session=True)
        time.sleep(0.05)
        self.settled()

    def errors(self) -> list[Any]:
        """Uncaught exceptions and console errors the page reported."""
        bad = []
        for event in self.events:
            if event.get("method") == "Runtime.exceptionThrown":
                bad.append(event["params"])
            if event.get("method") == "Runtime.consoleAPICalled" and event["params"].get(
                "type"
            ) in ("error", "assert"):
                bad.append(event["params"])
        return bad


@pytest.fixture(scope="module")
def chromium(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A headless Chromium; yields its DevTools websocket address."""
    profile = tmp_path_factory.mktemp("chromium-profile")
    log = profile.parent / "chromium.log"
    argv = [
        str(CHROMIUM),
        "--headless=new",
        "--no-sandbox",  # tests run as root in CI, where the sandbox refuses to start
        "--disable-gpu",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-extensions",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--remote-debugging-port=0",
        "about:blank",
    ]
    with log.open("w") as err:
        browser = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err)
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 60
        while not (port_file.is_file() and len(port_file.read_text().split()) >= 2):
            assert browser.poll() is None, f"Chromium exited: {log.read_text()[-2000:]}"
            assert time.monotonic() < deadline, "Chromium did not start in 60 s"
            time.sleep(0.1)
        port, path = port_file.read_text().split()[:2]
        yield f"ws://127.0.0.1:{port}{path}"
    finally:
        browser.terminate()
        try:
            browser.wait(15)
        except subprocess.TimeoutExpired:
            browser.kill()
            browser.wait(5)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app under uvicorn on 127.0.0.1 and a free port, in a thread."""
    folder = tmp_path_factory.mktemp("page")
    arc = Archive(folder / "ix")
    arc.ingest(write_jsonl(folder / "in" / "p.jsonl", RECORDS))
    # IPPROTO_TCP, so that asyncio sets TCP_NODELAY (see archive.web.server.listen).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app(arc), log_level="warning", access_log=False, lifespan="on")
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not instance.started:
            assert thread.is_alive(), "uvicorn stopped"
            assert time.monotonic() < deadline, "uvicorn did not start in 30 s"
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        instance.should_exit = True
        thread.join(15)
        sock.close()
        arc.close()


@pytest.fixture
def page(chromium: str) -> Iterator[Page]:
    with websockets_sync.connect(chromium, max_size=None, open_timeout=WAIT) as ws:
        tab = Page(ws)
        yield tab
        assert tab.errors() == []


def marks(page: Page, selector: str) -> list[str]:
    return list(
        page.js(f"[...document.querySelectorAll({json.dumps(selector)})].map(m => m.textContent)")
    )


def url_params(page: Page) -> dict[str, str]:
    return dict(urllib.parse.parse_qsl(page.js("location.search").lstrip("?")))


# --- The tests -----------------------------------------------------------------------


def test_the_page_is_right_to_left(page: Page, server: str) -> None:
    page.open(server + "/")
    assert page.js("document.documentElement.dir") == "rtl"
    assert page.js("getComputedStyle(document.body).direction") == "rtl"
    assert page.js("document.getElementById('help').textContent").count("OR") >= 1


def test_search_highlights_the_words_as_written_and_pages(page: Page, server: str) -> None:
    page.open(server + "/")
    page.type_query(VOCALISED)
    assert page.js("document.querySelectorAll('#hits .hit').length") == 10
    found = marks(page, "#hits mark")
    assert VOCALISED in found
    assert set(found) <= SPELLINGS  # each highlight is a word as the text writes it
    assert url_params(page) == {"q": VOCALISED}
    first_page = page.js("[...document.querySelectorAll('#hits h3 a')].map(a => a.dataset.id)")
    citation = page.js("document.querySelector('#hits .citation').textContent")
    assert citation.startswith("كتاب الأدب، باب ")

    page.click("#next-page")
    assert page.js("document.querySelector('#hits li').value") == 11
    assert url_params(page) == {"q": VOCALISED, "page": "2"}
    second_page = page.js("[...document.querySelectorAll('#hits h3 a')].map(a => a.dataset.id)")
    assert len(second_page) == 10
    assert not set(first_page) & set(second_page)
    assert set(marks(page, "#hits mark")) <= SPELLINGS

    # The URL reproduces the search.
    page.open(page.js("location.href"))
    again = page.js("[...document.querySelectorAll('#hits h3 a')].map(a => a.dataset.id)")
    assert again == second_page
    assert page.js("document.getElementById('q').value") == VOCALISED
    assert page.js("document.getElementById('permalink').getAttribute('href')") == page.js(
        "location.pathname + location.search"
    )


def test_exact_and_match_any_go_into_the_url(page: Page, server: str) -> None:
    page.open(server + "/?" + urllib.parse.urlencode({"q": VOCALISED}))
    assert page.js("document.querySelectorAll('#hits .hit').length") == 10
    page.click("#exact")
    assert url_params(page) == {"q": VOCALISED, "exact": "1"}
    assert set(marks(page, "#hits mark")) == {VOCALISED}
    # Eight passages write the word with these marks: one page of eight.
    assert page.js("document.querySelectorAll('#hits .hit').length") == 8
    assert page.js("document.getElementById('next-page').disabled") is True
    page.click("#any")
    assert url_params(page) == {"q": VOCALISED, "exact": "1", "match": "any"}


def test_a_passage_opens_with_previous_and_next(page: Page, server: str) -> None:
    page.open(server + "/?" + urllib.parse.urlencode({"q": VOCALISED}))
    first = page.js("document.querySelector('#hits h3 a').dataset.id")
    page.click("#hits h3 a")
    assert page.js("document.getElementById('passage-view').hidden") is False
    assert page.js("document.getElementById('results-view').hidden") is True
    assert url_params(page)["passage"] == first
    text = page.js("document.getElementById('passage-text').textContent")
    record = next(r for r in RECORDS if r["id"] == first)
    assert text == record["text"]
    assert set(marks(page, "#passage-text mark")) <= SPELLINGS
    assert marks(page, "#passage-text mark")
    number = int(first[1:])
    assert page.js("document.getElementById('passage-next').disabled") is (number == 23)
    if number < 23:
        page.click("#passage-next")
        title = page.js("document.getElementById('passage-title').textContent")
        assert title == f"باب {number + 1}"
        page.click("#passage-prev")
        assert page.js("document.getElementById('passage-title').textContent") == f"باب {number}"
    page.click("#back")
    assert page.js("document.getElementById('results-view').hidden") is False
    assert "passage" not in url_params(page)


def test_kwic_and_counts_views(page: Page, server: str) -> None:
    page.open(server + "/?" + urllib.parse.urlencode({"q": VOCALISED, "view": "kwic"}))
    rows = page.js("document.querySelectorAll('#kwic tbody tr').length")
    assert rows == 24
    assert set(marks(page, "#kwic mark")) <= SPELLINGS
    page.click("#views button[data-view='counts']")
    assert url_params(page) == {"q": VOCALISED, "view": "counts"}
    cells = page.js("[...document.querySelectorAll('#counts tbody td')].map(td => td.textContent)")
    assert cells[0] == "كتاب الأدب"


def test_markup_in_passages_renders_as_text_and_runs_nothing(page: Page, server: str) -> None:
    page.open(server + "/?" + urllib.parse.urlencode({"q": "غريب"}))
    assert page.js("document.querySelector('#hits h3 a').textContent") == XSS_TITLE
    assert XSS_TEXT.replace(" غريب", "") in page.js(
        "document.querySelector('#hits .snippet').textContent"
    )
    assert page.js("document.querySelectorAll('main img, main script').length") == 0
    page.click("#hits h3 a")
    assert page.js("document.getElementById('passage-title').textContent") == XSS_TITLE
    assert page.js("document.getElementById('passage-text').textContent") == XSS_TEXT
    assert marks(page, "#passage-text mark") == ["غريب"]
    assert page.js("document.querySelectorAll('main img, main script').length") == 0
    time.sleep(0.3)  # an onerror handler would have run by now
    assert page.js("typeof window.pwned") == "undefined"


def test_a_bad_query_shows_the_librarys_message(page: Page, server: str) -> None:
    page.open(server + "/?" + urllib.parse.urlencode({"q": "(الكتاب"}))
    message = page.js("document.getElementById('status').textContent")
    assert "never closed" in message
    assert page.js("document.getElementById('status').classList.contains('error')") is True


def test_did_you_mean_links_run_the_suggested_search(page: Page, server: str) -> None:
    page.open(server + "/?" + urllib.parse.urlencode({"q": "الكتاث"}))  # ث for ب
    assert page.js("document.getElementById('suggestions').hidden") is False
    links = page.js("[...document.querySelectorAll('#suggestion-links a')].map(a => a.textContent)")
    assert links[0] == "الكتاب"
    page.click("#suggestion-links a")
    assert url_params(page) == {"q": "الكتاب"}
    assert page.js("document.querySelectorAll('#hits li').length") == 10
    assert page.js("document.getElementById('suggestions').hidden") is True


def test_spelling_options_keep_letters_apart_and_go_into_the_url(page: Page, server: str) -> None:
    page.open(server + "/?" + urllib.parse.urlencode({"q": "علي"}))
    assert set(marks(page, "#hits mark")) == {"على", "علي"}
    page.click("#strict-alef_maqsura")
    assert url_params(page) == {"q": "علي", "strict": "alef_maqsura"}
    assert marks(page, "#hits mark") == ["علي"]
    page.open(server + "/?" + urllib.parse.urlencode({"q": "على", "strict": "alef-maqsura"}))
    assert page.js("document.getElementById('strict-alef_maqsura').checked") is True
    assert marks(page, "#hits mark") == ["على"]

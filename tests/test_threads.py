"""Threads sharing one ``Archive`` search side by side: each search has a
snapshot of its own, and no lock is held while it runs.

What is checked is behaviour, not timing: one thread's search is held inside
the engine (its Whoosh search waits for an event) while another thread's call
on the same ``Archive`` must finish. A design where one lock serialises the
searches fails here: the second call waits for the first.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from archive import Archive
from archive.engines.whoosh import search as whoosh_search
from tests.conftest import write_jsonl

#: Seconds a thread gets to finish before the test says it is stuck.
PATIENCE = 10.0

RECORDS = [
    {"id": "a", "title": "الأول", "text": "قال لينين كلمة في المؤتمر", "source": "s1"},
    {"id": "b", "title": "الثاني", "text": "وقال ستالين كلمة أخرى", "source": "s2"},
]

#: What the second thread does while the first thread's search is held, and
#: what it must get.
CALLS: dict[str, tuple[Callable[[Archive], Any], Any]] = {
    "search": (lambda arc: arc.search("ستالين").total, 1),
    "hits": (lambda arc: sorted(h.passage.id for h in arc.hits("كلمة")), ["a", "b"]),
    "count": (lambda arc: arc.count("كلمة").passages, 2),
    "get": (lambda arc: arc.get("b").id, "b"),
    "len": (len, 2),
    "stats": (lambda arc: arc.stats()["passages"], 2),
}


@pytest.fixture
def arc(tmp_path: Any) -> Any:
    with Archive(tmp_path / "index") as archive:
        archive.ingest(write_jsonl(tmp_path / "in" / "p.jsonl", RECORDS))
        archive.search("لينين")  # a snapshot in the pool already
        yield archive


class Held:
    """Whoosh's search in the engine, held in the thread named ``slow`` until
    released; records the searcher each thread searched with."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()
        self.searchers: dict[str, list[Any]] = {}
        self._real = whoosh_search.search
        monkeypatch.setattr(whoosh_search, "search", self)

    def __call__(self, searcher: Any, request: Any) -> Any:
        name = threading.current_thread().name
        self.searchers.setdefault(name, []).append(searcher)
        if name == "slow":
            self.entered.set()
            self.release.wait(timeout=3 * PATIENCE)
        return self._real(searcher, request)


@pytest.mark.parametrize("call", sorted(CALLS))
def test_a_thread_s_call_finishes_while_another_thread_s_search_runs(
    arc: Archive, monkeypatch: pytest.MonkeyPatch, call: str
) -> None:
    held = Held(monkeypatch)
    results: dict[str, Any] = {}
    errors: list[BaseException] = []
    function, expected = CALLS[call]

    def run(name: str, work: Callable[[], Any]) -> None:
        try:
            results[name] = work()
        except BaseException as exc:  # reported by the test thread
            errors.append(exc)

    slow = threading.Thread(
        target=run, args=("slow", lambda: arc.search("لينين").total), name="slow"
    )
    fast = threading.Thread(target=run, args=("fast", lambda: function(arc)), name="fast")
    slow.start()
    try:
        assert held.entered.wait(PATIENCE), "the first search never reached the engine"
        fast.start()
        fast.join(PATIENCE)
        finished_beside = not fast.is_alive()
        slow_still_held = slow.is_alive()
    finally:
        held.release.set()
        slow.join(3 * PATIENCE)
        if fast.ident is not None:
            fast.join(3 * PATIENCE)
    assert errors == []
    assert finished_beside, f"{call} waited for the search held in another thread"
    assert slow_still_held
    assert results["slow"] == 1
    assert results["fast"] == expected
    if "fast" in held.searchers:  # the calls that search: each on a searcher of its own
        assert all(s is not held.searchers["slow"][0] for s in held.searchers["fast"])


def test_many_threads_held_at_once_each_search_on_their_own_snapshot(
    arc: Archive, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Four searches held in the engine at the same time: four snapshots, and the
    archive answers all of them once released."""
    count = 4
    inside = threading.Barrier(count + 1, timeout=PATIENCE)
    release = threading.Event()
    searchers: list[Any] = []
    real = whoosh_search.search

    def held(searcher: Any, request: Any) -> Any:
        searchers.append(searcher)
        inside.wait()  # every search is inside the engine at once, or this breaks
        release.wait(timeout=3 * PATIENCE)
        return real(searcher, request)

    monkeypatch.setattr(whoosh_search, "search", held)
    totals: list[int] = []
    threads = [
        threading.Thread(target=lambda: totals.append(arc.search("كلمة").total))
        for _ in range(count)
    ]
    for thread in threads:
        thread.start()
    try:
        inside.wait()
    finally:
        release.set()
        for thread in threads:
            thread.join(3 * PATIENCE)
    assert totals == [2] * count
    assert len({id(s) for s in searchers}) == count

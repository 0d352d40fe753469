"""Faults during an ingest: the parent killed alone, SIGTERM, a failing manifest
write, a file edited while it is read, FIFOs and devices, a read-only index or
a full disk (issue 13)."""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from archive import Archive, IndexStoreError, InputError
from tests.conftest import ROOT, write_jsonl

ENGINES = ["whoosh", "tantivy"]

_INGEST = (
    "import sys; from archive import Archive\n"
    "Archive(sys.argv[1], engine=sys.argv[4])"
    ".ingest(sys.argv[2], workers=int(sys.argv[3]))\n"
)


def _engine(name: str) -> str:
    if name == "tantivy":
        pytest.importorskip("tantivy", reason="the tantivy extra is not installed")
    return name


def _big(folder: Path, n: int = 20000) -> Path:
    records = [{"id": f"p{i}", "text": "قال رسول الله " * 30 + f"كلمة{i}"} for i in range(n)]
    return write_jsonl(folder / "big.jsonl", records)


def _children(pid: int) -> set[int]:
    """The child processes of ``pid`` (every thread's), from /proc."""
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            found |= {int(c) for c in (task / "children").read_text().split()}
    return found


def _alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in status  # a zombie has left


def _wait_gone(pids: set[int], seconds: float = 15.0) -> set[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        left = {pid for pid in pids if _alive(pid)}
        if not left:
            return left
        time.sleep(0.1)
    return {pid for pid in pids if _alive(pid)}


def _start(tmp_path: Path, engine: str, big: Path, **kwargs: Any) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", _INGEST, str(tmp_path / "ix"), str(big), "3", engine],
        cwd=ROOT,
        start_new_session=True,
        **kwargs,
    )


def _wait_for_workers(proc: subprocess.Popen[bytes], least: int = 3) -> set[int]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        kids = _children(proc.pid)
        if len(kids) >= least:
            time.sleep(1.0)  # well inside the ingest
            return _children(proc.pid) | kids
        assert proc.poll() is None, "the ingest ended before its workers started"
        time.sleep(0.05)
    raise AssertionError("no worker processes started")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("engine", ENGINES)
def test_workers_leave_when_their_parent_is_killed_alone(tmp_path: Path, engine: str) -> None:
    _engine(engine)
    arc = Archive(tmp_path / "ix", engine=engine)
    arc.ingest(write_jsonl(tmp_path / "first" / "a.jsonl", [{"id": "old", "text": "قديم"}]))
    arc.close()
    big = _big(tmp_path / "in")
    proc = _start(tmp_path, engine, big)
    try:
        workers = _wait_for_workers(proc)
        os.kill(proc.pid, signal.SIGKILL)  # the parent alone, not its group
        proc.wait(timeout=10)
        assert _wait_gone(workers) == set(), "worker processes outlived their parent"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    # the write lock is free: a new ingest goes through
    again = Archive(tmp_path / "ix", create=False)
    again.ingest(write_jsonl(tmp_path / "second" / "b.jsonl", [{"id": "new", "text": "جديد"}]))
    assert again.get("old").text == "قديم"
    assert again.get("new").text == "جديد"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_the_pipes_of_an_ingest_whose_parent_is_killed_close(tmp_path: Path) -> None:
    """``subprocess.run(..., capture_output=True)`` returns: no worker keeps the pipes."""
    Archive(tmp_path / "ix").close()
    big = _big(tmp_path / "in")
    proc = _start(tmp_path, "whoosh", big, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        _wait_for_workers(proc)
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=20)  # EOF only once every holder is gone
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == -signal.SIGKILL


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("engine", ENGINES)
def test_sigterm_cancels_an_ingest_as_ctrl_c_does(tmp_path: Path, engine: str) -> None:
    _engine(engine)
    arc = Archive(tmp_path / "ix", engine=engine)
    arc.ingest(write_jsonl(tmp_path / "first" / "a.jsonl", [{"id": "old", "text": "قديم"}]))
    files_before = sorted(os.listdir(tmp_path / "ix"))
    passages_before = [p.to_dict() for p in arc]
    arc.close()
    big = _big(tmp_path / "in")
    proc = _start(tmp_path, engine, big, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        workers = _wait_for_workers(proc)
        os.kill(proc.pid, signal.SIGTERM)
        proc.communicate(timeout=30)
        assert _wait_gone(workers) == set(), "worker processes outlived their parent"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode != 0
    assert sorted(os.listdir(tmp_path / "ix")) == files_before
    again = Archive(tmp_path / "ix", create=False)
    assert [p.to_dict() for p in again] == passages_before


# A SIGTERM that comes in inside a queue's put, between Condition.notify's
# release of the waiting feeder thread and its removal from the waiters (the
# window of CPython's gh-92530): the waiters of Condition.wait are made here to
# send the signal just after they are released by the main thread's put.
_CANCEL_INSIDE_PUT = """
import os, signal, sys, threading
from archive import Archive

real_lock = threading._allocate_lock
released = 0

class Waiter:
    def __init__(self):
        self._lock = real_lock()
    def acquire(self, *args):
        return self._lock.acquire(*args)
    def release(self):
        global released
        self._lock.release()
        caller = sys._getframe(2).f_code
        if caller.co_name == "put" and caller.co_filename.endswith("queues.py"):
            released += 1
            if released == 3:
                os.kill(os.getpid(), signal.SIGTERM)
    def locked(self):
        return self._lock.locked()

threading._allocate_lock = Waiter
Archive(sys.argv[1]).ingest(sys.argv[2], workers=3)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_sigterm_inside_a_queue_put_cancels_and_the_process_ends(tmp_path: Path) -> None:
    """A cancel raised half-way through ``Queue.put`` left its feeder thread
    waiting for ever, and the process waited for it at exit: SIGTERM never
    ended the ingest (seen once in CI, then made to happen at that step)."""
    arc = Archive(tmp_path / "ix")
    arc.ingest(write_jsonl(tmp_path / "first" / "a.jsonl", [{"id": "old", "text": "قديم"}]))
    files_before = sorted(os.listdir(tmp_path / "ix"))
    arc.close()
    big = _big(tmp_path / "in")
    proc = subprocess.Popen(
        [sys.executable, "-c", _CANCEL_INSIDE_PUT, str(tmp_path / "ix"), str(big)],
        cwd=ROOT,
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        _, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        raise AssertionError("the ingest did not end after its SIGTERM") from None
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode != 0
    assert b"KeyboardInterrupt: signal 15" in err, err.decode()[-2000:]
    assert sorted(os.listdir(tmp_path / "ix")) == files_before
    assert [p.id for p in Archive(tmp_path / "ix", create=False)] == ["old"]


# --- the manifest is part of the commit ---------------------------------------------


def _state(arc: Archive) -> list[dict[str, Any]]:
    return sorted((p.to_dict() for p in arc), key=lambda d: str(d["id"]))


@pytest.mark.parametrize("engine", ENGINES)
def test_an_ingest_whose_manifest_cannot_be_written_changes_nothing(
    tmp_path: Path, engine: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Raised means nothing changed: the manifest is written before the commit,
    and a failure to write it leaves the index as it was."""
    _engine(engine)
    arc = Archive(tmp_path / "ix", engine=engine)
    arc.ingest(write_jsonl(tmp_path / "in" / "a.jsonl", [{"id": "a", "text": "قديم"}]))
    before = _state(arc)
    write_jsonl(tmp_path / "in" / "b.jsonl", [{"id": "b", "text": "جديد"}])
    real = Path.write_text

    def full(self: Path, *args: Any, **kwargs: Any) -> int:
        if self.name.startswith("files.json"):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", full)
    with pytest.raises(IndexStoreError, match="disk is full") as caught:
        arc.ingest(tmp_path / "in")
    assert str(tmp_path / "ix") in str(caught.value)
    monkeypatch.undo()
    reopened = Archive(tmp_path / "ix", create=False)
    assert _state(reopened) == before
    done = reopened.ingest(tmp_path / "in")
    assert (done.added, done.unchanged) == (1, 1)
    assert reopened.ingest(tmp_path / "in").unchanged == 2


@pytest.mark.parametrize("engine", ENGINES)
def test_a_commit_that_fails_after_the_manifest_leaves_no_manifest_of_it(
    tmp_path: Path, engine: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The manifest written for a commit that did not happen is not trusted:
    the files are read again at the next ingest."""
    _engine(engine)
    arc = Archive(tmp_path / "ix", engine=engine)
    arc.ingest(write_jsonl(tmp_path / "in" / "a.jsonl", [{"id": "a", "text": "قديم"}]))
    write_jsonl(tmp_path / "in" / "b.jsonl", [{"id": "b", "text": "جديد"}])
    if engine == "whoosh":
        from archive.engines.whoosh.engine import WhooshWriter as writer_type
    else:
        from archive.engines.tantivy.engine import TantivyWriter as writer_type  # type: ignore[assignment]
    real = writer_type.commit

    def crash(self: Any, manifest: Any) -> None:
        raise KeyboardInterrupt  # as Ctrl-C at that moment

    monkeypatch.setattr(writer_type, "commit", crash)
    with pytest.raises(KeyboardInterrupt):
        arc.ingest(tmp_path / "in")
    monkeypatch.setattr(writer_type, "commit", real)
    assert [p.id for p in arc] == ["a"]
    done = arc.ingest(tmp_path / "in")
    assert (done.added, done.unchanged) == (1, 1)


@pytest.mark.parametrize("engine", ENGINES)
def test_a_manifest_left_pending_by_a_committed_ingest_holds(
    tmp_path: Path, engine: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Killed between its commit and the manifest's rename, an ingest's
    manifest is still the one of its commit: its files are not read again."""
    from archive import ingest

    _engine(engine)
    arc = Archive(tmp_path / "ix", engine=engine)
    monkeypatch.setattr(ingest, "settle_manifest", lambda *args, **kwargs: None)
    arc.ingest(write_jsonl(tmp_path / "in" / "a.jsonl", [{"id": "a", "text": "قديم"}]))
    assert (tmp_path / "ix" / ingest.PENDING_FILE).exists()
    monkeypatch.undo()
    done = arc.ingest(tmp_path / "in")
    assert (done.unchanged, done.added) == (1, 0)
    assert not (tmp_path / "ix" / ingest.PENDING_FILE).exists()


# --- a file edited while it is read ---------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
def test_a_file_edited_while_read_then_reverted_is_read_again(
    tmp_path: Path, engine: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from archive import ingest

    _engine(engine)
    file = write_jsonl(tmp_path / "in" / "a.jsonl", [{"id": "a", "text": "الأول"}])
    original = file.read_bytes()
    from archive.readers import passages as real

    def edited_first(path: Path, *args: Any, **kwargs: Any) -> Any:
        write_jsonl(file, [{"id": "a", "text": "الثاني"}])  # after hashing, before reading
        return real(path, *args, **kwargs)

    arc = Archive(tmp_path / "ix", engine=engine)
    monkeypatch.setattr(ingest, "passages", edited_first)
    arc.ingest(file)
    monkeypatch.undo()
    assert arc.get("a").text == "الثاني"
    file.write_bytes(original)  # reverted: the bytes hashed by the first ingest
    done = arc.ingest(file)
    assert done.updated == 1
    assert arc.get("a").text == "الأول"
    assert arc.ingest(file).unchanged == 1


# --- FIFOs and devices ----------------------------------------------------------------


def _bounded(call: Any, seconds: float = 20.0) -> Any:
    """``call()`` in a thread: a regression that hangs fails instead."""
    out: dict[str, Any] = {}

    def run() -> None:
        try:
            out["value"] = call()
        except BaseException as exc:
            out["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), "the ingest hangs"
    if "error" in out:
        raise out["error"]
    return out["value"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_in_a_folder_is_skipped(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    write_jsonl(folder / "a.jsonl", [{"id": "a", "text": "نص"}])
    os.mkfifo(folder / "pipe.jsonl")
    try:
        arc = Archive(tmp_path / "ix")
        report = _bounded(lambda: arc.ingest(folder, workers=1))
        assert report.files == ("a.jsonl",)
        assert "pipe.jsonl" in report.skipped
    finally:
        # a hung reader would wait for a writer: give it one, so the thread ends
        with contextlib.suppress(OSError):
            fd = os.open(folder / "pipe.jsonl", os.O_WRONLY | os.O_NONBLOCK)
            os.close(fd)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_or_a_device_given_as_the_path_is_refused(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.jsonl")
    arc = Archive(tmp_path / "ix")
    with pytest.raises(InputError, match="not a regular file: a FIFO"):
        _bounded(lambda: arc.ingest(tmp_path / "pipe.jsonl"))
    if Path("/dev/zero").exists():
        with pytest.raises(InputError, match="not a regular file: a character device"):
            _bounded(lambda: arc.ingest("/dev/zero"))
    assert len(arc) == 0


# --- a read-only index, a full disk ---------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
def test_an_index_that_cannot_be_written_is_an_index_store_error(
    tmp_path: Path, engine: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As a read-only folder fails (chmod does not stop root, who runs the CI)."""
    _engine(engine)
    arc = Archive(tmp_path / "ix", engine=engine)
    arc.ingest(write_jsonl(tmp_path / "in" / "a.jsonl", [{"id": "a", "text": "نص"}]))

    def refused(self: Any, **kwargs: Any) -> Any:
        raise PermissionError(errno.EACCES, "Permission denied", str(tmp_path / "ix" / "x"))

    monkeypatch.setattr(type(arc.engine), "writer", refused)
    write_jsonl(tmp_path / "in" / "b.jsonl", [{"id": "b", "text": "آخر"}])
    with pytest.raises(IndexStoreError, match="permission denied") as caught:
        arc.ingest(tmp_path / "in")
    assert caught.value.path == str(tmp_path / "ix")
    assert str(tmp_path / "ix") in str(caught.value)
    assert not isinstance(caught.value, PermissionError)


def test_a_full_disk_under_worker_processes_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    from archive.engines.whoosh import store

    arc = Archive(tmp_path / "ix")
    arc.ingest(write_jsonl(tmp_path / "first" / "a.jsonl", [{"id": "old", "text": "قديم"}]))
    before = sorted(os.listdir(tmp_path / "ix"))

    def full(self: Any, *args: Any) -> None:  # in the workers, forked with it
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(store._WorkerTask, "_process_file", full)
    big = _big(tmp_path / "in", 2000)
    capfd.readouterr()
    with pytest.raises(IndexStoreError, match="disk is full") as caught:
        _bounded(lambda: arc.ingest(big, workers=3), 60)
    assert str(tmp_path / "ix") in str(caught.value)
    assert "Traceback" not in capfd.readouterr().err
    assert sorted(os.listdir(tmp_path / "ix")) == before
    assert [p.id for p in arc] == ["old"]

"""Short-lived copies of shared reads: fresh after a write in this process, expired after their
lifetime, and never shared as the same mutable object."""

import time

import pytest

from choleor.storage import memo


@pytest.fixture(autouse=True)
def _clean():
    memo.forget_all()
    yield
    memo.forget_all()


def test_a_copy_serves_until_a_write_to_its_table():
    calls = []

    @memo.remembered(("songs",), seconds=60)
    def listing():
        calls.append(1)
        return {"songs": [len(calls)]}

    assert listing() == {"songs": [1]}
    assert listing() == {"songs": [1]}
    assert len(calls) == 1
    memo.forget("sources")  # another table: the copy stays
    assert listing() == {"songs": [1]}
    memo.forget("songs")
    assert listing() == {"songs": [2]}


def test_a_copy_expires():
    calls = []

    @memo.remembered(("songs",), seconds=0.05)
    def listing():
        calls.append(1)
        return len(calls)

    assert listing() == 1
    time.sleep(0.08)
    assert listing() == 2


def test_callers_cannot_change_the_kept_answer():
    @memo.remembered(("songs",), seconds=60)
    def listing():
        return {"songs": ["a"]}

    listing()["songs"].append("b")
    assert listing() == {"songs": ["a"]}


def test_records_by_id_reads_only_what_it_does_not_keep():
    asked = []

    def load(ids):
        asked.append(list(ids))
        return {i: {"id": i} for i in ids if i != "gone"}

    assert memo.records_by_id("moves", ["a", "b"], load, 60) == {"a": {"id": "a"}, "b": {"id": "b"}}
    assert memo.records_by_id("moves", ["b", "c", "gone"], load, 60) == {"b": {"id": "b"}, "c": {"id": "c"}}
    assert asked == [["a", "b"], ["c", "gone"]]
    memo.forget("moves")
    memo.records_by_id("moves", ["a"], load, 60)
    assert asked[-1] == ["a"]


def test_a_write_through_records_drops_the_copies(monkeypatch):
    from choleor.storage import records

    monkeypatch.setattr(records, "_call", lambda method, probe=False, **kw: {})
    calls = []

    @memo.remembered(("songs",), seconds=60)
    def listing():
        calls.append(1)
        return len(calls)

    listing()
    records.put("songs", {"id": "x"})
    assert listing() == 2
    records.update("songs", {"id": "x"}, {"title": "t"})
    assert listing() == 3
    records.delete("songs", {"id": "x"})
    assert listing() == 4


def test_an_expired_copy_serves_while_another_thread_reads_anew():
    import threading

    release, started = threading.Event(), threading.Event()
    calls = []

    @memo.remembered(("songs",), seconds=0.3)
    def listing():
        calls.append(1)
        if len(calls) == 2:
            started.set()
            release.wait(5)
        return len(calls)

    assert listing() == 1
    time.sleep(0.35)
    slow = threading.Thread(target=listing)
    slow.start()
    assert started.wait(5)
    assert listing() == 1  # the old copy, not a second read nor a wait
    release.set()
    slow.join()
    assert listing() == 2 and len(calls) == 2
    memo.forget("songs")  # after a write nothing old is served
    assert listing() == 3

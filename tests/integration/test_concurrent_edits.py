"""Edits of one choreography sent at the same time: every pick that got a 200 survives."""

from __future__ import annotations

import threading

import pytest
import requests


@pytest.fixture(scope="module")
def moves(api, library) -> list[str]:
    found = requests.get(f"{api}/api/moves", timeout=30).json()["moves"]
    return [m["id"] for m in found if not m.get("mirrored")]


@pytest.fixture(scope="module")
def one_per_source(api, library) -> list[str]:
    """A move of each source (picks that show no footage twice, so auto-fill can work around them)."""
    found = requests.get(f"{api}/api/moves", timeout=30).json()["moves"]
    first: dict[str, str] = {}
    for m in found:
        if not m.get("mirrored"):
            first.setdefault(m["source_id"], m["id"])
    return list(first.values())


def new_choreography(api, song_id: str, n: int, end: float = 45) -> dict:
    r = requests.post(
        f"{api}/api/choreographies", json={"song_id": song_id, "start": 0, "end": end}, timeout=10
    )
    assert r.status_code == 201, r.text
    out = r.json()
    assert len(out["segments"]) >= n, f"the test song gives {len(out['segments'])} segments"
    return out


def at_once(calls) -> list[requests.Response]:
    """Run the calls in threads released together; their responses in order."""
    barrier = threading.Barrier(len(calls))
    out: list = [None] * len(calls)

    def run(i, call):
        with requests.Session() as s:
            barrier.wait()
            out[i] = call(s)

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return out


def put_pick(api, choreo, k, move_id):
    return lambda s: s.put(
        f"{api}/api/choreographies/{choreo['id']}/segments/{k}",
        json={"move_id": move_id},
        headers={"X-Choreo-Token": choreo["token"]},
        timeout=60,
    )


def state(api, choreo) -> list:
    r = requests.get(
        f"{api}/api/choreographies/{choreo['id']}", headers={"X-Choreo-Token": choreo["token"]}, timeout=10
    )
    return [s["move_id"] for s in r.json()["segments"]]


def test_nine_picks_at_once_all_survive(api, ready_song, moves):
    for round_ in range(10):
        choreo = new_choreography(api, ready_song, 9)
        wanted = {k: moves[(k + round_) % len(moves)] for k in range(9)}
        answers = at_once([put_pick(api, choreo, k, m) for k, m in wanted.items()])
        assert [r.status_code for r in answers] == [200] * 9, [
            r.text for r in answers if r.status_code != 200
        ]
        final = state(api, choreo)
        lost = [k for k, m in wanted.items() if final[k] != m]
        assert not lost, f"round {round_}: picks of segments {lost} were lost"


def test_auto_fill_racing_picks_keeps_every_pick_that_got_a_200(api, ready_song, one_per_source):
    # (a short interval: the test library is three 14 s takes, too little footage for 45 s)
    for round_ in range(3):
        choreo = new_choreography(api, ready_song, 5, end=25)
        ids = one_per_source[round_:] + one_per_source[:round_]
        picks = {0: ids[0], 2: ids[1], 4: ids[2]}

        def auto(s, choreo=choreo):
            return s.post(
                f"{api}/api/choreographies/{choreo['id']}/auto",
                json={"keep_picks": True},
                headers={"X-Choreo-Token": choreo["token"]},
                timeout=120,
            )

        answers = at_once([auto] + [put_pick(api, choreo, k, m) for k, m in picks.items()])
        assert answers[0].status_code in (200, 409), answers[0].text
        assert [r.status_code for r in answers[1:]] == [200] * 3
        final = state(api, choreo)
        assert all(final[k] == m for k, m in picks.items()), (round_, final, picks)
        if answers[0].status_code == 200:
            assert all(final), "auto-fill answered 200 but left a segment empty"


def test_a_conflict_that_does_not_resolve_is_a_409_with_the_current_state(api, ready_song, moves):
    from choleor import choreography

    choreo = new_choreography(api, ready_song, 2)
    calls = []

    def compute(rec):  # someone picks every time, just before the write
        calls.append(1)
        choreography.pick(choreo["id"], choreo["token"], 0, moves[len(calls) % len(moves)])
        return rec["segments"]

    with pytest.raises(choreography.Conflict) as err:
        choreography.change_all(choreo["id"], choreo["token"], compute)
    assert err.value.status == 409 and len(calls) == choreography.RETRIES
    assert err.value.detail["choreography"]["segments"][0]["move_id"] == moves[len(calls) % len(moves)]

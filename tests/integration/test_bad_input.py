"""The bad-input corpus: every case gets its clear 4xx, never a 500, and leaves nothing behind.

Each case is sent to the real API (waitress + Chalice's gateway + DynamoDB Local + s3rver); the
records (songs, sources, choreographies) and uploaded objects are counted before and after.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pytest
import requests

ADMIN = {"X-Admin-Key": "test-admin-key"}
LONG_ID = "a" * 2049
UNKNOWN_SONG = "00000000000000ff"
UNKNOWN_SOURCE = "src00000000000ff"
UNKNOWN_CHOREO = "ch0000000000ffff"


@dataclass
class Case:
    name: str
    method: str
    path: str  # may hold {song}, {choreo}, {awaiting}
    status: int
    json: object = None
    raw: bytes | None = None  # a body sent as it is, with a JSON content type
    params: dict | None = None
    headers: dict = field(default_factory=dict)
    token: bool = False  # send the choreography's token
    says: str = ""  # a part of the message a person reads


def song(**fields):
    return {"filename": "song.mp3", "size": 1000, **fields}


def source(**fields):
    return {"filename": "dance.mp4", "size": 1000, **fields}


def choreo(**fields):
    return {"song_id": "{song}", "start": 5, "end": 30, **fields}


CASES = [
    # --- creating a song -----------------------------------------------------------------------
    Case("song: no body", "POST", "/api/songs", 400, says="filename is missing"),
    Case("song: not JSON", "POST", "/api/songs", 400, raw=b"filename=song.mp3", says="not valid JSON"),
    Case("song: a JSON list", "POST", "/api/songs", 400, raw=b'[{"filename": "a.mp3"}]', says="JSON object"),
    Case("song: a JSON string", "POST", "/api/songs", 400, raw=b'"song.mp3"', says="JSON object"),
    Case("song: bad UTF-8", "POST", "/api/songs", 400, raw=b'{"filename": "\xff\xfe.mp3"}'),
    Case("song: nested 20000 deep", "POST", "/api/songs", 413, raw=b"[" * 20000),
    Case("song: nested 5000 deep", "POST", "/api/songs", 400, raw=b"[" * 5000 + b"]" * 5000),
    Case("song: body over 16 KB", "POST", "/api/songs", 413, json=song(title="x" * 20000)),
    Case("song: filename missing", "POST", "/api/songs", 400, json={"size": 1000}, says="filename"),
    Case("song: filename empty", "POST", "/api/songs", 400, json=song(filename=""), says="filename"),
    Case("song: filename blank", "POST", "/api/songs", 400, json=song(filename="   "), says="filename"),
    Case("song: filename a number", "POST", "/api/songs", 400, json=song(filename=5), says="filename"),
    Case(
        "song: filename an object", "POST", "/api/songs", 400, json=song(filename={"a": 1}), says="filename"
    ),
    Case("song: filename a list", "POST", "/api/songs", 400, json=song(filename=["a.mp3"]), says="filename"),
    Case("song: filename true", "POST", "/api/songs", 400, json=song(filename=True), says="filename"),
    Case(
        "song: NUL in filename", "POST", "/api/songs", 400, json=song(filename="a\x00.mp3"), says="filename"
    ),
    Case(
        "song: newline in filename", "POST", "/api/songs", 400, json=song(filename="a\n.mp3"), says="filename"
    ),
    Case("song: filename 201 chars", "POST", "/api/songs", 400, json=song(filename="a" * 197 + ".mp3")),
    Case("song: filename with a folder", "POST", "/api/songs", 400, json=song(filename="../x.mp3")),
    Case("song: filename with a backslash", "POST", "/api/songs", 400, json=song(filename="..\\x.mp3")),
    Case("song: filename a dot", "POST", "/api/songs", 400, json=song(filename=".")),
    Case("song: size missing", "POST", "/api/songs", 400, json={"filename": "a.mp3"}, says="size is missing"),
    Case("song: size true", "POST", "/api/songs", 400, json=song(size=True), says="size"),
    Case("song: size negative", "POST", "/api/songs", 400, json=song(size=-5), says="empty"),
    Case("song: size zero", "POST", "/api/songs", 400, json=song(size=0), says="empty"),
    Case("song: size a fraction", "POST", "/api/songs", 400, json=song(size=1.5), says="size"),
    Case("song: size a string", "POST", "/api/songs", 400, json=song(size="1000"), says="size"),
    Case("song: size an object", "POST", "/api/songs", 400, json=song(size={"n": 1}), says="size"),
    Case("song: size 1 TB", "POST", "/api/songs", 413, json=song(size=10**12), says="MB"),
    Case("song: size NaN", "POST", "/api/songs", 400, raw=b'{"filename": "a.mp3", "size": NaN}'),
    Case("song: size 1e400", "POST", "/api/songs", 400, raw=b'{"filename": "a.mp3", "size": 1e400}'),
    Case(
        "song: size 400 digits",
        "POST",
        "/api/songs",
        413,
        raw=b'{"filename": "a.mp3", "size": 1' + b"0" * 400 + b"}",
    ),
    Case("song: title a number", "POST", "/api/songs", 400, json=song(title=5), says="title"),
    Case("song: title an object", "POST", "/api/songs", 400, json=song(title={"t": 1}), says="title"),
    Case("song: title 201 chars", "POST", "/api/songs", 400, json=song(title="t" * 201), says="title"),
    Case("song: NUL in title", "POST", "/api/songs", 400, json=song(title="a\x00b"), says="title"),
    # --- reading songs -------------------------------------------------------------------------
    Case("song id 2049 bytes", "GET", f"/api/songs/{LONG_ID}", 400, says="song_id"),
    Case("song id not hex", "GET", "/api/songs/zzzzzzzzzzzzzzzz", 400, says="song_id"),
    Case("song id with %00", "GET", "/api/songs/00000000000000%00", 400, says="song_id"),
    Case("song id unknown", "GET", f"/api/songs/{UNKNOWN_SONG}", 404),
    Case("audio of a long id", "GET", f"/api/songs/{LONG_ID}/audio", 400, says="song_id"),
    Case("analyze a long id", "POST", f"/api/songs/{LONG_ID}/analyze", 400, says="song_id"),
    Case("analyze unknown", "POST", f"/api/songs/{UNKNOWN_SONG}/analyze", 404),
    Case("analyze before upload", "POST", "/api/songs/{awaiting}/analyze", 409, says="not been uploaded"),
    Case("audio before upload", "GET", "/api/songs/{awaiting}/audio", 409),
    Case("segments of a long id", "GET", f"/api/songs/{LONG_ID}/segments", 400),
    Case(
        "segments start=nan", "GET", "/api/songs/{song}/segments", 400, params={"start": "nan"}, says="start"
    ),
    Case(
        "segments start=inf", "GET", "/api/songs/{song}/segments", 400, params={"start": "inf"}, says="start"
    ),
    Case("segments end=-inf", "GET", "/api/songs/{song}/segments", 400, params={"end": "-inf"}, says="end"),
    Case(
        "segments start=ten", "GET", "/api/songs/{song}/segments", 400, params={"start": "ten"}, says="start"
    ),
    Case("segments start<0", "GET", "/api/songs/{song}/segments", 400, params={"start": "-5"}, says="start"),
    Case("segments end=1e400", "GET", "/api/songs/{song}/segments", 400, params={"end": "1e400"}, says="end"),
    Case("segments end<=start", "GET", "/api/songs/{song}/segments", 400, params={"start": 30, "end": 10}),
    Case("segments too short", "GET", "/api/songs/{song}/segments", 400, params={"start": 10, "end": 11}),
    Case("segments of an unready song", "GET", "/api/songs/{awaiting}/segments", 409),
    # --- dance sources -------------------------------------------------------------------------
    Case("source: no admin key", "POST", "/api/sources", 403, json=source()),
    Case(
        "source: wrong admin key", "POST", "/api/sources", 403, json=source(), headers={"X-Admin-Key": "no"}
    ),
    Case("source: filename missing", "POST", "/api/sources", 400, json={"size": 5}, headers=ADMIN),
    Case("source: filename object", "POST", "/api/sources", 400, json=source(filename={}), headers=ADMIN),
    Case(
        "source: NUL in filename",
        "POST",
        "/api/sources",
        400,
        json=source(filename="a\x00.mp4"),
        headers=ADMIN,
    ),
    Case("source: size true", "POST", "/api/sources", 400, json=source(size=True), headers=ADMIN),
    Case("source: size negative", "POST", "/api/sources", 400, json=source(size=-1), headers=ADMIN),
    Case("source: size missing", "POST", "/api/sources", 400, json={"filename": "a.mp4"}, headers=ADMIN),
    Case("source: size 1 TB", "POST", "/api/sources", 413, json=source(size=10**12), headers=ADMIN),
    Case("source: style a number", "POST", "/api/sources", 400, json=source(style=3), headers=ADMIN),
    Case("source: style an object", "POST", "/api/sources", 400, json=source(style={}), headers=ADMIN),
    Case("source: style 41 chars", "POST", "/api/sources", 400, json=source(style="s" * 41), headers=ADMIN),
    Case("source: title a list", "POST", "/api/sources", 400, json=source(title=["t"]), headers=ADMIN),
    Case("source id 2049 bytes", "GET", f"/api/sources/{LONG_ID}", 400, says="source_id"),
    Case("source id unknown", "GET", f"/api/sources/{UNKNOWN_SOURCE}", 404),
    Case("ingest without key", "POST", f"/api/sources/{UNKNOWN_SOURCE}/ingest", 403),
    Case("ingest unknown", "POST", f"/api/sources/{UNKNOWN_SOURCE}/ingest", 404, headers=ADMIN),
    Case("ingest a long id", "POST", f"/api/sources/{LONG_ID}/ingest", 400, headers=ADMIN),
    Case("moves of a bad source", "GET", "/api/moves", 400, params={"source": "x" * 3000}, says="source"),
    Case("moves of an unknown source", "GET", "/api/moves", 404, params={"source": UNKNOWN_SOURCE}),
    Case("move id 2049 bytes", "GET", f"/api/moves/{LONG_ID}", 400, says="move_id"),
    Case("move id unknown", "GET", "/api/moves/no-such-move", 404),
    # --- creating a choreography -----------------------------------------------------------------
    Case("choreo: song_id missing", "POST", "/api/choreographies", 400, json={"start": 5, "end": 30}),
    Case(
        "choreo: song_id a number", "POST", "/api/choreographies", 400, json=choreo(song_id=5), says="song_id"
    ),
    Case(
        "choreo: song_id 2049",
        "POST",
        "/api/choreographies",
        400,
        json=choreo(song_id=LONG_ID),
        says="song_id",
    ),
    Case("choreo: song_id unknown", "POST", "/api/choreographies", 404, json=choreo(song_id=UNKNOWN_SONG)),
    Case("choreo: song not ready", "POST", "/api/choreographies", 409, json=choreo(song_id="{awaiting}")),
    Case("choreo: start missing", "POST", "/api/choreographies", 400, json={"song_id": "{song}", "end": 30}),
    Case("choreo: start a string", "POST", "/api/choreographies", 400, json=choreo(start="5"), says="start"),
    Case("choreo: start true", "POST", "/api/choreographies", 400, json=choreo(start=True), says="start"),
    Case("choreo: start an object", "POST", "/api/choreographies", 400, json=choreo(start={}), says="start"),
    Case("choreo: start negative", "POST", "/api/choreographies", 400, json=choreo(start=-1), says="start"),
    Case(
        "choreo: start NaN",
        "POST",
        "/api/choreographies",
        400,
        raw=b'{"song_id": "{song}", "start": NaN, "end": 30}',
        says="NaN",
    ),  # fmt: skip
    Case(
        "choreo: end Infinity",
        "POST",
        "/api/choreographies",
        400,
        raw=b'{"song_id": "{song}", "start": 5, "end": Infinity}',
        says="Infinity",
    ),  # fmt: skip
    Case(
        "choreo: start -Infinity",
        "POST",
        "/api/choreographies",
        400,
        raw=b'{"song_id": "{song}", "start": -Infinity, "end": 30}',
        says="Infinity",
    ),  # fmt: skip
    Case(
        "choreo: end 1e400",
        "POST",
        "/api/choreographies",
        400,
        raw=b'{"song_id": "{song}", "start": 5, "end": 1e400}',
    ),
    Case("choreo: end before start", "POST", "/api/choreographies", 400, json=choreo(start=30, end=10)),
    Case("choreo: one second", "POST", "/api/choreographies", 400, json=choreo(start=10, end=11)),
    Case("choreo: after the song", "POST", "/api/choreographies", 400, json=choreo(start=1000, end=2000)),
    # --- a choreography's routes ---------------------------------------------------------------
    Case("view: unknown", "GET", f"/api/choreographies/{UNKNOWN_CHOREO}", 404, token=True),
    Case("view: long id", "GET", f"/api/choreographies/{LONG_ID}", 400, token=True, says="choreo_id"),
    Case("view: no token", "GET", "/api/choreographies/{choreo}", 403),
    Case("view: wrong token", "GET", "/api/choreographies/{choreo}", 403, headers={"X-Choreo-Token": "nope"}),
    Case("view: token in the URL", "GET", "/api/choreographies/{choreo}", 403, params={"token": "{token}"}),
    Case("candidates: k=abc", "GET", "/api/choreographies/{choreo}/segments/abc/candidates", 400, token=True),
    Case("candidates: k=-1", "GET", "/api/choreographies/{choreo}/segments/-1/candidates", 400, token=True),
    Case(
        "candidates: k=99999",
        "GET",
        "/api/choreographies/{choreo}/segments/99999/candidates",
        400,
        token=True,
    ),
    Case("candidates: k=99", "GET", "/api/choreographies/{choreo}/segments/99/candidates", 404, token=True),
    Case("candidates: no token", "GET", "/api/choreographies/{choreo}/segments/0/candidates", 403),
    Case("pick: no body", "PUT", "/api/choreographies/{choreo}/segments/0", 400, token=True, says="move_id"),
    Case(
        "pick: move_id a number",
        "PUT",
        "/api/choreographies/{choreo}/segments/0",
        400,
        json={"move_id": 7},
        token=True,
    ),
    Case(
        "pick: move_id an object",
        "PUT",
        "/api/choreographies/{choreo}/segments/0",
        400,
        json={"move_id": {}},
        token=True,
    ),
    Case(
        "pick: move_id 2049",
        "PUT",
        "/api/choreographies/{choreo}/segments/0",
        400,
        json={"move_id": LONG_ID},
        token=True,
    ),
    Case(
        "pick: move unknown",
        "PUT",
        "/api/choreographies/{choreo}/segments/0",
        400,
        json={"move_id": "nomove"},
        token=True,
    ),
    Case(
        "pick: k out of range",
        "PUT",
        "/api/choreographies/{choreo}/segments/99",
        404,
        json={"move_id": "m"},
        token=True,
    ),
    Case("pick: wrong token", "PUT", "/api/choreographies/{choreo}/segments/0", 403, json={"move_id": "m"}),
    Case("clear: k out of range", "DELETE", "/api/choreographies/{choreo}/segments/99", 404, token=True),
    Case(
        "auto: keep_picks 'false'",
        "POST",
        "/api/choreographies/{choreo}/auto",
        400,
        json={"keep_picks": "false"},
        token=True,
    ),
    Case(
        "auto: keep_picks 0",
        "POST",
        "/api/choreographies/{choreo}/auto",
        400,
        json={"keep_picks": 0},
        token=True,
    ),
    Case("auto: no token", "POST", "/api/choreographies/{choreo}/auto", 403, json={}),
    Case("render: nothing picked", "POST", "/api/choreographies/{choreo}/render", 409, token=True),
    Case("video: not rendered", "GET", "/api/choreographies/{choreo}/video", 409, token=True),
    Case(
        "render: shape a number",
        "POST",
        "/api/choreographies/{choreo}/render",
        400,
        json={"shape": 5},
        token=True,
    ),
    Case(
        "render: shape unknown",
        "POST",
        "/api/choreographies/{choreo}/render",
        400,
        json={"shape": "4:3"},
        token=True,
        says="shape",
    ),  # fmt: skip
    Case(
        "video: shape too long",
        "GET",
        "/api/choreographies/{choreo}/video",
        400,
        params={"shape": "x" * 50},
        token=True,
    ),
    # --- jobs and routes -------------------------------------------------------------------------
    Case("job id 2049 bytes", "GET", f"/api/jobs/{LONG_ID}", 400, says="job_id"),
    Case("job unknown", "GET", "/api/jobs/no-such-job", 404),
    Case("unknown API route", "GET", "/api/nothing/here", 404),
    Case("method not allowed", "PUT", "/api/songs", 405),
]


@pytest.fixture(scope="module")
def world(api, ready_song):
    """A ready song, a song awaiting its upload, and a choreography with its token."""
    awaiting = requests.post(f"{api}/api/songs", json=song(), timeout=10).json()["song"]["id"]
    made = requests.post(f"{api}/api/choreographies", json=choreo(song_id=ready_song), timeout=10).json()
    return {"song": ready_song, "awaiting": awaiting, "choreo": made["id"], "token": made["token"]}


def stored() -> dict:
    """What a request could leave behind: records, and uploaded objects."""
    from choleor.storage import objects, records

    return {
        "songs": sorted(r["id"] for r in records.scan("songs")),
        "sources": sorted(r["id"] for r in records.scan("sources")),
        "choreographies": sorted(r["id"] for r in records.scan("choreographies")),
        "uploads": sorted(objects.list_keys("uploads/")),
    }


def fill(text: str, world: dict) -> str:
    for name, value in world.items():
        text = text.replace("{" + name + "}", value)
    return text


def send(api: str, case: Case, world: dict) -> requests.Response:
    headers = dict(case.headers)
    if case.token:
        headers["X-Choreo-Token"] = world["token"]
    kwargs = {}
    if case.raw is not None:
        kwargs["data"] = case.raw.replace(b"{song}", world["song"].encode())
        headers["Content-Type"] = "application/json"
    elif case.json is not None:
        kwargs["data"] = json.dumps(json.loads(fill(json.dumps(case.json), world)))
        headers["Content-Type"] = "application/json"
    params = {k: fill(str(v), world) for k, v in (case.params or {}).items()}
    return requests.request(
        case.method, api + fill(case.path, world), params=params, headers=headers, timeout=30, **kwargs
    )


def test_the_corpus_is_big_enough():
    assert len(CASES) >= 80
    assert len({c.name for c in CASES}) == len(CASES)


def test_every_bad_request_gets_its_clear_4xx_and_leaves_nothing(api, world):
    before = stored()
    wrong = []
    for case in CASES:
        r = send(api, case, world)
        try:
            body = r.json()
            message = body.get("error") or body.get("Message", "")  # (Chalice's own 405 says Message)
        except ValueError:
            message = ""
        if r.status_code != case.status or not message or case.says not in message:
            wrong.append(
                f"{case.name}: {r.status_code} {r.text[:200]!r} (expected {case.status} {case.says!r})"
            )
        assert "Traceback" not in r.text and "127.0.0.1" not in r.text, case.name
    after = stored()
    print(f"\nbad-input corpus: {len(CASES)} cases, {len(CASES) - len(wrong)} answered as expected")
    assert not wrong, "\n".join(wrong)
    assert after == before, "a bad request left something behind"

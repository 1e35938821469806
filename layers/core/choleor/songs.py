"""Songs: upload, analysis (beats, downbeats, descriptors, peaks) and segments.

Records live in SongsTable; bytes under `uploads/songs/<id>/` (what the person
uploaded) and `songs/<id>/` (what the analysis made). A rejected song leaves
nothing behind: its record and files are removed, and the job that rejected it
keeps the message.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import tempfile
import threading
import time
from collections import OrderedDict
from pathlib import Path

from . import uploads
from .config import Limits
from .errors import BadInput, ChoreError, Conflict, Forbidden
from .jobs.registry import register
from .storage import memo, objects, records

SONGS = uploads.Kind(
    table="songs",
    job="song.analyze",
    working="analyzing",
    max_bytes=lambda limits: limits.max_upload_bytes,
    public_keys=tuple("id title filename status created_at duration tempo job_id n_beats n_units".split()),
    thing="song",
    example="song.mp3",
)


def _analysis_key(song_id: str) -> str:
    return f"songs/{song_id}/analysis.json"


def _owner_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create(filename: str, size: int | None = None, title: str | None = None) -> dict:
    """A new song record and a presigned URL to PUT the file to, with the uploader's token
    (only here, stored hashed): it lets the uploader delete the song."""
    token = secrets.token_urlsafe(24)
    rec, upload = SONGS.create(filename, size, title, owner_hash=_owner_hash(token))
    return {"song": SONGS.public(rec), "upload": upload, "owner_token": token}


def check_owner(song_id: str, token: str | None) -> dict:
    """The song's record if `token` is its uploader's (403 otherwise)."""
    rec = get_record(song_id)
    expected = rec.get("owner_hash")
    if not expected:
        raise Forbidden(
            "this song has no uploader's key (it came with Choleor, or was uploaded before songs could be "
            "deleted), so it can't be deleted here"
        )
    if not token or not hmac.compare_digest(_owner_hash(str(token)), expected):
        raise Forbidden(
            "only the person who uploaded this song can delete it (from the browser they uploaded it with)"
        )
    return rec


def remove(song_id: str) -> None:
    """The song's record, its file and its analysis (the caller removes what was made with it)."""
    SONGS.remove(song_id)
    with _analyses_lock:
        for key in [k for k in _analyses if k[0] == song_id]:
            del _analyses[key]


get_record = SONGS.get
# Check the upload's size, then queue the analysis job (which probes before decoding). Called by the
# API and by the S3 upload event; whichever comes second gets the job the first one started.
start_analysis = SONGS.start


@register("song.analyze")
def analyze_job(params: dict, report) -> dict:
    """Download, analyse, store. Idempotent: every output is keyed by the song id."""
    from .audio.analysis import analyze_file

    limits = Limits()
    rec = get_record(params["song_id"])
    with tempfile.TemporaryDirectory(prefix="choleor-song-") as tmp:
        path = Path(tmp) / Path(rec["upload_key"]).name
        report(0.02, "fetching the file")
        objects.download(rec["upload_key"], path)
        try:
            result = analyze_file(
                path,
                max_bytes=limits.max_upload_bytes,
                max_seconds=limits.max_song_seconds,
                progress=lambda f, m="": report(0.05 + 0.85 * f, m),
            )
        except ChoreError:
            SONGS.remove(rec["id"])  # a rejected song leaves nothing behind
            raise
    report(0.92, "saving the analysis")
    doc = result.to_json()
    objects.put_bytes(_analysis_key(rec["id"]), json.dumps(doc).encode(), "application/json")
    summary = {
        "status": uploads.READY,
        "duration": doc["duration"],
        "tempo": doc["tempo"],
        "n_beats": len(doc["beats"]),
        "n_units": len(doc["segments"]),
        "analyzed_at": time.time(),
    }
    records.update("songs", {"id": rec["id"]}, summary)
    return {"song_id": rec["id"], **{k: summary[k] for k in ("duration", "tempo", "n_beats", "n_units")}}


_analyses: OrderedDict[tuple, dict] = OrderedDict()  # (song id, analysed at) -> parsed analysis
_analyses_lock = threading.Lock()


@memo.remembered(("songs",), seconds=2.0)
def _record_for_analysis(song_id: str) -> dict:
    """The song's record as candidates read it on every request (a write here drops the copy)."""
    return get_record(song_id)


def analysis(song_id: str) -> dict:
    """The stored analysis of a ready song (beats, downbeats, peaks, unit segments).

    Kept parsed in memory for the last few songs (an analysis never changes once written; a new
    one has a new `analyzed_at`), so candidates do not fetch and parse it on every request.
    The answer is shared: read it, do not change it.
    """
    rec = _record_for_analysis(song_id)
    if rec["status"] != uploads.READY:
        raise Conflict(f"the song is not analysed yet (status: {rec['status']})")
    key = (song_id, rec.get("analyzed_at"))
    with _analyses_lock:
        if key in _analyses:
            _analyses.move_to_end(key)
            return _analyses[key]
    doc = json.loads(objects.get_bytes(_analysis_key(song_id)))
    with _analyses_lock:
        _analyses[key] = doc
        while len(_analyses) > 16:
            _analyses.popitem(last=False)
    return doc


def view(song_id: str) -> dict:
    """What a client sees: the record, the job's progress while analysing, then the analysis."""
    out = SONGS.view(song_id)
    if out["status"] == uploads.READY:
        out["analysis"] = analysis(song_id)
    return out


@memo.remembered(("songs",), seconds=1.0)
def list_ready() -> list[dict]:
    songs = [
        SONGS.public(r)
        for r in records.scan(
            "songs", filter="#s = :ready", names={"#s": "status"}, values={":ready": uploads.READY}
        )
    ]
    return sorted(songs, key=lambda s: s.get("created_at", 0), reverse=True)


def stored_grid(doc: dict):
    """The BeatGrid of a stored analysis (downbeats located among the beats)."""
    import numpy as np  # here, not at the top: the API reads song records without the numpy stack

    from .audio.beats import BeatGrid

    beats = np.asarray(doc["beats"], dtype=float)
    downbeats = np.asarray(doc["downbeats"], dtype=float)
    first = int(np.argmin(np.abs(beats - downbeats[0]))) if len(downbeats) else 0
    return BeatGrid(beats=beats, downbeats=downbeats, tempo=float(doc["tempo"]), first_downbeat=first)


def interval(
    grid, start: float | None = None, end: float | None = None, allow_empty: bool = False
) -> list[dict]:
    """The 8-beat segments of [start, end] snapped to `grid` (of the whole song without an interval),
    each with its 9 beat times."""
    from .audio.segments import segments_for

    if start is not None and end is not None and end <= start:
        raise BadInput("the interval must end after it starts")
    segs = segments_for(grid, start, end)
    if not segs and not allow_empty:
        raise BadInput("the interval is shorter than one 8-beat segment; choose a longer part of the song")
    return [
        {"index": s.index, "start": float(s.start), "end": float(s.end), "beats": [float(b) for b in s.beats]}
        for s in segs
    ]


def segments(song_id: str, start: float | None = None, end: float | None = None) -> list[dict]:
    """The 8-beat segments of [start, end] of a stored song."""
    return interval(stored_grid(analysis(song_id)), start, end)


def song_of_upload(key: str) -> str | None:
    """The song whose uploaded file is stored at `key` (an S3 event names the key), else None."""
    song_id, _, name = key.removeprefix(SONGS.upload_prefix).partition("/")
    if (
        not key.startswith(SONGS.upload_prefix)
        or not song_id
        or "/" in name
        or not name.startswith("original")
    ):
        return None
    return song_id


def audio_url(song_id: str) -> str:
    """A presigned URL of the song's file, for playback."""
    rec = get_record(song_id)
    if rec["status"] == uploads.AWAITING:
        raise Conflict("the song's file has not been uploaded yet")
    return objects.presign_get(rec["upload_key"])


def add_local(path: str | Path, title: str | None = None, origin: str | None = None) -> dict:
    """Add a song file from this machine (seeding, CLI) and analyse it here; returns its public record."""
    song_id, _ = SONGS.add_local(path, title, **({"origin": origin} if origin else {}))
    return SONGS.public(get_record(song_id))


def origins() -> set[str]:
    return {
        r["origin"] for r in records.scan("songs") if r.get("origin") and r.get("status") == uploads.READY
    }

"""Songs: upload one, analyse it, read it and its segments; analyse a song file on this machine."""

from __future__ import annotations

from pathlib import Path

from .. import choreography, songs
from ..config import Limits
from ..errors import BadInput, Conflict
from ..jobs import store


def create(filename: str, size: int | None = None, title: str | None = None) -> dict:
    """A song record and where to upload its file."""
    return songs.create(filename, size=size, title=title)


def analyze(song_id: str) -> dict:
    """Check the uploaded file and start its analysis; returns the job."""
    return songs.start_analysis(song_id).public()


def uploaded(key: str) -> dict | None:
    """Storage says a file arrived at `key`: start its song's analysis (None: not a song's upload)."""
    song_id = songs.song_of_upload(key)
    return analyze(song_id) if song_id else None


def view(song_id: str) -> dict:
    """The song, its analysis job's progress, then its analysis."""
    return songs.view(song_id)


def delete(song_id: str, owner_token: str | None) -> dict:
    """Delete a song one uploaded, with every dance made to it: records, files, videos, exports and
    the records of their jobs. Refused (409) while one of those jobs is still running or queued,
    since it would write again what was just deleted."""
    rec = songs.check_owner(song_id, owner_token)
    dances = choreography.of_song(song_id)
    jobs = store.about({"song_id": {song_id}, "choreo_id": {d["id"] for d in dances}})
    if any(j.status in (store.QUEUED, store.RUNNING) for j in jobs):
        raise Conflict(
            "a video of a dance to this song is still being made; delete the song again in a minute"
        )
    for dance in dances:
        choreography.remove(dance)
    for job in jobs:
        store.forget(job.id)
    songs.remove(song_id)
    return {"deleted": song_id, "title": rec.get("title", ""), "dances": len(dances)}


def list_ready() -> list[dict]:
    return songs.list_ready()


def segments(song_id: str, start: float | None = None, end: float | None = None) -> list[dict]:
    return songs.segments(song_id, start, end)


def audio(song_id: str) -> dict:
    """Where the browser plays the song from."""
    return {"url": songs.audio_url(song_id)}


def analyze_file(path: str | Path, start: float | None = None, end: float | None = None) -> dict:
    """Beats, downbeats and the 8-beat segments of [start, end] (else all) of a song file; no storage."""
    from ..audio.analysis import analyze_file as analyze_audio  # the numpy stack

    path = Path(path)
    if not path.is_file():
        raise BadInput(f"no such file: {path}")
    limits = Limits()
    result = analyze_audio(path, max_bytes=limits.max_upload_bytes, max_seconds=limits.max_song_seconds)
    return {
        "duration": float(result.duration),
        "tempo": float(result.grid.tempo),
        "beat_confidence": float(result.beat_confidence),
        "steady_beat": bool(result.steady_beat),
        "beats": [float(b) for b in result.grid.beats],
        "downbeats": [float(b) for b in result.grid.downbeats],
        "segments": songs.interval(result.grid, start, end, allow_empty=start is None and end is None),
    }

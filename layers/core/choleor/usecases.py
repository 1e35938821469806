"""The use cases: what a person (or the library admin) can do.

Every face calls these functions and only translates their arguments and
results; none of them knows about HTTP, Lambda events or MQTT.
"""

from __future__ import annotations

from .errors import ChoreError
from .jobs import dispatch
from .storage import objects, records


def health() -> dict:
    """State of DynamoDB, S3 and the job workers, as a person would want to read it."""
    out: dict = {}
    for name, ping in (("dynamodb", records.ping), ("s3", objects.ping)):
        try:
            ping()
            out[name] = {"ok": True}
        except ChoreError as exc:
            out[name] = {"ok": False, "error": exc.message}
        except Exception as exc:  # health must answer even when storage is broken
            out[name] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    out["workers"] = dispatch.current().status()
    out["ok"] = all(v.get("ok") for v in out.values())
    return out


# --- songs -------------------------------------------------------------------


def create_song(filename: str, size: int | None = None, title: str | None = None) -> dict:
    """A song record and where to upload its file."""
    from . import songs

    return songs.create(filename, size=size, title=title)


def analyze_song(song_id: str) -> dict:
    """Check the uploaded file and start its analysis; returns the job."""
    from . import songs

    return songs.start_analysis(song_id).public()


def song(song_id: str) -> dict:
    from . import songs

    return songs.view(song_id)


def list_songs() -> list[dict]:
    from . import songs

    return songs.list_ready()


def song_segments(song_id: str, start: float | None = None, end: float | None = None) -> list[dict]:
    from . import songs

    return songs.segments(song_id, start, end)


# --- jobs --------------------------------------------------------------------


def job(job_id: str) -> dict:
    from .jobs import store

    return store.get(job_id).public()


# --- dance library -------------------------------------------------------------


def create_source(
    filename: str,
    key: str | None,
    size: int | None = None,
    style: str | None = None,
    title: str | None = None,
) -> dict:
    """A dance-source record and where to upload its video (needs the admin key)."""
    from .library import sources

    return sources.create(filename, key, size=size, style=style, title=title)


def ingest_source(source_id: str, key: str | None) -> dict:
    from .library import sources

    return sources.start_ingest(source_id, key).public()


def source(source_id: str) -> dict:
    from .library import sources

    return sources.view(source_id)


def list_sources() -> list[dict]:
    from .library import sources

    return sources.list_sources()


def list_moves(source_id: str | None = None) -> list[dict]:
    from .library import sources

    return sources.list_moves(source_id)


def move(move_id: str) -> dict:
    from .library import sources

    return sources.get_move(move_id)


def library_stats() -> dict:
    """Counts of the library, and the default library's seeding job while there is one."""
    from .library import seed, sources

    return {**sources.stats(), "seeding": seed.seeding_status()}


# --- choreographies --------------------------------------------------------------


def create_choreography(song_id: str, start, end) -> dict:
    """Segments of the chosen interval, and the token that guards the choreography."""
    from . import choreography

    return choreography.create(song_id, start, end)


def choreography(choreo_id: str, token: str | None) -> dict:
    from . import choreography as ch

    return ch.view(choreo_id, token)


def candidates(choreo_id: str, token: str | None, k) -> dict:
    from . import choreography as ch

    return ch.candidates(choreo_id, token, k)


def pick_move(choreo_id: str, token: str | None, k, move_id: str | None) -> dict:
    from . import choreography as ch

    return ch.pick(choreo_id, token, k, move_id)


def auto_fill(choreo_id: str, token: str | None, keep_picks: bool = True) -> dict:
    from . import choreography as ch

    return ch.auto_fill(choreo_id, token, keep_picks)


def render(choreo_id: str, token: str | None) -> dict:
    """Start the final video (pieces already rendered are reused); returns the job."""
    from . import renders

    return renders.start(choreo_id, token)


def video(choreo_id: str, token: str | None) -> dict:
    from . import renders

    return renders.video(choreo_id, token)


def song_audio(song_id: str) -> dict:
    from . import songs

    return {"url": songs.audio_url(song_id)}

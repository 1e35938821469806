"""A person's dance: segments of an interval, six candidates per segment, picks, the video.

A pick (or an auto-fill) queues the render of the video pieces it touches, so
most of the video is ready by the time the person asks for it.
"""

from __future__ import annotations

from .. import choreography, cues, exports, sharing


def create(song_id: str, start, end) -> dict:
    """Segments of the chosen interval, and the token that guards the choreography."""
    return choreography.create(song_id, start, end)


def view(choreo_id: str, token: str | None) -> dict:
    """The choreography, with the edit token or its read-only link (`access` says which)."""
    return sharing.view(choreo_id, token)


def share(choreo_id: str, token: str | None) -> dict:
    """A read-only link of its own (the owner's edit token); a new one replaces the old."""
    return sharing.create(choreo_id, token)


def unshare(choreo_id: str, token: str | None) -> dict:
    """Turn the read-only link off (it answers 404 from then on)."""
    return sharing.revoke(choreo_id, token)


def candidates(choreo_id: str, token: str | None, k) -> dict:
    """Six moves for segment k, best first, each with its reason and a preview."""
    from .. import suggestions  # the numpy stack

    return suggestions.candidates(choreo_id, token, k)


def pick(choreo_id: str, token: str | None, k, move_id: str) -> dict:
    """Pick a move for segment k; the pieces of the video it touches start rendering."""
    from .. import suggestions, videos  # the numpy stack, the renderer

    context = suggestions.pick_context(choreo_id, token, k, move_id)
    out = choreography.pick(choreo_id, token, k, move_id, context)
    videos.queue_pieces(choreo_id, [int(k)])
    return out


def clear(choreo_id: str, token: str | None, k) -> dict:
    """Take back the pick of segment k."""
    return choreography.pick(choreo_id, token, k, None)


def auto_fill(choreo_id: str, token: str | None, keep_picks: bool = True) -> dict:
    """Pick a move for every segment (keeping the person's picks); every piece starts rendering."""
    from .. import suggestions, videos  # the numpy stack, the renderer

    out = suggestions.auto_fill(choreo_id, token, keep_picks)
    videos.queue_pieces(choreo_id, range(len(out["segments"])))
    return out


def set_cut(choreo_id: str, token: str | None, cut) -> dict:
    """Cut between moves "hard" (on the beat, the default) or "soft" (a half-beat crossfade);
    the pieces of the video start rendering in that style."""
    from .. import videos  # the renderer

    out = choreography.set_cut(choreo_id, token, str(cut or ""))
    videos.queue_pieces(choreo_id, range(len(out["segments"])))
    return out


def render(choreo_id: str, token: str | None, shape: str = "16:9") -> dict:
    """Start the final video, 16:9 or 9:16 (pieces already rendered are reused); returns the job."""
    from .. import videos  # the renderer

    return videos.start(choreo_id, token, str(shape))


def video(choreo_id: str, token: str | None, shape: str = "16:9") -> dict:
    """Where to watch and download the video (16:9 or 9:16) made for the current picks."""
    from .. import videos  # the renderer

    return videos.video(choreo_id, token, str(shape))


def cue_sheet(choreo_id: str, token: str | None) -> dict:
    """One row per part: counts, song time, move title and style, thumbnail, mirror/half-time tags."""
    rec, _ = sharing.load(choreo_id, token)
    return cues.sheet(rec)


def export(choreo_id: str, token: str | None, kind: str) -> dict:
    """Start making the cue sheet PDF or the JSON of the current picks; returns the job."""
    return exports.start(choreo_id, token, kind)


def exported(choreo_id: str, token: str | None, kind: str) -> dict:
    """Where to download an export of the current picks (409 until it is made)."""
    return exports.download(choreo_id, token, kind)

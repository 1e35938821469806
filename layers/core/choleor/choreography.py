"""Choreographies: a person's session — song, interval, segments, one pick per segment.

A choreography is read and changed only with its token (stored hashed). What
the library suggests for it (candidates, auto-fill) is `choleor.suggestions`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
import uuid

from . import songs
from .errors import BadInput, Conflict, Forbidden, NotFound
from .jobs import store
from .storage import memo, objects, records

#: Share tokens (read-only links, `choleor.sharing`) start with this; edit tokens never do.
SHARE_PREFIX = "view-"

CUT_STYLES = ("hard", "soft")  # a hard cut on the beat, or a half-beat crossfade
DEFAULT_CUT = "hard"


def cut_style(rec: dict) -> str:
    """How the video cuts between moves. A record from before there was a choice was rendered
    with crossfades, so it keeps them (and its video stays the video of its picks)."""
    return rec.get("cut", "soft")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create(song_id: str, start: float, end: float) -> dict:
    try:
        start, end = float(start), float(end)
    except (TypeError, ValueError):
        raise BadInput("start and end must be numbers of seconds") from None
    segs = songs.segments(song_id, start, end)  # 404 / 409 / 400 from the song
    doc = songs.analysis(song_id)
    units = {round(u["start"], 4): i for i, u in enumerate(doc["segments"])}
    token = secrets.token_urlsafe(24)
    while token.startswith(SHARE_PREFIX):  # (one in a billion; a share token must never edit)
        token = secrets.token_urlsafe(24)
    rec = {
        "id": "ch" + uuid.uuid4().hex[:14],
        "token_hash": token_hash(token),
        "song_id": song_id,
        "song_title": songs.get_record(song_id).get("title", ""),
        "start": segs[0]["start"],
        "end": segs[-1]["end"],
        "cut": DEFAULT_CUT,
        "created_at": time.time(),
        "version": 0,
        "segments": [
            {
                "index": k,
                "start": s["start"],
                "end": s["end"],
                "beats": s["beats"],
                "unit": units.get(round(s["start"], 4), -1),
                "move_id": None,
            }
            for k, s in enumerate(segs)
        ],
    }
    records.put("choreographies", rec, if_absent="id")
    return {**view_record(rec), "token": token}


GONE = (
    "This dance isn't here: the link may be incomplete, or the dance was deleted "
    "(deleting a song deletes the dances made to it)."
)


def load(choreo_id: str, token: str | None) -> dict:
    rec = records.get("choreographies", {"id": choreo_id})
    if rec is None:
        raise NotFound(GONE)
    if token and str(token).startswith(SHARE_PREFIX):
        raise Forbidden("this link is read-only: it shows the dance but cannot change it")
    if not token or not hmac.compare_digest(token_hash(str(token)), rec["token_hash"]):
        raise Forbidden(
            "This link can't open the dance: its key is missing or wrong. Copy the whole link again."
        )
    return rec


def of_song(song_id: str) -> list[dict]:
    """Every choreography danced to a song (a scan: for deleting the song)."""
    return list(records.scan("choreographies", filter="song_id = :s", values={":s": song_id}))


def remove(rec: dict) -> None:
    """A choreography and every file made for it (video pieces, videos, exports)."""
    for prefix in (f"renders/{rec['id']}/", f"exports/{rec['id']}/"):
        objects.delete_prefix(prefix)
    records.delete("choreographies", {"id": rec["id"]})


#: How long a move record read for a view serves later views of this process: moves change only
#: when their source is ingested again or removed (as for candidates, `suggestions`).
MOVE_RECORD_SECONDS = 30.0


def _move_summaries(move_ids: list[str]) -> dict[str, dict]:
    """{move id: summary} of the picked moves, read with one batch read (not one per part)."""
    ids = sorted(set(move_ids))
    found = memo.records_by_id(
        "moves", ids, lambda missing: records.get_many("moves", missing), MOVE_RECORD_SECONDS
    )
    out = {}
    for move_id in ids:
        rec = found.get(move_id)
        if rec is None:
            out[move_id] = {"id": move_id, "missing": True}
            continue
        out[move_id] = {
            "id": move_id,
            "source_id": rec["source_id"],
            "style": rec.get("style"),
            "mirrored": rec.get("mirrored", False),
            "tempo": rec.get("tempo"),
            "thumbnail_url": objects.presign_get(rec["thumb_key"]) if rec.get("thumb_key") else None,
        }
    return out


def view_record(rec: dict) -> dict:
    # (records drop None attributes, so an unpicked segment has no move_id at all)
    moves = _move_summaries([s["move_id"] for s in rec["segments"] if s.get("move_id")])
    segs = [
        {k: s.get(k) for k in ("index", "start", "end", "beats", "move_id")}
        | {"picked_by": (s.get("picked_by") or "you") if s.get("move_id") else None}
        | {"move": moves.get(s.get("move_id"))}
        for s in rec["segments"]
    ]
    out = {k: rec.get(k) for k in ("id", "song_id", "song_title", "start", "end")}
    out["cut"] = cut_style(rec)
    out["segments"] = segs
    out["complete"] = all(s.get("move_id") for s in rec["segments"])
    out["render"] = render_state(rec)
    out["video_ready"] = bool(rec.get("video_key")) and rec.get("video_picks") == picks_signature(rec)
    key, picks = TALL_VIDEO_FIELDS
    out["tall_video_ready"] = bool(rec.get(key)) and rec.get(picks) == picks_signature(rec)
    return out


#: The record's (key, picks) attributes of its 9:16 video (its 16:9 one: video_key, video_picks).
TALL_VIDEO_FIELDS = ("video_9x16_key", "video_9x16_picks")


def picks_signature(rec: dict) -> str:
    """Which move each segment has, and how they are cut together: the video made for these
    picks is the one to show. (Crossfades, the only style there once was, add nothing.)"""
    what = [str(s.get("move_id")) for s in rec["segments"]]
    if cut_style(rec) != "soft":
        what.append(f"cut={cut_style(rec)}")
    return hashlib.sha1("|".join(what).encode()).hexdigest()[:16]


def latest_render(rec: dict) -> store.Job | None:
    """The job of the choreography's latest render, if it has one."""
    job_id = (rec.get("render") or {}).get("job_id")
    try:
        return store.get(job_id) if job_id else None
    except NotFound:  # the pointer was written, the job never created (a crash in between)
        return None


def render_state(rec: dict) -> dict | None:
    """Where the latest render stands: {job_id, status, progress, message} (+ error when it failed)."""
    job = latest_render(rec)
    if job is None:
        return None
    out = {
        "job_id": job.id,
        "status": job.status,
        "progress": job.progress,
        "message": job.message,
        "shape": job.params.get("shape", "16:9"),
    }
    if job.status == store.FAILED:
        out["error"] = job.error
    return out


def view(choreo_id: str, token: str | None) -> dict:
    return view_record(load(choreo_id, token))


def segment(rec: dict, k: int) -> dict:
    """Segment k of the record (404 naming the valid range)."""
    try:
        k = int(k)
    except (TypeError, ValueError):
        raise NotFound(f"no segment {k}") from None
    if not 0 <= k < len(rec["segments"]):
        raise NotFound(f"no segment {k}: this choreography has segments 0 to {len(rec['segments']) - 1}")
    return rec["segments"][k]


# --- picks -------------------------------------------------------------------
#
# Every change bumps `version`. A pick changes one segment in place (DynamoDB merges picks on
# different segments, whoever comes first); a change of several segments at once (auto-fill)
# is written only if `version` is still the one it was computed from, so nothing it did not see
# is ever overwritten.

#: How many times a whole-choreography change is recomputed against newer state before a 409.
RETRIES = 4


class Stale(Conflict):
    """The choreography changed since it was read; the change must be made again on the new state."""


def set_cut(choreo_id: str, token: str | None, cut: str) -> dict:
    """Choose how the video cuts between moves ("hard" or "soft")."""
    rec = load(choreo_id, token)
    if cut not in CUT_STYLES:
        raise BadInput(f"the cut must be {' or '.join(CUT_STYLES)}, not {cut!r}")
    try:
        after = records.update_expression(
            "choreographies",
            {"id": rec["id"]},
            "SET #c = :c, #u = :now ADD #v :one",
            condition="attribute_exists(#id)",
            names={"#c": "cut", "#u": "updated_at", "#v": "version", "#id": "id"},
            values={":c": cut, ":now": time.time(), ":one": 1},
        )
    except Conflict:
        raise NotFound(GONE) from None
    return view_record(after)


def pick(choreo_id: str, token: str | None, k: int, move_id: str | None, context: dict | None = None) -> dict:
    """Set (or clear, with None) the person's move for segment k; returns the choreography after
    the change. `context`: what it was picked against (`suggestions.pick_context`), so a later
    view can say truly whether, and why, it left the six shown."""
    rec = load(choreo_id, token)
    seg = segment(rec, k)
    if move_id is not None:
        if not isinstance(move_id, str) or records.get("moves", {"id": move_id}) is None:
            raise BadInput(f"no move {move_id!r} in the library")
    at = f"#s[{seg['index']}]"
    names = {
        "#s": "segments",
        "#m": "move_id",
        "#b": "picked_by",
        "#w": "picked_with",
        "#v": "version",
        "#u": "updated_at",
        "#id": "id",
    }
    values = {":one": 1, ":now": time.time()}
    if move_id is None:
        expression = f"REMOVE {at}.#m, {at}.#b, {at}.#w SET #u = :now ADD #v :one"
    else:
        expression = f"SET {at}.#m = :m, {at}.#b = :b, #u = :now"
        values |= {":m": move_id, ":b": "you"}
        if context:
            expression += f", {at}.#w = :w"
            values[":w"] = context
        else:
            expression += f" REMOVE {at}.#w"
        expression += " ADD #v :one"
    try:
        after = records.update_expression(
            "choreographies",
            {"id": rec["id"]},
            expression,
            condition="attribute_exists(#id)",
            names=names,
            values=values,
        )
    except Conflict:
        raise NotFound(GONE) from None
    return view_record(after)


def replace_segments(rec: dict, segments: list[dict]) -> dict:
    """Write all segments at once, only if the record is still at the version `rec` was read at.

    Raises `Stale` when someone changed it in between (the caller recomputes and tries again).
    """
    version = rec.get("version")
    if version is None:
        condition, values = "attribute_not_exists(#v)", {}
    else:
        condition, values = "#v = :seen", {":seen": version}
    try:
        after = records.update_expression(
            "choreographies",
            {"id": rec["id"]},
            "SET #s = :segs, #u = :now ADD #v :one",
            condition=condition,
            names={"#s": "segments", "#u": "updated_at", "#v": "version"},
            values={**values, ":segs": segments, ":now": time.time(), ":one": 1},
        )
    except Conflict:
        raise Stale("the choreography changed while this was being worked out") from None
    return view_record(after)


def change_all(choreo_id: str, token: str | None, compute) -> dict:
    """Apply `compute(rec) -> segments` as one write, recomputed on newer state after a conflict.

    After RETRIES conflicts in a row the answer is a 409 carrying the current choreography.
    """
    for _ in range(RETRIES):
        rec = load(choreo_id, token)
        try:
            return replace_segments(rec, compute(rec))
        except Stale:
            continue
    raise Conflict(
        "the choreography kept changing while this was being worked out; here it is as it stands now",
        detail={"choreography": view(choreo_id, token)},
    )

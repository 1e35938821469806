"""The library index snapshot: every move's vectors, energies and poses in one .npz in S3.

Rebuilt after each ingest from the per-source feature files, written under a
new version, then the `library/current.json` pointer is moved; a process loads
the snapshot once and reloads only when the pointer names another version.
"""

from __future__ import annotations

import io
import json
import threading
import time
import uuid

import numpy as np

from ..errors import Conflict, NotFound
from ..recommend import index as rindex
from ..recommend.features import MoveFeatures
from ..storage import memo, objects, records

POINTER = "library/current.json"
_cache: dict = {}
_lock = threading.Lock()
# A source's move features never change once written (move ids derive from the source id), so
# a rebuild after each ingest reads only the new source's file, not every source again.
_features: dict[str, list[MoveFeatures]] = {}

_ARRAY_FIELDS = (
    "beats",
    "music",
    "music_energy",
    "motion_energy",
    "pose_start",
    "pose_end",
    "vel_start",
    "vel_end",
    "trajectory",
)


def features_key(source_id: str) -> str:
    return f"sources/{source_id}/moves.npz"


def save_features(source_id: str, moves: list[MoveFeatures]) -> None:
    """All moves of one source (twins included) as stacked arrays."""
    arrays = {f: np.stack([getattr(m, f) for m in moves]).astype(np.float32) for f in _ARRAY_FIELDS}
    arrays.update(
        ids=np.array([m.id for m in moves]),
        mirrored=np.array([m.mirrored for m in moves]),
        tempo=np.array([m.tempo for m in moves], np.float32),
        style=np.array([m.style for m in moves]),
    )
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    objects.put_bytes(features_key(source_id), buf.getvalue())
    _features[source_id] = list(moves)


def load_features(source_id: str) -> list[MoveFeatures]:
    if source_id in _features:
        return _features[source_id]
    _features[source_id] = _read_features(source_id)
    return _features[source_id]


def _read_features(source_id: str) -> list[MoveFeatures]:
    with np.load(io.BytesIO(objects.get_bytes(features_key(source_id)))) as z:
        n = len(z["ids"])
        return [
            MoveFeatures(
                id=str(z["ids"][i]),
                source_id=source_id,
                style=str(z["style"][i]),
                mirrored=bool(z["mirrored"][i]),
                tempo=float(z["tempo"][i]),
                **{f: z[f][i] for f in _ARRAY_FIELDS},
            )
            for i in range(n)
        ]


def ready_sources() -> list[str]:
    return sorted(
        r["id"]
        for r in records.scan(
            "sources", filter="#s = :ready", names={"#s": "status"}, values={":ready": "ready"}
        )
    )


def rebuild() -> dict:
    """Build a new snapshot from every ready source, then point the library at it."""
    moves: list[MoveFeatures] = []
    for source_id in ready_sources():
        moves += load_features(source_id)
    version = f"{int(time.time() * 1000):015d}-{uuid.uuid4().hex[:6]}"
    pointer = {
        "version": version,
        "key": f"library/index-{version}.npz",
        "moves": len(moves),
        "sources": len({m.source_id for m in moves}),
    }
    if moves:
        objects.put_bytes(pointer["key"], rindex.save(rindex.build_index(moves, version)))
        trajectories = np.stack([m.trajectory for m in moves]).astype(np.float16)
        buf = io.BytesIO()
        np.savez_compressed(buf, ids=np.array([m.id for m in moves]), trajectories=trajectories)
        pointer["trajectories_key"] = f"library/trajectories-{version}.npz"
        objects.put_bytes(pointer["trajectories_key"], buf.getvalue())
    objects.put_bytes(POINTER, json.dumps(pointer).encode(), "application/json")
    memo.forget("library")
    return pointer


@memo.remembered(("library",), seconds=1.0)
def current_pointer() -> dict | None:
    try:  # one GET (not HEAD then GET): every candidates request reads it
        return json.loads(objects.get_bytes(POINTER))
    except NotFound:
        return None


def load_index() -> rindex.LibraryIndex:
    """The current snapshot, loaded once per process and again only when the version changes."""
    pointer = current_pointer()
    if not pointer or not pointer.get("moves"):
        raise Conflict("the dance library is empty: add dance videos first (or run `choleor library seed`)")
    with _lock:
        if _cache.get("version") != pointer["version"]:
            try:
                idx = rindex.load(objects.get_bytes(pointer["key"]))
            except rindex.OldFormat:
                # Built by an earlier release: rebuild from the per-source features (kept).
                pointer = rebuild()
                idx = rindex.load(objects.get_bytes(pointer["key"]))
            _cache.clear()
            _cache.update(version=pointer["version"], index=idx, pointer=pointer)
        return _cache["index"]


def load_trajectories() -> tuple[np.ndarray, np.ndarray]:
    """(ids, trajectories (N, 65, 17, 2)) of the current snapshot, for evaluation."""
    load_index()
    pointer = _cache["pointer"]
    with np.load(io.BytesIO(objects.get_bytes(pointer["trajectories_key"]))) as z:
        return z["ids"], z["trajectories"].astype(np.float32)


def tempo_histogram(width: int = 10) -> list[dict]:
    """Moves of the current snapshot per `width` BPM of counted tempo (mirrored twins not counted
    again): what tempi the library can dance at its own speed."""
    pointer = current_pointer()
    if not pointer or not pointer.get("moves"):
        return []
    index = load_index()
    tempo = index.tempo[~index.mirrored]
    low = (np.floor(tempo / width) * width).astype(int)
    values, counts = np.unique(low, return_counts=True)
    return [{"from_bpm": int(v), "to_bpm": int(v) + width, "moves": int(n)} for v, n in zip(values, counts)]

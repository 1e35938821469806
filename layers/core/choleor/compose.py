"""Compose from the command line: a song file in, a plan (and its quality) out.

The same ranking as the web flow, over the same library snapshot; used by
`choleor compose` and `choleor evaluate`, and by the quality harness.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from . import songs
from .config import Limits
from .errors import BadInput
from .library import catalog
from .recommend import auto, metrics
from .recommend.features import Plan, SegmentFeatures
from .recommend.index import LibraryIndex
from .recommend.rank import candidates, component_scores
from .recommend.repeats import music_repeats


def interval_segments(path: str | Path, start: float | None, end: float | None):
    """Analyse a song file; returns (analysis, segment features of [start, end])."""
    from .audio.analysis import analyze_file

    path = Path(path)
    if not path.is_file():
        raise BadInput(f"no such file: {path}")
    limits = Limits()
    song = analyze_file(path, max_bytes=limits.max_upload_bytes, max_seconds=limits.max_song_seconds)
    unit = {round(u.start, 6): i for i, u in enumerate(song.segments)}
    feats = []
    for k, s in enumerate(songs.interval(song.grid, start, end)):
        row = unit[round(s["start"], 6)]
        feats.append(
            SegmentFeatures(
                index=k, beats=np.asarray(s["beats"], float), music=song.vectors[row], energy=song.energy[row]
            )
        )
    return song, feats


def trajectories_for(index: LibraryIndex) -> np.ndarray:
    """Per-row trajectories of the current snapshot, in the index's row order."""
    ids, traj = catalog.load_trajectories()
    row = {str(i): r for r, i in enumerate(ids)}
    return traj[[row[str(i)] for i in index.ids]]


def plan(index: LibraryIndex, segs: list[SegmentFeatures]) -> dict:
    """Auto-choreography of the segments, with each pick's component scores and the metrics."""
    picks = auto.auto_choreograph(index, segs, repeats=music_repeats(index, segs))
    shown = [
        [c.index for c in candidates(index, s, prev=picks[t - 1] if t else None, history=picks[:t])]
        for t, s in enumerate(segs)
    ]
    out = []
    for t, (s, row) in enumerate(zip(segs, picks)):
        comps = component_scores(index, s, picks[t - 1] if t else None)
        out.append(
            {
                "index": t,
                "start": float(s.beats[0]),
                "end": float(s.beats[-1]),
                "beats": [float(b) for b in s.beats],
                "move_id": str(index.ids[row]),
                "scores": {k: round(float(v[row]), 4) for k, v in comps.items()},
            }
        )
    quality = metrics.plan_metrics(index, trajectories_for(index), segs, Plan(picks=picks, shown=shown))
    return {"segments": out, "metrics": {k: round(v, 4) for k, v in quality.items()}, "picks": picks}


def evaluate(index: LibraryIndex, segs: list[SegmentFeatures], seeds: int = 20) -> dict:
    """Ours vs random picks (averaged over seeds) vs the 2020 scoring, on the same interval."""
    table = metrics.evaluate(index, trajectories_for(index), segs, seeds=seeds)
    return {m: {k: round(v, 4) for k, v in row.items()} for m, row in table.items()}

"""8-beat units (two 4/4 bars, one dance "8-count") over a beat grid.

Units start on downbeats and follow each other without gaps: unit k covers beats
first_downbeat + 8k ... first_downbeat + 8k + 8 (9 times: 8 beats and the end, which is the
next unit's first beat). Beats before the first downbeat and a trailing partial unit are not
segments.

Interval rule (`start`/`end` in seconds): a unit is kept when at least half of it lies inside
[start, end]. This snaps each edge to the nearest unit edge: an interval edge in the first
half of a unit includes that unit, in the second half excludes it. An interval that covers
no unit by half yields no segments: callers tell the person to choose a longer part.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from choleor.audio.beats import BeatGrid

BEATS_PER_UNIT = 8


@dataclass
class Segment:
    """One 8-beat unit. `index` counts units from the start of the song (stable for any
    interval), `beats` holds 9 times: the 8 beats and the unit's end."""

    index: int
    start: float
    end: float
    beats: np.ndarray

    def to_json(self) -> dict:
        return {
            "index": self.index,
            "start": float(self.start),
            "end": float(self.end),
            "beats": [float(b) for b in self.beats],
        }


def all_units(grid: BeatGrid, beats_per_unit: int = BEATS_PER_UNIT) -> list[Segment]:
    """Every full unit of the song, starting at the first downbeat."""
    beats = np.asarray(grid.beats, dtype=float)
    first = int(grid.first_downbeat) if len(grid.downbeats) else 0
    n_units = max(0, (len(beats) - 1 - first) // beats_per_unit)
    out = []
    for k in range(n_units):
        i = first + k * beats_per_unit
        b = beats[i : i + beats_per_unit + 1]
        out.append(Segment(index=k, start=float(b[0]), end=float(b[-1]), beats=b.copy()))
    return out


def segments_for(
    grid: BeatGrid,
    start: float | None = None,
    end: float | None = None,
    beats_per_unit: int = BEATS_PER_UNIT,
) -> list[Segment]:
    """Units inside [start, end] by the half-unit rule (module docstring); with no interval,
    every full unit of the song. `start`/`end` may be None for "from the beginning"/"to the end"."""
    units = all_units(grid, beats_per_unit)
    if start is None and end is None:
        return units
    lo = -np.inf if start is None else float(start)
    hi = np.inf if end is None else float(end)
    if hi <= lo or not units:
        return []
    overlap = np.array([max(0.0, min(u.end, hi) - max(u.start, lo)) for u in units])
    length = np.array([u.end - u.start for u in units])
    return [u for u, o, n in zip(units, overlap, length) if o >= 0.5 * n]

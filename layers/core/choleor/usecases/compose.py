"""Choreography for a song file on this machine, from the library in storage, and its evaluation."""

from __future__ import annotations

import time
from pathlib import Path


def compose_file(
    song: str | Path,
    start: float | None = None,
    end: float | None = None,
    output: str | Path | None = None,
    cut: str = "hard",
) -> dict:
    """The best sequence of moves for [start, end] of a song file, with its metrics; rendered to
    `output` when given, cut "hard" (on the beat) or "soft" (crossfades)."""
    from .. import compose, videos  # the numpy stack, the renderer
    from ..library import catalog

    started = time.perf_counter()
    _, segs = compose.interval_segments(song, start, end)
    out = compose.plan(catalog.load_index(), segs)
    out.pop("picks")
    out["plan_seconds"] = round(time.perf_counter() - started, 2)
    if output is not None:
        out.update(videos.render_song_file(Path(song), out["segments"], Path(output), cut=cut))
    return out


def evaluate_file(song: str | Path, start: float | None = None, end: float | None = None) -> dict:
    """Our picks vs random picks (20 seeds) vs the 2020 scoring on [start, end] of a song file."""
    from .. import compose  # the numpy stack
    from ..library import catalog

    _, segs = compose.interval_segments(song, start, end)
    return compose.evaluate(catalog.load_index(), segs)

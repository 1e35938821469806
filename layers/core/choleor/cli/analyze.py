"""`choleor analyze FILE`: beats, downbeats and 8-beat segments of a song (no storage needed)."""

from __future__ import annotations

from pathlib import Path

from ..errors import BadInput
from ..usecases import songs
from .output import emit


def run(args) -> int:
    if (args.start is None) != (args.end is None):
        raise BadInput("give both --start and --end, or neither")
    if args.start is not None and args.end <= args.start:
        raise BadInput("--end must be after --start")
    out = songs.analyze_file(args.file, args.start, args.end)
    if args.json:
        emit(out)
    else:
        print(
            f"{Path(args.file).name}: {out['duration']:.1f} s, {out['tempo']:.1f} BPM, {len(out['beats'])} beats, "
            f"{len(out['segments'])} segments of 8 beats, beat confidence {out['beat_confidence']:.2f}"
        )
        if not out["steady_beat"]:
            print("  no steady beat here: the grid below is a guess, not a count")
        for s in out["segments"]:
            print(f"  {s['index']:3d}  {s['start']:8.3f} – {s['end']:8.3f} s")
    return 0

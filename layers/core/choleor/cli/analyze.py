"""`choleor analyze FILE`: beats, downbeats and 8-beat segments of a song (no storage needed)."""

from __future__ import annotations

from pathlib import Path

from ..config import Limits
from ..errors import BadInput


def register(sub) -> None:
    p = sub.add_parser(
        "analyze",
        help="beats, downbeats and 8-beat segments of a song file",
        description="Analyse a song file (anything ffmpeg reads) and print its beat grid "
        "and the 8-beat segments of [--start, --end] (else of the whole song).",
    )
    p.add_argument("file", help="audio or video file")
    p.add_argument("--start", type=float, help="start of the interval to dance, in seconds")
    p.add_argument("--end", type=float, help="end of the interval, in seconds")
    p.add_argument("--json", action="store_true", help="print one JSON object to stdout")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..audio.analysis import analyze_file
    from ..audio.segments import segments_for
    from . import emit

    path = Path(args.file)
    if not path.is_file():
        raise BadInput(f"no such file: {args.file}")
    if (args.start is None) != (args.end is None):
        raise BadInput("give both --start and --end, or neither")
    if args.start is not None and args.end <= args.start:
        raise BadInput("--end must be after --start")
    limits = Limits()
    result = analyze_file(path, max_bytes=limits.max_upload_bytes, max_seconds=limits.max_song_seconds)
    segs = segments_for(result.grid, args.start, args.end)
    if args.start is not None and not segs:
        raise BadInput("the interval is shorter than one 8-beat segment; choose a longer part of the song")
    out = {
        "duration": float(result.duration),
        "tempo": float(result.grid.tempo),
        "beat_confidence": float(result.beat_confidence),
        "steady_beat": bool(result.steady_beat),
        "beats": [float(b) for b in result.grid.beats],
        "downbeats": [float(b) for b in result.grid.downbeats],
        "segments": [
            {
                "index": s.index,
                "start": float(s.start),
                "end": float(s.end),
                "beats": [float(b) for b in s.beats],
            }
            for s in segs
        ],
    }
    if args.json:
        emit(out)
    else:
        print(
            f"{path.name}: {out['duration']:.1f} s, {out['tempo']:.1f} BPM, {len(out['beats'])} beats, "
            f"{len(out['segments'])} segments of 8 beats, beat confidence {out['beat_confidence']:.2f}"
        )
        if not out["steady_beat"]:
            print("  no steady beat here: the grid below is a guess, not a count")
        for s in out["segments"]:
            print(f"  {s['index']:3d}  {s['start']:8.3f} – {s['end']:8.3f} s")
    return 0

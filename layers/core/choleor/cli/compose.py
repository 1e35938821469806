"""`choleor compose` and `choleor evaluate`: choreography for a song file, from the library."""

from __future__ import annotations

import time

from .. import config
from ..errors import BadInput
from ..stack import session


def _song_args(p) -> None:
    p.add_argument("song", help="song file (anything ffmpeg reads)")
    p.add_argument("--start", type=float, help="start of the interval in seconds (default: the beginning)")
    p.add_argument("--end", type=float, help="end of the interval in seconds (default: the end)")
    p.add_argument("--json", action="store_true", help="print one JSON object to stdout")


def register(sub) -> None:
    p = sub.add_parser(
        "compose",
        help="pick a move for every 8-beat segment of a song (and render it)",
        description="Choose the best sequence of moves from the library for [--start, --end] "
        "of a song file and print the plan.",
    )
    _song_args(p)
    p.add_argument("--auto", action="store_true", help="let Choleor pick every segment (the default)")
    p.add_argument("--plan-only", action="store_true", help="print the plan without rendering a video")
    p.add_argument("-o", "--output", help="render the video to this .mp4 file")
    p.set_defaults(func=run_compose)

    e = sub.add_parser(
        "evaluate",
        help="quality of our picks vs random picks and the 2020 scoring",
        description="Compose the interval with our ranking, with random picks (averaged over "
        "20 seeds) and with the 2020 scoring, and print each one's metrics.",
    )
    _song_args(e)
    e.set_defaults(func=run_evaluate)


def run_compose(args) -> int:
    from .. import compose
    from . import emit

    if not args.plan_only and not args.output:
        raise BadInput("give -o OUT.mp4 to render, or --plan-only for the plan alone")
    started = time.perf_counter()
    _, segs = compose.interval_segments(args.song, args.start, args.end)
    with session.storage(config.data_dir(args.data)):
        index = compose.catalog.load_index()
        out = compose.plan(index, segs)
        out.pop("picks")
        out["plan_seconds"] = round(time.perf_counter() - started, 2)
        if not args.plan_only:
            from pathlib import Path

            from ..renders import render_song_file

            out.update(render_song_file(Path(args.song), out["segments"], Path(args.output)))
    if args.json:
        emit(out)
    else:
        for s in out["segments"]:
            print(f"{s['index']:3d}  {s['start']:8.2f}–{s['end']:8.2f} s  {s['move_id']}")
        print("metrics: " + ", ".join(f"{k} {v:.3f}" for k, v in out["metrics"].items()))
    return 0


def run_evaluate(args) -> int:
    from .. import compose
    from . import emit

    _, segs = compose.interval_segments(args.song, args.start, args.end)
    with session.storage(config.data_dir(args.data)):
        table = compose.evaluate(compose.catalog.load_index(), segs)
    if args.json:
        emit(table)
        return 0
    names = list(next(iter(table.values())))
    print(f"{'method':<14}" + "".join(f"{n:>17}" for n in names))
    for method, row in table.items():
        print(f"{method:<14}" + "".join(f"{row[n]:>17.3f}" for n in names))
    return 0

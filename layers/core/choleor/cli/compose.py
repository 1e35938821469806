"""`choleor compose` and `choleor evaluate`: choreography for a song file, from the library."""

from __future__ import annotations

from ..errors import BadInput
from ..usecases import compose, system
from .output import emit


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
    if not args.plan_only and not args.output:
        raise BadInput("give -o OUT.mp4 to render, or --plan-only for the plan alone")
    with system.storage(args.data):
        out = compose.compose_file(args.song, args.start, args.end, None if args.plan_only else args.output)
    if args.json:
        emit(out)
    else:
        for s in out["segments"]:
            print(f"{s['index']:3d}  {s['start']:8.2f}–{s['end']:8.2f} s  {s['move_id']}")
        print("metrics: " + ", ".join(f"{k} {v:.3f}" for k, v in out["metrics"].items()))
    return 0


def run_evaluate(args) -> int:
    with system.storage(args.data):
        table = compose.evaluate_file(args.song, args.start, args.end)
    if args.json:
        emit(table)
        return 0
    names = list(next(iter(table.values())))
    print(f"{'method':<14}" + "".join(f"{n:>17}" for n in names))
    for method, row in table.items():
        print(f"{method:<14}" + "".join(f"{row[n]:>17.3f}" for n in names))
    return 0

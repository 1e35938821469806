"""`choleor ingest` and `choleor library ...`: the dance library from the command line."""

from __future__ import annotations

from .. import config
from ..stack import session


def register(sub) -> None:
    p = sub.add_parser("ingest", help="add a dance video to the library (poses, beats, 8-beat moves)",
                       description="Find the dancer's pose in every frame, the beats of the video's own "
                                   "music, and cut it into described 8-beat moves (plus mirrored twins).")
    p.add_argument("video", help="dance video with its music")
    p.add_argument("--style", default="unknown", help="dance style label (e.g. salsa)")
    p.add_argument("--title", help="title shown in the library (default: the file name)")
    p.add_argument("--json", action="store_true", help="print one JSON object to stdout")
    p.set_defaults(func=run_ingest)

    lib = sub.add_parser("library", help="the dance library: stats, seed the default library",
                         description="Inspect or build the dance library.")
    lsub = lib.add_subparsers(dest="library_command", metavar="ACTION")
    lsub.required = True
    stats = lsub.add_parser("stats", help="how many sources and moves the library holds")
    stats.add_argument("--json", action="store_true", help="print one JSON object to stdout")
    stats.set_defaults(func=run_stats)


def run_ingest(args) -> int:
    from ..library import sources
    from . import emit

    with session.storage(config.data_dir(args.data)):
        result = sources.ingest_local(args.video, style=args.style, title=args.title)
    if args.json:
        emit(result)
    else:
        n = sum(not m["mirrored"] for m in result["moves"])
        print(f"added {args.video} as {result['source_id']}: {n} moves (+{n} mirrored), "
              f"{result['frames']} frames at {result['fps']:g} fps")
    return 0


def run_stats(args) -> int:
    from ..library import sources
    from . import emit

    with session.storage(config.data_dir(args.data)):
        stats = sources.stats()
    if args.json:
        emit(stats)
    else:
        print(f"{stats['sources']} sources, {stats['moves']} moves, {stats['duration_s']:.0f} s of dance; "
              f"styles: {', '.join(stats['styles']) or '-'}")
    return 0

"""`choleor ingest` and `choleor library ...`: the dance library from the command line."""

from __future__ import annotations

from ..usecases import library, system
from .output import emit, progress


def register(sub) -> None:
    p = sub.add_parser(
        "ingest",
        help="add a dance video to the library (poses, beats, 8-beat moves)",
        description="Find the dancer's pose in every frame, the beats of the video's own "
        "music, and cut it into described 8-beat moves (plus mirrored twins).",
    )
    p.add_argument("video", help="dance video with its music")
    p.add_argument("--style", default="unknown", help="dance style label (e.g. salsa)")
    p.add_argument("--title", help="title shown in the library (default: the file name)")
    p.add_argument("--json", action="store_true", help="print one JSON object to stdout")
    p.set_defaults(func=run_ingest)

    lib = sub.add_parser(
        "library",
        help="the dance library: stats, seed the default library",
        description="Inspect or build the dance library.",
    )
    lsub = lib.add_subparsers(dest="library_command", metavar="ACTION")
    lsub.required = True
    stats = lsub.add_parser("stats", help="how many sources and moves the library holds")
    stats.add_argument("--json", action="store_true", help="print one JSON object to stdout")
    stats.set_defaults(func=run_stats)
    seed = lsub.add_parser(
        "seed",
        help="build the default library from the shipped dance motion capture",
        description="Render the shipped CMU dance takes as dance videos with music and "
        "add them through the normal ingest. Takes already added are skipped.",
    )
    seed.add_argument("--limit", type=int, help="only the first N takes")
    seed.add_argument("--seconds", type=float, help="only the first S seconds of each take")
    seed.add_argument("--jobs", type=int, default=2, help="takes drawn in parallel (default 2)")
    seed.add_argument("--json", action="store_true", help="print one JSON object to stdout")
    seed.set_defaults(func=run_seed)
    acc = lsub.add_parser("accuracy", help="pose model error on the seeded takes vs their true joints")
    acc.add_argument("--json", action="store_true", help="print JSON to stdout")
    acc.set_defaults(func=run_accuracy)


def run_ingest(args) -> int:
    with system.storage(args.data):
        result = library.ingest_file(args.video, style=args.style, title=args.title)
    if args.json:
        emit(result)
    else:
        n = sum(not m["mirrored"] for m in result["moves"])
        half = sum(not m["mirrored"] and m["counting"] == 2 for m in result["moves"])
        print(
            f"added {args.video} as {result['source_id']}: {n} moves ({half} of them counted in "
            f"half time; +{n} mirrored), "
            f"{result['frames']} frames at {result['fps']:g} fps"
        )
    return 0


def run_stats(args) -> int:
    with system.storage(args.data):
        stats = library.stats()
    if args.json:
        emit(stats)
    else:
        print(
            f"{stats['sources']} sources, {stats['moves']} moves, {stats['duration_s']:.0f} s of dance; "
            f"styles: {', '.join(stats['styles']) or '-'}"
        )
    return 0


def run_seed(args) -> int:
    with system.storage(args.data) as data:
        out = library.seed(data, limit=args.limit, seconds=args.seconds, jobs=args.jobs, progress=progress)
    if args.json:
        emit(out)
    else:
        print(
            f"added {len(out['added'])} takes ({out['skipped']} already there) in "
            f"{out['render_s'] + out['ingest_s']:.0f} s; library: {out['sources']} sources, {out['moves']} moves"
        )
    return 0


def run_accuracy(args) -> int:
    with system.storage(args.data):
        rows = library.pose_accuracy()
    if args.json:
        emit(rows)
        return 0
    print(f"{'take':<60} {'frames':>6} {'found':>6} {'mean':>6} {'median':>6}")
    for r in rows:
        print(
            f"{(r['title'] or '')[:60]:<60} {r['frames']:>6} {r['detected']:>6.1%} "
            f"{r['mean_error']:>6.1%} {r['median_error']:>6.1%}"
        )
    if rows:
        frames = sum(r["frames"] for r in rows)
        mean = sum(r["mean_error"] * r["frames"] for r in rows) / frames
        print(f"{'overall (frame-weighted)':<60} {frames:>6} {'':>6} {mean:>6.1%}")
    return 0

"""`choleor ingest` and `choleor library ...`: the dance library from the command line."""

from __future__ import annotations

from ..usecases import library, system
from .output import emit, progress


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
        return 0
    print(
        f"{stats['sources']} sources, {stats['moves']} moves, {stats['duration_s']:.0f} s of dance; "
        f"styles: {', '.join(stats['styles']) or '-'}"
    )
    if stats["tempo_histogram"]:
        print(
            "moves by tempo: "
            + ", ".join(f"{b['from_bpm']}-{b['to_bpm']}: {b['moves']}" for b in stats["tempo_histogram"])
        )
    if stats["soundtracks"]:
        print(
            f"{len(stats['soundtracks'])} soundtracks: "
            + ", ".join(f"{k} x{n}" for k, n in stats["soundtracks"].items())
        )
    if stats["build"]:
        b = stats["build"]
        print(
            f"default library built in {b['build_s']:.0f} s "
            f"(first 100 moves after {b['first_moves_s'] or 0:.0f} s, songs after {b['songs_s']:.0f} s)"
        )
    return 0


def run_seed(args) -> int:
    with system.storage(args.data) as data:
        out = library.seed(data, limit=args.limit, seconds=args.seconds, jobs=args.jobs, progress=progress)
    if args.json:
        emit(out)
    else:
        first = f"first 100 moves after {out['first_moves_s']:.0f} s, " if out["first_moves_s"] else ""
        print(
            f"added {len(out['added'])} takes ({out['skipped']} already there, {len(out['rejected'])} rejected) "
            f"in {out['build_s']:.0f} s ({first}songs after {out['songs_s']:.0f} s); "
            f"library: {out['sources']} sources, {out['moves']} moves"
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

"""`choleor compose` and `choleor evaluate`: choreography for a song file, from the library."""

from __future__ import annotations

from ..errors import BadInput
from ..usecases import compose, system
from .output import emit


def run_compose(args) -> int:
    if not args.plan_only and not args.output:
        raise BadInput("give -o OUT.mp4 to render, or --plan-only for the plan alone")
    with system.storage(args.data):
        out = compose.compose_file(
            args.song, args.start, args.end, None if args.plan_only else args.output, args.cut
        )
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

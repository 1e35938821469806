"""Recommendation quality on the real default library: ours vs random vs the 2020 scoring.

The library is the default one (docs/LIBRARY.md: the 48 CMU motion-capture takes drawn, then
ingested through the normal pipeline), frozen as its move features in
tests/fixtures/default_library_moves.npz so this runs in seconds. Random is averaged over 20
seeds, 2020 over 20 KMeans seeds.

Protocol (tune without peeking):
- The 20 shipped songs are split in two. TUNE is the eight in data/beats (the songs the
  current weights were chosen on); REPORT is the twelve in data/beats/batch2, which no weight
  search has looked at. Tuned numbers (recommend.weights) are chosen on TUNE only (`--search`
  never evaluates REPORT); REPORT is evaluated only to be reported, and its figures are the
  ones to quote. Both are printed.
- Each song is evaluated on about 32 beats, 5 s .. min(35 s, its end - 2 s), through the same
  analyser as an upload.
- Each song is matched against the library without the takes that dance to it (their
  soundtrack is that song): the music is new to every move offered, as a user's song is.
- A cell is song x metric x baseline: won when ours is strictly better than that baseline.

    python tests/bench/bench_quality.py [--json] [--split tune|report|both]
    python tests/bench/bench_quality.py --search 200 [--seed 0]   # random search, on TUNE only
    python tests/bench/bench_quality.py --jump-floor [--split report]  # what the library allows
    python tests/bench/bench_quality.py --export DATA_DIR   # refresh the fixture from a seeded
                                                            # library (choleor --data DIR library seed)

Goal, on REPORT: every mean better than both baselines, >= 97 % of cells won, mean transition
jump <= 0.10, energy correlation >= 0.35, and `stretched` (the share of picks played more than
20 % off their own speed; none of the five metrics sees it) <= 8 %.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "default_library_moves.npz"
SONGS = ROOT / "data" / "beats"
START, END, TAIL = 5.0, 35.0, 2.0
SPLITS = ("tune", "report")
ARRAYS = (
    "beats",
    "music",
    "music_energy",
    "motion_energy",
    "pose_start",
    "pose_end",
    "vel_start",
    "vel_end",
    "trajectory",
)


def export(data_dir: Path, out: Path = FIXTURE) -> int:
    """Write every ready source's move features (and the soundtrack it dances to) from a seeded
    data directory."""
    from choleor.library import catalog
    from choleor.stack import session
    from choleor.storage import records

    with session.storage(data_dir):
        moves, tracks = [], []
        for source_id in catalog.ready_sources():
            source = records.get("sources", {"id": source_id}) or {}
            track = Path((source.get("soundtrack") or {}).get("file", "")).stem
            for m in catalog.load_features(source_id):
                moves.append(m)
                tracks.append(track)
    arrays = {f: np.stack([getattr(m, f) for m in moves]).astype(np.float32) for f in ARRAYS}
    arrays["trajectory"] = arrays["trajectory"].astype(np.float16)  # keeps the fixture small
    np.savez_compressed(
        out,
        **arrays,
        ids=np.array([m.id for m in moves]),
        source_id=np.array([m.source_id for m in moves]),
        style=np.array([m.style for m in moves]),
        mirrored=np.array([m.mirrored for m in moves]),
        tempo=np.array([m.tempo for m in moves], np.float32),
        soundtrack=np.array(tracks),
    )
    return len(moves)


def load_moves(path: Path = FIXTURE) -> tuple[list, np.ndarray]:
    """The library's moves, and the stem of the song each one's take dances to."""
    from choleor.recommend.features import MoveFeatures

    with np.load(path) as npz:
        z = {k: npz[k] for k in npz.files}  # each access of an npz member decompresses it again
        moves = [
            MoveFeatures(
                id=str(z["ids"][i]),
                source_id=str(z["source_id"][i]),
                style=str(z["style"][i]),
                mirrored=bool(z["mirrored"][i]),
                tempo=float(z["tempo"][i]),
                **{f: z[f][i].astype(np.float32) for f in ARRAYS},
            )
            for i in range(len(z["ids"]))
        ]
        return moves, z["soundtrack"].astype(str)


def _duration(path: Path) -> float:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(out.stdout)


def songs(split: str) -> list[Path]:
    """The TUNE songs (data/beats) or the REPORT songs (data/beats/batch2)."""
    return sorted((SONGS if split == "tune" else SONGS / "batch2").glob("*.flac"))


def interval(song: Path) -> tuple[float, float]:
    return START, min(END, _duration(song) - TAIL)


def run(split: str, seeds: int = 20, methods=None) -> dict[str, dict]:
    """{song: {method: {metric: value}}} over one half of the shipped songs."""
    from choleor.compose import interval_segments
    from choleor.recommend import index as ix
    from choleor.recommend import metrics

    moves, tracks = load_moves()
    out = {}
    for song in songs(split):
        keep = [m for m, t in zip(moves, tracks, strict=True) if t != song.stem]
        index = ix.build_index(keep, f"fixture-without-{song.stem}")
        trajectories = np.stack([m.trajectory for m in keep]).astype(np.float32)
        _, segs = interval_segments(song, *interval(song))
        out[song.stem] = metrics.evaluate(
            index, trajectories, segs, seeds=seeds, **({"methods": methods} if methods else {})
        )
    return out


def cells(results: dict[str, dict]) -> tuple[int, int, list[str]]:
    """(won, all, the lost ones as 'song: metric vs baseline') over song x metric x baseline."""
    from choleor.recommend.metrics import METRICS

    won, lost = 0, []
    for song, row in results.items():
        for m in METRICS:
            for base in (b for b in row if b != "ours"):
                ours, other = row["ours"][m], row[base][m]
                if (ours < other) if m == "transition_jump" else (ours > other):
                    won += 1
                else:
                    lost.append(f"{song}: {m} vs {base}")
    return won, won + len(lost), lost


def means(results: dict[str, dict]) -> dict[str, dict[str, float]]:
    from choleor.recommend.metrics import METRICS, REPORTED

    methods = next(iter(results.values()))
    return {
        k: {m: float(np.mean([r[k][m] for r in results.values()])) for m in METRICS + REPORTED}
        for k in methods
    }


def goals(results: dict[str, dict]) -> dict[str, bool]:
    """The goal's five checks (see the module's docstring)."""
    from choleor.recommend.metrics import METRICS

    mean = means(results)
    won, n, _ = cells(results)
    better = all(
        (mean["ours"][m] < mean[b][m]) if m == "transition_jump" else (mean["ours"][m] > mean[b][m])
        for m in METRICS
        for b in mean
        if b != "ours"
    )
    return {
        "every mean better than both": better,
        "cells won >= 97 %": won >= 0.97 * n,
        "transition jump <= 0.10": mean["ours"]["transition_jump"] <= 0.10,
        "energy correlation >= 0.35": mean["ours"]["energy_corr"] >= 0.35,
        "stretched <= 8 %": mean["ours"]["stretched"] <= 0.08,
    }


def table(results: dict[str, dict], title: str) -> str:
    from choleor.recommend.metrics import METRICS, REPORTED

    cols = METRICS + REPORTED
    head = f"{'song':<26}{'method':<14}" + "".join(f"{m:>17}" for m in cols)
    lines = [title, head, "-" * len(head)]
    for song, row in results.items():
        for method, values in row.items():
            lines.append(f"{song:<26}{method:<14}" + "".join(f"{values[m]:>17.3f}" for m in cols))
    for method, mean in means(results).items():
        lines.append(f"{'MEAN':<26}{method:<14}" + "".join(f"{mean[m]:>17.3f}" for m in cols))
    won, n, lost = cells(results)
    lines.append(f"cells won: {won}/{n} ({won / n:.1%}); lost: {', '.join(lost) or 'none'}")
    lines.append("goals: " + ", ".join(f"{k}: {'yes' if v else 'NO'}" for k, v in goals(results).items()))
    return "\n".join(lines)


def search(trials: int, seed: int = 0) -> list[tuple[float, dict]]:
    """Random search of the component weights on TUNE only (REPORT is never evaluated): each
    trial's score is its share of cells won, less a penalty for each goal it misses."""
    from choleor.recommend import auto
    from choleor.recommend import weights as w

    rng = np.random.default_rng(seed)
    base = dict(w.COMPONENTS)
    methods = {"ours": auto.plan}
    baselines = run("tune", seeds=20)  # the baselines do not depend on the weights
    tried = []
    for trial in range(trials):
        cand = (
            base
            if trial == 0
            else {k: float(np.round(v * np.exp(rng.normal(0, 0.5)), 2)) for k, v in base.items()}
        )
        w.COMPONENTS.update(cand)  # rank's default weights are this mapping
        try:
            ours = run("tune", seeds=1, methods=methods)
        finally:
            w.COMPONENTS.update(base)
        results = {song: {**baselines[song], "ours": ours[song]["ours"]} for song in baselines}
        won, n, _ = cells(results)
        score = won / n - 0.05 * sum(not ok for ok in goals(results).values())
        tried.append((score, cand))
        print(f"{trial:4d} {score:.3f} {json.dumps(cand)}", flush=True)
    return sorted(tried, key=lambda t: -t[0])


def cut_distances(trajectories: np.ndarray) -> np.ndarray:
    """(N, N): the transition jump of a cut from move i into move j, as metrics.transition_jump
    measures it (mean keypoint distance, torso units, last pose of i to first pose of j)."""
    out, inc = trajectories[:, -1], trajectories[:, 0]
    d = np.zeros((len(trajectories), len(trajectories)), np.float32)
    for k in range(out.shape[1]):  # one keypoint at a time: (N, N, 2) instead of (N, N, 17, 2)
        d += np.linalg.norm(out[:, None, k] - inc[None, :, k], axis=-1)
    return d / out.shape[1]


def best_chain(d: np.ndarray, parts: list[np.ndarray]) -> float:
    """The least mean jump of a chain taking one move from each part's candidates (Viterbi)."""
    cost = np.zeros(len(parts[0]))
    for a, b in zip(parts, parts[1:], strict=False):
        cost = (cost[:, None] + d[np.ix_(a, b)]).min(0)
    return float(cost.min() / (len(parts) - 1))


def jump_floor(split: str, pools=(6, 20, 100), trials: int = 200, seed: int = 0) -> dict[str, dict]:
    """What the library allows for the transition jump, music aside, per song of `split` (its
    interval's number of parts; the library without the song's takes; cuts between one source's
    moves left out, since they are mostly the same footage, which auto-fill may not repeat):
    the nearest next move's jump (median over moves), the best chain from a typical first move,
    and the best chain when each part offers `pool` moves drawn at random (a stand-in for
    candidates ranked on the music alone)."""
    from choleor.compose import interval_segments

    moves, tracks = load_moves()
    rng = np.random.default_rng(seed)
    out = {}
    for song in songs(split):
        keep = [m for m, t in zip(moves, tracks, strict=True) if t != song.stem]
        d = cut_distances(np.stack([m.trajectory for m in keep]).astype(np.float32))
        source = np.array([m.source_id for m in keep])
        d[source[:, None] == source[None, :]] = np.inf
        _, segs = interval_segments(song, *interval(song))
        n, everyone = len(segs), np.arange(len(keep))
        from_each = np.zeros(len(keep))
        for _ in range(n - 1):
            from_each = (d + from_each[None, :]).min(1)
        row = {
            "parts": n,
            "nearest_next": float(np.median(d.min(1))),
            "best_chain_typical_start": float(np.median(from_each) / (n - 1)),
            "best_chain": best_chain(d, [everyone] * n),
        }
        for pool in pools:
            draws = [[rng.choice(len(keep), pool, replace=False) for _ in range(n)] for _ in range(trials)]
            row[f"random_{pool}"] = float(np.mean([best_chain(d, parts) for parts in draws]))
        out[song.stem] = row
    return out


def floor_table(rows: dict[str, dict], title: str) -> str:
    cols = list(next(iter(rows.values())))
    lines = [title, f"{'song':<26}" + "".join(f"{c:>26}" for c in cols)]
    for song, row in rows.items():
        lines.append(f"{song:<26}" + "".join(f"{row[c]:>26.3f}" for c in cols))
    lines.append(f"{'MEAN':<26}" + "".join(f"{np.mean([r[c] for r in rows.values()]):>26.3f}" for c in cols))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--split", choices=[*SPLITS, "both"], default="both")
    parser.add_argument("--search", type=int, metavar="TRIALS", help="random search on TUNE only")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jump-floor", action="store_true", help="what the library allows for the jump")
    parser.add_argument("--export", type=Path, metavar="DATA_DIR")
    args = parser.parse_args(argv)
    if args.export:
        print(f"{export(args.export)} moves -> {FIXTURE}")
        return 0
    if args.jump_floor:
        for split in SPLITS if args.split == "both" else (args.split,):
            print(floor_table(jump_floor(split, seed=args.seed), f"== jump floor, {split.upper()} =="))
        return 0
    if args.search:
        for score, cand in search(args.search, args.seed)[:5]:
            print(f"best {score:.3f} {json.dumps(cand)}")
        return 0
    for split in SPLITS if args.split == "both" else (args.split,):
        results = run(split)
        print(json.dumps({split: results}) if args.json else table(results, f"== {split.upper()} =="))
    return 0


def test_quality_on_the_default_library():
    """On the REPORT songs, the guards the weights were chosen under: on average better than
    random on every metric, more varied candidates than 2020 on every song, at most 8 % of picks
    stretched. The goal's own checks are printed (`goals`), not asserted: where they fail is
    the figure to report."""
    from choleor.recommend.metrics import METRICS

    results = run("report")
    print("\n" + table(results, "== REPORT =="))
    mean = means(results)
    assert mean["ours"]["transition_jump"] < mean["random"]["transition_jump"]
    for m in METRICS[1:]:
        assert mean["ours"][m] > mean["random"][m], m
    for song, row in results.items():
        assert row["ours"]["diversity"] > row["original2020"]["diversity"], song
    assert mean["ours"]["stretched"] <= 0.08


if __name__ == "__main__":
    sys.exit(main())

"""Recommendation core: speed at 100k moves, and quality against the baselines.

Speed: a synthetic 100k-move library (2,000 sources x 25 moves x mirror), `candidates` p95
over 200 calls along a chain of picks, `auto_choreograph` for 16 segments, index bytes.
Reference, in the same run: one plain numpy pass over the arrays a candidates call must read
(every move's music vector, music energy and start pose) and the top six of a sum.
Quality: a smaller library where structure exists (moves cut from smooth beat-synchronous
dances whose step size follows the music's loudness), 3 songs of 16 segments, ours vs
random (20 seeds) vs original2020 (20 seeds), averaged over the songs.

    python -m tests.bench.bench_recommend [--sources 2000] [--json]

Guards (CPU time): candidates p95 / the numpy pass <= 6, auto for 16 segments / 16 numpy
passes <= 3; the index within 300 MB; ours beats both baselines on every metric. The goals
in times (p95 <= 50 ms, auto <= 1 s) are printed, not guarded.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np

from choleor.recommend import index as ix
from choleor.recommend import metrics
from choleor.recommend.auto import auto_choreograph
from choleor.recommend.rank import candidates
from tests import synthetic_library as synthetic
from tests.bench.ratios import Row, failed, table

TARGET_P95_MS = 50.0
TARGET_AUTO_S = 1.0
TARGET_MB = 300.0
CANDIDATES_GUARD = 6.0  # measured 3.1 at load 6
AUTO_GUARD = 3.0  # measured 1.1
LOWER_IS_BETTER = {"transition_jump"}


def speed(sources: int = 2000, pieces: int = 25, calls: int = 200) -> dict:
    rng = np.random.default_rng(0)
    world = synthetic.make_world(rng, dim=64)
    moves = synthetic.library(rng, world, sources, pieces, keep_trajectory=False)
    start = time.perf_counter()
    index = ix.build_index(moves, "bench")
    build_s = time.perf_counter() - start
    del moves
    data = ix.save(index)
    start = time.perf_counter()
    index = ix.load(data)
    load_s = time.perf_counter() - start
    segs = synthetic.song(rng, world, 16)
    candidates(index, segs[0])  # warm up (derived arrays)
    wall, cpu, history = [], [], []
    for i in range(calls):
        seg = segs[i % len(segs)]
        if i % len(segs) == 0:
            history = []
        t0, c0 = time.perf_counter(), time.process_time()
        out = candidates(index, seg, prev=history[-1] if history else None, history=history)
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
        history.append(out[0].index)
    auto = []
    for _ in range(3):
        c0 = time.process_time()
        auto_choreograph(index, segs)
        auto.append(time.process_time() - c0)
    scan = [numpy_pass(index) for _ in range(calls // 4)]
    return {
        "moves": len(index),
        "build_s": build_s,
        "load_s": load_s,
        "p50_ms": 1e3 * float(np.percentile(wall, 50)),
        "p95_ms": 1e3 * float(np.percentile(wall, 95)),
        "cpu_p95_ms": 1e3 * float(np.percentile(cpu, 95)),
        "auto16_s": float(np.min(auto)),
        "scan_ms": 1e3 * float(np.median(scan)),
        "index_mb": index.nbytes() / 1e6,
        "npz_mb": len(data) / 1e6,
    }


def numpy_pass(index: ix.LibraryIndex) -> float:
    """CPU seconds of the floor under a candidates call: every move's music vector, music energy
    and start pose read once, and the top six of a sum."""
    c0 = time.process_time()
    music = index.music @ index.music[0]
    energy = index.music_energy @ index.music_energy[0]
    pose = np.abs(index.pose_start - index.pose_start[0]).sum(axis=(1, 2))
    np.argpartition(music + energy - pose, -6)[-6:]
    return time.process_time() - c0


def quality(sources: int = 60, pieces: int = 24, songs: int = 3, seeds: int = 20) -> dict:
    rng = np.random.default_rng(1)
    world = synthetic.make_world(rng, dim=48)
    moves = synthetic.library(rng, world, sources, pieces)
    index = ix.build_index(moves, "quality")
    trajectories = np.stack([m.trajectory for m in moves]).astype(np.float32)
    runs = [
        metrics.evaluate(index, trajectories, synthetic.song(rng, world, 16), seeds=seeds)
        for _ in range(songs)
    ]
    return {
        name: {k: float(np.mean([r[name][k] for r in runs])) for k in metrics.METRICS} for name in runs[0]
    }


def ratio_rows(s: dict) -> list[Row]:
    plain = "one numpy pass over the arrays a call reads"
    return [
        Row("candidates p95, CPU", s["cpu_p95_ms"], s["scan_ms"], plain, CANDIDATES_GUARD, unit="ms"),
        Row(
            "auto, 16 segments, CPU",
            1e3 * s["auto16_s"],
            16 * s["scan_ms"],
            f"16 x {plain}",
            AUTO_GUARD,
            unit="ms",
        ),
        Row("index in memory", s["index_mb"], TARGET_MB, "the budget", 1.0, unit="MB"),
    ]


def report(s: dict, q: dict) -> str:
    notes = [
        f"{s['moves']} moves: build {s['build_s']:.1f} s, load {s['load_s']:.2f} s; candidates wall p50 "
        f"{s['p50_ms']:.1f} ms, p95 {s['p95_ms']:.1f} ms (goal {TARGET_P95_MS:g} ms); auto {s['auto16_s']:.2f} s "
        f"CPU (goal {TARGET_AUTO_S:g} s); npz {s['npz_mb']:.0f} MB",
        "",
        f"{'method':<14}" + "".join(f"{k:>17}" for k in metrics.METRICS),
    ]
    for name, row in q.items():
        notes.append(f"{name:<14}" + "".join(f"{row[k]:>17.3f}" for k in metrics.METRICS))
    return table(ratio_rows(s), notes)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--sources", type=int, default=2000, help="x 25 moves x 2 (mirrors)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    s, q = speed(args.sources), quality()
    print(json.dumps({"speed": s, "quality": q}) if args.json else report(s, q))
    return 0


def beaten(q: dict) -> list[str]:
    """Metrics on which ours does not beat a baseline."""
    fails = []
    for base in ("random", "original2020"):
        for k in metrics.METRICS:
            ours, other = q["ours"][k], q[base][k]
            if not (ours < other if k in LOWER_IS_BETTER else ours > other):
                fails.append(f"{k}: ours {ours:.3f} vs {base} {other:.3f}")
    return fails


def test_recommend_speed_and_quality():
    s, q = speed(), quality()
    print("\n" + report(s, q))
    assert not failed(ratio_rows(s))
    assert not beaten(q)


if __name__ == "__main__":
    sys.exit(main())

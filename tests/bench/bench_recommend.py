"""Recommendation core: speed at 100k moves, and quality against the baselines.

Speed: a synthetic 100k-move library (2,000 sources x 25 moves x mirror), `candidates` p95
over 200 calls along a chain of picks, `auto_choreograph` for 16 segments, index bytes.
Quality: a smaller library where structure exists (moves cut from smooth beat-synchronous
dances whose step size follows the music's loudness), 3 songs of 16 segments, ours vs
random (20 seeds) vs original2020 (20 seeds), averaged over the songs.

    python tests/bench/bench_recommend.py [--sources 2000] [--json]

Targets: p95 <= 50 ms (asserted on CPU time, see the test), auto <= 1 s, index <= 300 MB at 100k moves; ours beats both baselines on
every metric.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np
import pytest

from choleor.recommend import index as ix
from choleor.recommend import metrics, synthetic
from choleor.recommend.auto import auto_choreograph
from choleor.recommend.rank import candidates

TARGET_P95_MS = 50.0
TARGET_AUTO_S = 1.0
TARGET_MB = 300.0
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
        t0 = time.perf_counter()
        auto_choreograph(index, segs)
        auto.append(time.perf_counter() - t0)
    return {
        "moves": len(index),
        "build_s": build_s,
        "load_s": load_s,
        "p50_ms": 1e3 * float(np.percentile(wall, 50)),
        "p95_ms": 1e3 * float(np.percentile(wall, 95)),
        "cpu_p95_ms": 1e3 * float(np.percentile(cpu, 95)),
        "auto16_s": float(np.min(auto)),
        "index_mb": index.nbytes() / 1e6,
        "npz_mb": len(data) / 1e6,
    }


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


def table(s: dict, q: dict) -> str:
    lines = [
        f"moves {s['moves']}: build {s['build_s']:.1f} s, load {s['load_s']:.2f} s, "
        f"candidates p50 {s['p50_ms']:.1f} ms p95 {s['p95_ms']:.1f} ms "
        f"(CPU p95 {s['cpu_p95_ms']:.1f} ms), "
        f"auto(16) best of 3 {s['auto16_s']:.2f} s, index {s['index_mb']:.0f} MB "
        f"(npz {s['npz_mb']:.0f} MB)",
        "",
        f"{'method':<14}" + "".join(f"{k:>17}" for k in metrics.METRICS),
    ]
    for name, row in q.items():
        lines.append(f"{name:<14}" + "".join(f"{row[k]:>17.3f}" for k in metrics.METRICS))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--sources", type=int, default=2000, help="x 25 moves x 2 (mirrors)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    s, q = speed(args.sources), quality()
    print(json.dumps({"speed": s, "quality": q}) if args.json else table(s, q))
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


@pytest.mark.slow
def test_recommend_speed_and_quality():
    s, q = speed(), quality()
    print("\n" + table(s, q))
    # CPU time, not wall: on a shared machine other jobs' load lands in wall-clock latency
    # (wall p95 is printed; 20-26 ms on an idle 2-core box). Same for auto: best of 3.
    assert s["cpu_p95_ms"] <= TARGET_P95_MS
    assert s["auto16_s"] <= TARGET_AUTO_S
    assert s["index_mb"] <= TARGET_MB
    assert not beaten(q)


if __name__ == "__main__":
    sys.exit(main())

"""Beat-tracking benchmark on data/beats (ours vs librosa's default), speed and memory.

    python tests/bench/bench_beats.py [--json]

F-measure: mir_eval.beat.f_measure (70 ms window) after mir_eval.beat.trim_beats. For songs
>= 150 BPM, counting at half tempo is as right, so both half-tempo reference grids are also
scored and the best of the three is taken; CMLt/AMLt are for the written level. Downbeat
share: share of our 8-beat units whose first beat is an annotated downbeat (within 70 ms).
Speed: whole `analyze_file` (decode included) seconds / song seconds on ONE thread, median
of 3 steady-state runs after a warm-up (numba JIT), in this process with thread counts
pinned before numpy loads. Memory: peak RSS (VmHWM) of a subprocess analysing a
10-minute song made by tiling a clip with ffmpeg.

Collected by pytest (`-m slow`): runs this file in a subprocess and asserts the targets.
"""

from __future__ import annotations

import os

for _v in (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "NUMBA_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
):
    os.environ.setdefault(_v, "1")

import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data" / "beats"
TARGET_MEAN, TARGET_MIN, TARGET_SPEED, TARGET_MEM_MB = 0.95, 0.80, 0.03, 500.0

_MEM_CHILD = """
import os, sys, time, resource
for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ[v] = "1"
from choleor.audio.analysis import analyze_file
t = time.perf_counter(); a = analyze_file(sys.argv[1], max_seconds=700, max_bytes=2**31)
dt = time.perf_counter() - t
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over fork+exec, so it would report the
# (large) test runner that started us rather than this process.
hwm = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:"))
print(dt, a.duration, len(a.beats), hwm / 1024)
"""


def _f(ref, est):
    import mir_eval

    return mir_eval.beat.f_measure(mir_eval.beat.trim_beats(ref), mir_eval.beat.trim_beats(est))


def score_clip(clip: dict, analysis, librosa_beats) -> dict:
    import mir_eval
    import numpy as np

    gt = np.asarray(clip["beats"])
    est = np.asarray(analysis.beats)
    f_written = _f(gt, est)
    f = f_written
    if clip["bpm"] >= 150:
        f = max(f, _f(gt[0::2], est), _f(gt[1::2], est))
    _, cmlt, _, amlt = mir_eval.beat.continuity(mir_eval.beat.trim_beats(gt), mir_eval.beat.trim_beats(est))
    dbs = np.asarray(clip["downbeats"])
    starts = np.array([s.start for s in analysis.segments])
    share = float(np.mean(np.min(np.abs(starts[:, None] - dbs[None]), axis=1) < 0.07)) if len(starts) else 0.0
    return {
        "file": clip["file"],
        "F": f,
        "F_written": f_written,
        "F_librosa": _f(gt, librosa_beats),
        "CMLt": cmlt,
        "AMLt": amlt,
        "tempo": analysis.tempo,
        "gt_bpm": clip["bpm"],
        "downbeat_share": share,
        "n_segments": len(starts),
    }


def memory_10min(clip: Path) -> dict:
    """Tile `clip` to 10 minutes (mp3, like an upload) and analyse it in a fresh process."""
    with tempfile.TemporaryDirectory() as tmp:
        song = Path(tmp) / "ten_minutes.mp3"
        subprocess.run(
            [
                "ffmpeg",
                "-v",
                "error",
                "-y",
                "-stream_loop",
                "-1",
                "-i",
                str(clip),
                "-t",
                "600",
                "-ac",
                "2",
                "-ar",
                "44100",
                "-b:a",
                "192k",
                str(song),
            ],
            check=True,
        )
        # A first process fills numba's on-disk cache (as any earlier analysis on the machine
        # would); the measured process then loads the compiled code instead of compiling it.
        subprocess.run([sys.executable, "-c", _MEM_CHILD, str(song)], check=True, capture_output=True)
        out = subprocess.run(
            [sys.executable, "-c", _MEM_CHILD, str(song)], check=True, capture_output=True, text=True
        ).stdout.split()
    secs, dur, n_beats, rss = map(float, out[-4:])
    return {
        "seconds": secs,
        "duration": dur,
        "speed_ratio": secs / dur,
        "beats": int(n_beats),
        "peak_rss_mb": rss,
    }


def cpu_seconds() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def run() -> dict:
    import librosa
    import numpy as np

    from choleor.audio.analysis import analyze_file
    from choleor.audio.decode import load_mono

    clips = json.loads((DATA / "annotations.json").read_text())["clips"]
    t = time.perf_counter()
    analyze_file(DATA / clips[0]["file"])
    warmup = time.perf_counter() - t
    rows = []
    for clip in clips:
        path = DATA / clip["file"]
        times, a = [], None
        for _ in range(3):
            # CPU seconds (ours + the ffmpeg decoder's) = time on one core, whatever else runs.
            t = cpu_seconds()
            a = analyze_file(path)
            times.append(cpu_seconds() - t)
        y = load_mono(path)
        _, lb = librosa.beat.beat_track(y=y, sr=22050, units="time")
        row = score_clip(clip, a, lb)
        row["seconds"] = float(np.median(times))
        row["speed_ratio"] = row["seconds"] / a.duration
        rows.append(row)
    mem = memory_10min(DATA / "omsx_keep_on_rolling.flac")
    fs = [r["F"] for r in rows]
    return {
        "clips": rows,
        "mean_F": float(np.mean(fs)),
        "min_F": float(np.min(fs)),
        "mean_F_librosa": float(np.mean([r["F_librosa"] for r in rows])),
        "mean_downbeat_share": float(np.mean([r["downbeat_share"] for r in rows])),
        "max_speed_ratio": float(max(r["speed_ratio"] for r in rows)),
        "warmup_seconds": warmup,
        "ten_minutes": mem,
    }


def print_table(res: dict) -> None:
    print(
        f"{'clip':32s} {'F ours':>7s} {'F lib':>6s} {'CMLt':>5s} {'AMLt':>5s} {'bpm ours/gt':>12s} "
        f"{'downb':>6s} {'speed':>7s}"
    )
    for r in res["clips"]:
        print(
            f"{r['file']:32s} {r['F']:7.3f} {r['F_librosa']:6.3f} {r['CMLt']:5.2f} {r['AMLt']:5.2f} "
            f"{r['tempo']:6.1f}/{r['gt_bpm']:<5.0f} {r['downbeat_share']:6.2f} {r['speed_ratio']:7.4f}"
        )
    m = res["ten_minutes"]
    print(
        f"{'mean':32s} {res['mean_F']:7.3f} {res['mean_F_librosa']:6.3f}{'':26s}"
        f"{res['mean_downbeat_share']:6.2f} {res['max_speed_ratio']:7.4f} (max)"
    )
    print(f"min F {res['min_F']:.3f}; warm-up (numba JIT) first call {res['warmup_seconds']:.1f} s")
    print(
        f"10-minute mp3: {m['seconds']:.1f} s ({m['speed_ratio']:.4f}x, fresh process, numba cache warm), "
        f"{m['beats']} beats, peak RSS {m['peak_rss_mb']:.0f} MB"
    )


@pytest.mark.slow
def test_bench_beats():
    env = {**os.environ, "OMP_NUM_THREADS": "1", "NUMBA_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    out = subprocess.run(
        [sys.executable, __file__, "--json"], check=True, capture_output=True, text=True, env=env, timeout=900
    ).stdout
    res = json.loads(out)
    assert res["mean_F"] >= TARGET_MEAN, res
    assert res["min_F"] >= TARGET_MIN, res
    assert res["max_speed_ratio"] <= TARGET_SPEED, res
    assert res["ten_minutes"]["peak_rss_mb"] <= TARGET_MEM_MB, res["ten_minutes"]


if __name__ == "__main__":
    result = run()
    if "--json" in sys.argv:
        print(json.dumps(result, indent=1))
    else:
        print_table(result)

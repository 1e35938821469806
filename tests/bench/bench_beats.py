"""Beat-tracking benchmark on every annotated clip of data/beats (batch 1) and data/beats/batch2
(batch 2): ours against librosa's default and BeatNet's learned activation, side by side in
one run; leave-one-out for what we fitted; speed and memory.

    python tests/bench/bench_beats.py [--json]

Scores (mir_eval, 70 ms window, the first 5 s ignored):
- F: beat F-measure. For songs at 150 BPM or more, counting at half tempo is right too, but
  only on the beats that fall on the downbeats (beats 1 and 3): the best of the written
  grid and that half grid.
- DF: downbeat F-measure of each tracker's downbeats; for songs at 150 BPM or more, every
  other annotated downbeat (either half) also counts, since a half-tempo count has a "1"
  every two written bars.
- seg: share of our 8-beat segment starts that fall on an annotated downbeat (70 ms).
- cpu: CPU seconds of the whole `analyze_file` (ffmpeg decode included), median of 3.

Anchors: `librosa.beat.beat_track` with default settings (no downbeats); BeatNet: the same
model-2 activation ours uses, decoded by librosa's DP at the tempo librosa estimates from
it, downbeats at the bar phase with the most downbeat activation (BeatNet's own decoders
need madmom, whose licence rules it out here).

Synthetic genres (tests/genre_signals.py, rendered in the run, never tuned on): six grooves
(house, drum and bass, rock, fast rock, syncopated kick, half-time metal), each starting on
beat 2, 3 and 4 of its bar, with bass and chords changing on the 1 and as drums alone. Per
song: F and seg as above. Drums alone, a house or rock loop's 1 and 3 sound the same, so
"seg 1|3" also accepts segments that start on beat 3.

Leave-one-out: ours has one fitted number, the share of the learned activation in the beat
envelope (`beats.ACT_WEIGHT`), chosen from {0, 0.25, 0.5, 0.75, 1} for the best mean F on
the clips. For each clip, the weight is chosen on the other 19 and the clip is scored with it.
The downbeat cues are added with equal weights (nothing fitted).

Speed: `choleor analyze` on a 3-minute mp3 (a clip tiled with ffmpeg) in a fresh process,
start-up included: wall seconds (best and median of 5) and CPU seconds. Memory: peak RSS
(VmHWM) of a fresh process analysing a 10-minute mp3.

`make bench` runs this file in a subprocess, prints its table and asserts the targets.
"""

from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data" / "beats"
BATCHES = {"batch1": DATA, "batch2": DATA / "batch2"}
WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0)
TARGET_MEAN, TARGET_MIN, TARGET_DOWNBEAT_SHARE = 0.95, 0.85, 0.90
TARGET_WALL_3MIN, TARGET_CPU_RATIO, TARGET_MEM_MB = 2.0, 0.03, 500.0

_MEM_CHILD = """
import sys, time
from choleor.audio.analysis import analyze_file
t = time.perf_counter(); a = analyze_file(sys.argv[1], max_seconds=700, max_bytes=2**31)
dt = time.perf_counter() - t
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over fork+exec.
hwm = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:"))
print(dt, a.duration, len(a.beats), hwm / 1024)
"""


def load_clips() -> list[dict]:
    clips = []
    for batch, folder in BATCHES.items():
        for c in json.loads((folder / "annotations.json").read_text())["clips"]:
            clips.append({**c, "batch": batch, "path": folder / c["file"]})
    return clips


def _f(ref, est) -> float:
    import mir_eval

    return float(mir_eval.beat.f_measure(mir_eval.beat.trim_beats(ref), mir_eval.beat.trim_beats(est)))


def downbeat_half(clip: dict):
    """The annotated beats that fall on beats 1 and 3 of the bars."""
    import numpy as np

    gt, db = np.asarray(clip["beats"]), np.asarray(clip["downbeats"])
    first = int(np.argmin(np.abs(gt - db[0])))
    return gt[first % 2 :: 2]


def beat_f(clip: dict, est) -> float:
    import numpy as np

    f = _f(np.asarray(clip["beats"]), np.asarray(est))
    return max(f, _f(downbeat_half(clip), est)) if clip["bpm"] >= 150 else f


def downbeat_f(clip: dict, est) -> float:
    import numpy as np

    db, est = np.asarray(clip["downbeats"]), np.asarray(est)
    f = _f(db, est)
    return max(f, _f(db[0::2], est), _f(db[1::2], est)) if clip["bpm"] >= 150 else f


def segment_share(clip: dict, starts) -> float:
    import numpy as np

    db, starts = np.asarray(clip["downbeats"]), np.asarray(starts)
    return float(np.mean(np.min(np.abs(starts[:, None] - db[None]), axis=1) < 0.07)) if len(starts) else 0.0


def beatnet_anchor(act):
    """BeatNet's activation decoded by librosa's DP; downbeats at the bar phase with the most
    downbeat activation. Returns (beats, downbeats) in seconds."""
    import librosa
    import numpy as np

    from choleor.audio.activation import ACTIVATION_LAG, HOP, SR

    _, frames = librosa.beat.beat_track(onset_envelope=act.beat, sr=SR, hop_length=HOP)
    beats = frames / act.fps - ACTIVATION_LAG
    if len(frames) < 8:
        return beats, beats[:0]
    down = act.downbeat[np.clip(frames, 0, len(act.downbeat) - 1)]
    phase = int(np.argmax([down[p::4].mean() for p in range(4)]))
    return beats, beats[phase::4]


def ours(feats, act, weight: float):
    from choleor.audio import beats as B
    from choleor.audio.segments import segments_for

    old, B.ACT_WEIGHT = B.ACT_WEIGHT, weight
    try:
        grid = B.track_beats(feats=feats, act=act)
    finally:
        B.ACT_WEIGHT = old
    return grid, [s.start for s in segments_for(grid)]


def cpu_seconds() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def quality() -> dict:
    import librosa
    import numpy as np

    from choleor.audio import beats as B
    from choleor.audio.activation import beat_activation
    from choleor.audio.analysis import analyze_file
    from choleor.audio.decode import load_mono

    clips = load_clips()
    t = time.perf_counter()
    analyze_file(clips[0]["path"])
    warmup = time.perf_counter() - t
    rows, per_weight = [], []
    for clip in clips:
        times = []
        for _ in range(3):
            t = cpu_seconds()
            analyze_file(clip["path"])
            times.append(cpu_seconds() - t)
        y = load_mono(clip["path"])
        feats, act = B.compute_features(y, 22050), beat_activation(y)
        per_weight.append([beat_f(clip, ours(feats, act, w)[0].beats) for w in WEIGHTS])
        grid, starts = ours(feats, act, B.ACT_WEIGHT)
        t = time.process_time()
        _, lb = librosa.beat.beat_track(y=y, sr=22050, units="time")
        cpu_librosa = time.process_time() - t
        t = time.process_time()
        bn_beats, bn_down = beatnet_anchor(beat_activation(y))
        cpu_beatnet = time.process_time() - t
        rows.append(
            {
                "batch": clip["batch"],
                "file": clip["file"],
                "gt_bpm": clip["bpm"],
                "tempo": grid.tempo,
                "confidence": grid.confidence,
                "F": beat_f(clip, grid.beats),
                "DF": downbeat_f(clip, grid.downbeats),
                "seg": segment_share(clip, starts),
                "cpu": float(np.median(times)),
                "duration": len(y) / 22050,
                "F_librosa": beat_f(clip, lb),
                "cpu_librosa": cpu_librosa,
                "F_beatnet": beat_f(clip, bn_beats),
                "DF_beatnet": downbeat_f(clip, bn_down),
                "cpu_beatnet": cpu_beatnet,
            }
        )
    # Leave one out: the weight is chosen on the other clips (ties: nearest 0.5).
    scores = np.asarray(per_weight)
    for i, row in enumerate(rows):
        rest = np.delete(scores, i, axis=0).mean(axis=0)
        best = max(range(len(WEIGHTS)), key=lambda k: (round(rest[k], 9), -abs(WEIGHTS[k] - 0.5)))
        row["F_loo"], row["weight_loo"] = float(scores[i, best]), WEIGHTS[best]
    return {
        "clips": rows,
        "weights": list(WEIGHTS),
        "mean_F_by_weight": scores.mean(axis=0).tolist(),
        "weight": B.ACT_WEIGHT,
        "warmup_seconds": warmup,
    }


def synthetic() -> list[dict]:
    """Our beats and segment starts on the synthetic genre songs."""
    import numpy as np

    from choleor.audio.beats import track_beats
    from choleor.audio.segments import segments_for

    sys.path.insert(0, str(ROOT))
    from tests.genre_signals import SR, STYLES, render

    rows = []
    for name, style in STYLES.items():
        for harmony, starts in ((True, ((1, 0), (2, 1), (3, 2))), (False, ((1, 3), (2, 4), (3, 5)))):
            for first_beat, seed in starts:
                song = render(style, dur=30.0, first_beat=first_beat, seed=seed, harmony=harmony)
                grid = track_beats(song.y, SR)
                clip = {"beats": song.beats, "downbeats": song.downbeats, "bpm": song.bpm}
                units = segments_for(grid)
                # The grid moved to beat 3 of the bar: two counted beats, or one for a fast
                # song counted at half tempo.
                k = 1 if song.bpm >= 150 else 2
                shifted = grid.beats[grid.first_downbeat + k :: 8]
                rows.append(
                    {
                        "song": f"{name}{'' if harmony else ' drums'} from beat {first_beat + 1}",
                        "harmony": harmony,
                        "F": beat_f(clip, grid.beats),
                        "seg": segment_share(clip, [u.start for u in units]),
                        "seg_1or3": max(
                            segment_share(clip, [u.start for u in units]),
                            segment_share(clip, np.asarray(shifted)),
                        ),
                    }
                )
    return rows


def summary(rows: list[dict]) -> dict:
    import numpy as np

    out = {}
    for key in ("F", "F_loo", "DF", "seg", "F_librosa", "F_beatnet", "DF_beatnet"):
        vals = [r[key] for r in rows]
        out[key] = {"mean": float(np.mean(vals)), "min": float(np.min(vals))}
    out["cpu_ratio_max"] = float(max(r["cpu"] / r["duration"] for r in rows))
    return out


def _ffmpeg_tile(clip: Path, seconds: float, out: Path) -> None:
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-stream_loop", "-1", "-i", str(clip), "-t", str(seconds)]
        + ["-ac", "2", "-ar", "44100", "-b:a", "192k", str(out)],
        check=True,
    )


def speed_and_memory(clip: Path) -> dict:
    """`choleor analyze` on a 3-minute mp3 (fresh process, start-up included), and peak RSS
    of a fresh process analysing a 10-minute mp3."""
    import numpy as np

    cli = Path(sys.executable).with_name("choleor")
    with tempfile.TemporaryDirectory() as tmp:
        three, ten = Path(tmp) / "three_minutes.mp3", Path(tmp) / "ten_minutes.mp3"
        _ffmpeg_tile(clip, 180, three)
        _ffmpeg_tile(clip, 600, ten)
        walls, cpus = [], []
        for _ in range(5):
            t, c = time.perf_counter(), cpu_seconds()
            subprocess.run([str(cli), "analyze", str(three)], check=True, capture_output=True)
            walls.append(time.perf_counter() - t)
            cpus.append(cpu_seconds() - c)
        out = subprocess.run(
            [sys.executable, "-c", _MEM_CHILD, str(ten)], check=True, capture_output=True, text=True
        ).stdout.split()
    secs, dur, n_beats, rss = map(float, out[-4:])
    return {
        "cli_3min_wall_best": float(min(walls)),
        "cli_3min_wall_median": float(np.median(walls)),
        "cli_3min_cpu_median": float(np.median(cpus)),
        "load_average": os.getloadavg()[0],
        "ten_minutes_seconds": secs,
        "ten_minutes_beats": int(n_beats),
        "ten_minutes_peak_rss_mb": rss,
    }


def run() -> dict:
    q = quality()
    rows = q["clips"]
    q["batches"] = {b: summary([r for r in rows if r["batch"] == b]) for b in BATCHES}
    q["all"] = summary(rows)
    q["synthetic"] = synthetic()
    q["speed"] = speed_and_memory(DATA / "omsx_keep_on_rolling.flac")
    return q


def print_table(res: dict) -> None:
    import numpy as np

    head = (
        f"{'batch':6s} {'clip':30s} {'bpm gt/ours':>11s} {'conf':>5s} {'F':>6s} {'F loo':>6s} {'DF':>5s} "
        f"{'seg':>5s} {'cpu s':>6s} | {'F lib':>6s} {'cpu':>5s} | {'F BN':>6s} {'DF BN':>6s} {'cpu':>5s}"
    )
    print(head)
    for r in res["clips"]:
        print(
            f"{r['batch']:6s} {r['file'][:30]:30s} {r['gt_bpm']:5.0f}/{r['tempo']:5.1f} {r['confidence']:5.2f} "
            f"{r['F']:6.3f} {r['F_loo']:6.3f} {r['DF']:5.2f} {r['seg']:5.2f} {r['cpu']:6.2f} | "
            f"{r['F_librosa']:6.3f} {r['cpu_librosa']:5.2f} | {r['F_beatnet']:6.3f} {r['DF_beatnet']:6.2f} "
            f"{r['cpu_beatnet']:5.2f}"
        )
    for name, s in [*res["batches"].items(), ("all", res["all"])]:
        print(
            f"{name:6s} mean (min): F {s['F']['mean']:.3f} ({s['F']['min']:.3f}), leave-one-out "
            f"{s['F_loo']['mean']:.3f} ({s['F_loo']['min']:.3f}), DF {s['DF']['mean']:.2f}, segment starts "
            f"on downbeats {s['seg']['mean']:.2f}; librosa {s['F_librosa']['mean']:.3f} "
            f"({s['F_librosa']['min']:.3f}); BeatNet {s['F_beatnet']['mean']:.3f} ({s['F_beatnet']['min']:.3f}), "
            f"DF {s['DF_beatnet']['mean']:.2f}"
        )
    share = res["all"]["seg"]["mean"]
    verdict = "met" if share >= TARGET_DOWNBEAT_SHARE else "NOT met"
    print(
        f"segment starts on downbeats, all clips: {share:.2f} (target {TARGET_DOWNBEAT_SHARE:.2f}: {verdict})"
    )
    print(f"synthetic genres: {'song':30s} {'F':>6s} {'seg':>5s} {'seg 1|3':>7s}")
    for r in res["synthetic"]:
        print(f"                  {r['song']:30s} {r['F']:6.3f} {r['seg']:5.2f} {r['seg_1or3']:7.2f}")
    for harmony in (True, False):
        rs = [r for r in res["synthetic"] if r["harmony"] == harmony]
        print(
            f"synthetic {'with bass and chords' if harmony else 'drums alone':20s}: F mean {np.mean([r['F'] for r in rs]):.3f} "
            f"(min {min(r['F'] for r in rs):.3f}), segment starts on downbeats {np.mean([r['seg'] for r in rs]):.2f} "
            f"(on 1 or 3: {np.mean([r['seg_1or3'] for r in rs]):.2f})"
        )
    w = ", ".join(f"{a}: {b:.3f}" for a, b in zip(res["weights"], res["mean_F_by_weight"]))
    print(f"mean F by activation weight (all clips): {w}; shipped weight {res['weight']}")
    print(f"max CPU / duration {res['all']['cpu_ratio_max']:.4f}; first call {res['warmup_seconds']:.2f} s")
    s = res["speed"]
    print(
        f"choleor analyze, 3-minute mp3, fresh process: wall best {s['cli_3min_wall_best']:.2f} s, median "
        f"{s['cli_3min_wall_median']:.2f} s, CPU {s['cli_3min_cpu_median']:.2f} s (load average "
        f"{s['load_average']:.1f}); 10-minute mp3: {s['ten_minutes_seconds']:.1f} s, peak RSS "
        f"{s['ten_minutes_peak_rss_mb']:.0f} MB"
    )


def test_bench_beats():
    out = subprocess.run(
        [sys.executable, __file__, "--json"], check=True, capture_output=True, text=True, timeout=1200
    ).stdout
    res = json.loads(out)
    print()
    print_table(res)
    for name, s in res["batches"].items():
        assert s["F_loo"]["mean"] >= TARGET_MEAN, (name, s)
        assert s["F_loo"]["min"] >= TARGET_MIN, (name, s)
    assert res["all"]["cpu_ratio_max"] <= TARGET_CPU_RATIO, res["all"]
    assert res["speed"]["ten_minutes_peak_rss_mb"] <= TARGET_MEM_MB, res["speed"]
    # Wall time depends on what else runs: the best of 5 fresh runs is the figure on a free
    # machine; on a busy one (load above the core count) the CPU seconds stand in for it.
    speed = res["speed"]
    busy = speed["load_average"] > (os.cpu_count() or 1)
    assert speed["cli_3min_cpu_median" if busy else "cli_3min_wall_best"] <= TARGET_WALL_3MIN, speed


if __name__ == "__main__":
    result = run()
    if "--json" in sys.argv:
        print(json.dumps(result, indent=1))
    else:
        print_table(result)

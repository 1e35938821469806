"""Pose speed on one core: end to end vs the landmark model alone.

End to end on tracked frames = decode (PyAV, in-process) + crop + landmark
model + decoding + tracking + smoothing, through estimate_video on a synthetic
1280x720 dancer video: the whole video's time less that of its first 10
frames (opening the file, the detector's first run). Model alone = the same
landmark model on the same tracked frames' crops, prepared beforehand. The two
alternate over 7 rounds; the figures are medians. Both run pinned to one CPU.

    python -m tests.bench.bench_pose [--seconds 8] [--json]

Guard: end to end / model alone <= 1.5 for the full model (goal 1.25). The goal of 40 frames/s
end to end is printed, not guarded: it is a time.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from tests.bench.ratios import Row, failed, table
from tests.paths import ROOT

TARGET_FPS_FULL = 40.0
OVERHEAD_GUARD = 1.5
TARGET_OVERHEAD = 1.25
ROUNDS = 7


def _pin_to_one_cpu() -> int:
    import cv2

    cpu = max(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    # OpenCV sized its thread pool when the video was drawn, before the pin;
    # a process started on one core has one thread.
    cv2.setNumThreads(1)
    return cpu


def _model_alone_ms(models, tensors) -> float:
    """Mean time of the landmark model per tracked frame, over the prepared crops."""
    start = time.perf_counter()
    for tensor in tensors:
        models.landmarks(tensor)
    return (time.perf_counter() - start) / len(tensors) * 1000


def _e2e_ms(video: Path, variant: str, head: int) -> tuple[float, int]:
    """(ms per tracked frame, frames): the whole video's time less that of its first `head`
    frames, so opening the file and the first frame's detector run are left out."""
    from choleor.pose import estimate_video

    start = time.perf_counter()
    track = estimate_video(video, variant=variant)
    whole = time.perf_counter() - start
    start = time.perf_counter()
    estimate_video(video, variant=variant, frame_range=(0, head))
    opening = time.perf_counter() - start
    return (whole - opening) / (len(track) - head) * 1000, len(track)


def bench_variant(video: Path, variant: str, rounds: int = ROUNDS, head: int = 10) -> dict:
    from choleor.pose import estimate_video
    from choleor.pose.model import load_models
    from choleor.pose.tracker import PoseTracker, landmark_tensor
    from choleor.pose.video import probe, read_video_frames

    track = estimate_video(video, variant=variant, frame_range=(0, head))  # load and warm up
    # The crops the tracker used on tracked frames, to time the model alone.
    models = load_models(variant)
    tracker = PoseTracker(models, probe(str(video)).fps)
    tensors, detector_runs = [], 0
    for frame in read_video_frames(str(video)):
        roi = tracker.roi
        pose = tracker.step(frame)
        detector_runs += pose.detected
        if roi is not None and not pose.detected:
            tensors.append(landmark_tensor(frame, roi)[0])
    # Rounds alternate the two timings, so a noisy spell on the machine hits both; the ratio
    # is the median of the rounds' ratios.
    e2e, model, ratios = [], [], []
    for _ in range(rounds):
        ms, frames = _e2e_ms(video, variant, head)
        alone = _model_alone_ms(models, tensors)
        e2e.append(ms)
        model.append(alone)
        ratios.append(ms / alone)
    track = estimate_video(video, variant=variant)
    return {
        "variant": variant,
        "frames": frames,
        "tracked": len(tensors),
        "detector_runs": detector_runs,
        "present": int(track.present.sum()),
        "e2e_ms": float(np.median(e2e)),
        "fps": 1000.0 / float(np.median(e2e)),
        "model_ms": float(np.median(model)),
        "overhead": float(np.median(ratios)),
        "overhead_rounds": [round(r, 3) for r in ratios],
    }


def run(seconds: float) -> list[dict]:
    from tests.integration import pose_mannequin

    with tempfile.TemporaryDirectory() as tmp:
        video = pose_mannequin.write_video(Path(tmp) / "dancer.mp4", seconds=seconds)
        _pin_to_one_cpu()  # after rendering: the measurement alone is pinned
        return [bench_variant(video, variant) for variant in ("full", "lite")]


def ratio_rows(rows: list[dict]) -> list[Row]:
    return [
        Row(
            f"{r['variant']}: a tracked frame end to end",
            r["e2e_ms"],
            r["model_ms"],
            "the landmark model alone on the same crops",
            guard=OVERHEAD_GUARD if r["variant"] == "full" else None,
            target=TARGET_OVERHEAD if r["variant"] == "full" else None,
            unit="ms",
        )
        for r in rows
    ]


def report(rows: list[dict]) -> str:
    notes = [
        f"{r['variant']}: {r['frames']} frames, {r['tracked']} tracked, detector run {r['detector_runs']} times, "
        f"{r['fps']:.1f} frames/s end to end"
        + (f" (goal {TARGET_FPS_FULL:.0f}; a time: not guarded)" if r["variant"] == "full" else "")
        + ", "
        f"rounds e2e/model {r['overhead_rounds']}"
        for r in rows
    ]
    return table(ratio_rows(rows), notes)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    args = parser.parse_args(argv)
    rows = run(args.seconds)
    print(json.dumps(rows) if args.json else report(rows))
    return 0


def test_pose_speed_on_one_core():
    # A child process, so pinning to one CPU does not leak into other tests.
    out = subprocess.run(
        [sys.executable, "-m", "tests.bench.bench_pose", "--json"],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
        cwd=ROOT,
    )
    rows = {r["variant"]: r for r in json.loads(out.stdout.strip().splitlines()[-1])}
    print("\n" + report(list(rows.values())))
    for r in rows.values():
        assert r["present"] == r["frames"] and r["detector_runs"] == 1
    # The goal of 1.25 is not reached reliably: the median of 7 alternating rounds measured
    # 1.24-1.33 over runs of identical code, single rounds 1.18-1.41 (e2e 11.8-12.8 ms per
    # tracked frame, model 9.4-9.8 ms). Per frame, on top of the model: PyAV decode ~1.25 ms
    # (0.9 back to back), I420 crop + tensor ~0.6 ms, landmark decoding and tracking ~0.35 ms;
    # most of the gap to back-to-back timings is the model's ~13 MB of weights evicting
    # everything else from the caches. The guard catches regressions.
    assert not failed(ratio_rows(list(rows.values())))


if __name__ == "__main__":
    sys.exit(main())

"""Ingest speed and memory: 60 s of 720p30 dance video, against the pose model run over the same video
in the same run; peak memory of a 5-minute 1080p ingest.

    python -m tests.bench.bench_ingest [--json]

Ingest = decode, pose in two frame ranges side by side, the video's own beats, moves and their
features. Reference: `estimate_video` alone over the same file (one range, one thread), the step
that dominates. Guard: ingest / pose alone <= 1.4 in CPU seconds (what the rest of the ingest
adds; wall time is printed). The goal, 60 s of 720p30 at >= 3x real time on 2 cores, is a time:
printed, not guarded. Memory: the 5-minute 1080p ingest within 1 GB. Test videos are a
mannequin dancing real mocap (the longest shipped take, looped), made in a temporary directory.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.bench.ratios import Row, failed, table
from tests.paths import ROOT

TAKE = ROOT / "data" / "mocap" / "cmu60_01_salsa_daz.bvh"  # 37 s of salsa
TARGET_SPEED = 3.0
TARGET_MEMORY_MB = 1024
CPU_GUARD = 1.4  # measured 1.10


def make_videos(tmp: Path) -> tuple[Path, Path]:
    from choleor.mocap.render_take import render_take

    base = tmp / "take.mp4"
    render_take(TAKE, base)
    one_minute = tmp / "60s-720p.mp4"
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-y",
            "-stream_loop",
            "1",
            "-i",
            str(base),
            "-t",
            "60",
            "-c",
            "copy",
            str(one_minute),
        ],
        check=True,
    )
    five_minutes = tmp / "300s-1080p.mp4"
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-y",
            "-stream_loop",
            "8",
            "-i",
            str(base),
            "-t",
            "300",
            "-vf",
            "scale=1920:1080",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            str(five_minutes),
        ],
        check=True,
    )
    return one_minute, five_minutes


def ingest_child(path: str) -> dict:
    """Run in a child process: ingest one file, report wall and CPU time and peak memory."""
    from choleor.library.ingest import ingest_file

    started, cpu = time.perf_counter(), cpu_seconds()
    result = ingest_file(path, source_id="bench")
    return {
        "seconds": time.perf_counter() - started,
        "cpu_s": cpu_seconds() - cpu,
        "duration": result.duration,
        "frames": result.frames,
        "moves": len(result.moves),
        "peak_mb": vm_hwm_mb(),
    }


def pose_child(path: str) -> dict:
    """Run in a child process: the pose model alone over the whole file."""
    from choleor.pose import estimate_video

    started, cpu = time.perf_counter(), cpu_seconds()
    track = estimate_video(path)
    return {"seconds": time.perf_counter() - started, "cpu_s": cpu_seconds() - cpu, "frames": len(track)}


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (ffmpeg)."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def vm_hwm_mb() -> float:
    """This process's peak RSS. Not ru_maxrss: Linux carries that over fork+exec, so a child of
    a large test runner would report the runner's size."""
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:")) / 1024


def measure(path: Path, what: str = "ingest") -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "tests.bench.bench_ingest", f"--{what}", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=1800,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def run() -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        one, five = make_videos(Path(tmp))
        pose = measure(one, "pose")  # reference and measure back to back, on the same file
        speed = measure(one)
        memory = measure(five)
    speed["realtime_x"] = speed["duration"] / speed["seconds"]
    return {"speed_720p_60s": speed, "pose_720p_60s": pose, "memory_1080p_300s": memory}


def ratio_rows(r: dict) -> list[Row]:
    s, p, m = r["speed_720p_60s"], r["pose_720p_60s"], r["memory_1080p_300s"]
    alone = "the pose model alone over the same video (one thread)"
    return [
        Row("ingest 60 s of 720p30, CPU", s["cpu_s"], p["cpu_s"], alone, CPU_GUARD),
        Row("ingest 60 s of 720p30, wall", s["seconds"], p["seconds"], alone),
        Row(
            "ingest 300 s of 1080p30, peak memory",
            m["peak_mb"],
            TARGET_MEMORY_MB,
            "the budget",
            1.0,
            unit="MB",
        ),
    ]


def report(r: dict) -> str:
    s, m = r["speed_720p_60s"], r["memory_1080p_300s"]
    return table(
        ratio_rows(r),
        [
            f"60 s 720p30: {s['realtime_x']:.2f}x real time (goal >= {TARGET_SPEED}x, a time: not guarded), "
            f"{s['frames']} frames, {s['moves']} moves; 300 s 1080p30: {m['frames']} frames, {m['moves']} moves"
        ],
    )


def test_ingest_speed_and_memory():
    r = run()
    print("\n" + report(r))
    assert r["speed_720p_60s"]["moves"] > 0 and r["memory_1080p_300s"]["moves"] > 0
    assert not failed(ratio_rows(r))


def main(argv=None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--json", action="store_true")
    p.add_argument("--ingest", help=argparse.SUPPRESS)
    p.add_argument("--pose", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.ingest or args.pose:
        print(json.dumps(ingest_child(args.ingest) if args.ingest else pose_child(args.pose)))
        return 0
    r = run()
    print(json.dumps(r) if args.json else report(r))
    return 0


if __name__ == "__main__":
    sys.exit(main())

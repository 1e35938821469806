"""The edge device's ingest in the arm64 Lambda image, emulated by qemu: the aarch64 wheels run.

The image is the heavy base image built for arm64 (`make sam-images ARCH=arm64`: the Graviton
target, and the Raspberry Pi's architecture). The device process ingests a short clip with the
lite pose model against DynamoDB Local and s3rver on this machine (the container shares its
network); the same job runs natively here too. Both must find the same moves, and poses as
close to the truth the mannequin was drawn from.
Without the image (or qemu) the test skips, saying what to run: `make test` never builds it,
`make test-arm64` does and runs this. The time it reports is emulated: a correctness check.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from choleor.mocap.render_take import truth_path_for
from tests.media import dance_video
from tests.paths import ROOT

IMAGE = "localhost/choleor-heavy:arm64"
JOB = ROOT / "tests" / "integration" / "edge_ingest_job.py"
SECONDS = 4.0  # of dance: a few bars, enough for moves; emulation makes every second costly
# x86_64 and aarch64 builds of onnxruntime round differently, and tracking carries each frame's
# landmarks into the next frame's crop, so the runs drift apart a little (a 4 s salsa clip: median
# 0.5 px, worst 11 px, at a wrist); their error against the truth stays the same (0.021 body heights).
SAME_ERROR = 0.005  # body heights between the two runs' mean error against the truth
MEDIAN_DIFF_PX = 1.0
BODY = [5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]  # COCO-17 shoulders to ankles (the face is drawn roughly)

pytestmark = pytest.mark.arm64


def missing() -> str | None:
    """Why the arm64 image cannot run here (None when it can)."""
    if not shutil.which("podman"):
        return "podman is not installed"
    if not Path("/proc/sys/fs/binfmt_misc/qemu-aarch64").exists():
        return "qemu-aarch64 is not registered with binfmt_misc"
    if subprocess.run(["podman", "image", "exists", IMAGE], capture_output=True).returncode != 0:
        return f"{IMAGE} is not built"
    return None


def job_env() -> dict[str, str]:
    """The local stack's endpoints and names (set by the local_stack fixture), and the lite model."""
    from choleor.config import TABLES

    names = {var for var, _ in TABLES.values()} | {"CHOLEOR_BUCKET"}
    env = {k: v for k, v in os.environ.items() if k.startswith("AWS_") or k in names}
    return env | {"CHOLEOR_POSE_VARIANT": "lite"}


def last_json(proc: subprocess.CompletedProcess) -> dict:
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return json.loads(proc.stdout.strip().splitlines()[-1])


def emulated_sys(tmp: Path) -> list[str]:
    """podman options that give the emulated process a /sys/devices an aarch64 kernel could show.

    qemu-user runs the aarch64 process on this x86_64 kernel, whose /sys/devices it sees as is;
    onnxruntime's import (its cpuinfo and device discovery read /sys/devices) segfaults on them.
    An empty /sys/devices with only the CPU lists (cpu/possible, cpu/present) imports cleanly,
    as on a real aarch64 machine."""
    cpu = tmp / "sys-cpu"
    cpu.mkdir(exist_ok=True)
    for name in ("possible", "present"):
        (cpu / name).write_text(f"0-{(os.cpu_count() or 1) - 1}\n")
    return [
        "--mount",
        "type=tmpfs,destination=/sys/devices,notmpcopyup",
        "-v",
        f"{cpu}:/sys/devices/system/cpu:ro",
    ]


def run_arm64(clip: Path, job_id: str) -> dict:
    cmd = ["podman", "run", "--rm", "--platform", "linux/arm64", "--network", "host"]
    cmd += emulated_sys(clip.parent)
    cmd += ["-v", f"{ROOT / 'layers' / 'core' / 'choleor'}:/var/task/choleor:ro"]
    cmd += ["-v", f"{JOB}:/var/task/edge_ingest_job.py:ro", "-v", f"{clip.parent}:/clips:ro"]
    for k, v in job_env().items():
        cmd += ["-e", f"{k}={v}"]
    cmd += ["-e", "PYTHONPATH=/var/task", "--entrypoint", "/usr/bin/python3", IMAGE]
    cmd += ["/var/task/edge_ingest_job.py", f"/clips/{clip.name}", job_id]
    return last_json(subprocess.run(cmd, capture_output=True, text=True, timeout=2700))


def run_native(clip: Path, job_id: str) -> dict:
    env = os.environ | job_env()
    cmd = [sys.executable, str(JOB), str(clip), job_id]
    return last_json(subprocess.run(cmd, capture_output=True, text=True, timeout=900, env=env, cwd=ROOT))


def poses(source_id: str, tmp: Path):
    from choleor.pose.estimate import load_npz
    from choleor.storage import objects

    return load_npz(objects.download(f"sources/{source_id}/poses.npz", tmp / f"{source_id}.npz"))


def test_the_edge_ingest_runs_in_the_arm64_image_as_it_does_here(local_stack, tmp_path, artifacts):
    why = missing()
    if why:
        pytest.skip(f"{why}: `make test-arm64` builds the arm64 image and runs this test")
    clip = dance_video(tmp_path, "salsa", seconds=SECONDS)

    arm = run_arm64(clip, "edge-arm64")
    native = run_native(clip, "edge-native")

    assert arm["machine"] == "aarch64" and native["machine"] == "x86_64"
    a, n = arm["event"]["result"], native["event"]["result"]
    assert a["frames"] == n["frames"] and a["frames"] >= SECONDS * a["fps"] - 1
    assert len(a["moves"]) > 0
    assert [m["mirrored"] for m in a["moves"]] == [m["mirrored"] for m in n["moves"]]
    times = lambda moves: [t for m in moves for t in (m["start"], m["end"])]  # noqa: E731
    assert times(a["moves"]) == pytest.approx(times(n["moves"]), abs=0.05)

    pa, pn = poses(a["source_id"], tmp_path), poses(n["source_id"], tmp_path)
    assert pa.keypoints.shape == pn.keypoints.shape == (a["frames"], 17, 2)
    assert pa.scores.shape == (a["frames"], 17) and pa.present.mean() > 0.9
    assert (pa.present == pn.present).all()
    truth = np.load(truth_path_for(clip))
    error = {
        name: float(
            np.mean(
                np.linalg.norm(p.keypoints[:, BODY] - truth["keypoints"][:, BODY], axis=-1)
                / truth["body_height_px"][:, None]
            )
        )
        for name, p in (("arm64", pa), ("x86_64", pn))
    }
    assert abs(error["arm64"] - error["x86_64"]) <= SAME_ERROR, error
    diff = np.linalg.norm(pa.keypoints - pn.keypoints, axis=-1)[pa.present]
    assert float(np.median(diff)) <= MEDIAN_DIFF_PX, f"median {np.median(diff):.2f} px apart"

    figure = {
        "clip": f"{SECONDS:g} s {pa.width}x{pa.height} {a['fps']:g} fps, lite pose model",
        "frames": a["frames"],
        "moves": len(a["moves"]),
        "emulated_arm64_seconds": arm["seconds"],
        "native_x86_64_seconds": native["seconds"],
        "pose_error_body_heights": {k: round(v, 4) for k, v in error.items()},
        "pose_diff_px": {
            q: round(float(np.percentile(diff, n)), 2) for q, n in (("median", 50), ("p95", 95), ("max", 100))
        },
    }
    (artifacts / "edge_arm64.json").write_text(json.dumps(figure, indent=1))
    print(figure)

"""The built pose model: parity with the reference TFLite runtime, and
estimate_video end to end on a rendered mannequin dancer."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import pose_mannequin

REPO = Path(__file__).resolve().parents[2]
BUILD = REPO / "layers" / "pose_model" / "build.sh"
ASSETS = REPO / "layers" / "pose_model" / "build" / "node_modules" / "@mediapipe" / "pose"
SOURCES = {
    "pose_detection": "pose_solution_packed_assets.data",
    "pose_landmark_full": "pose_landmark_full.tflite",
    "pose_landmark_lite": "pose_landmark_lite.tflite",
}


@pytest.fixture(scope="module")
def model_dir() -> Path:
    """Build the models (a no-op when cached); the TFLite inputs must be there too."""
    subprocess.run(["bash", str(BUILD)], check=True, env={**os.environ, "PYTHON": sys.executable})
    if not all((ASSETS / name).is_file() for name in SOURCES.values()):
        subprocess.run(
            [
                "npm",
                "install",
                "--prefix",
                str(BUILD.parent / "build"),
                "--no-audit",
                "--no-fund",
                "@mediapipe/pose@0.5.1675469404",
            ],
            check=True,
        )
    return Path(os.environ.get("CHOLEOR_POSE_MODEL_DIR") or BUILD.parent / "cache")


def _inputs(name: str) -> list[np.ndarray]:
    """A real crop of the mannequin and a random tensor, in the model's range."""
    import cv2

    from choleor.pose.roi import Roi, cut, letterbox_roi

    frame = pose_mannequin.render(0.4)
    rng = np.random.default_rng(0)
    if name == "pose_detection":
        crop, _ = cut(frame, letterbox_roi(1280, 720), 224, cv2.BORDER_CONSTANT)
        real = crop.astype(np.float32)[None] / 127.5 - 1
        noise = rng.uniform(-1, 1, (1, 224, 224, 3)).astype(np.float32)
    else:
        crop, _ = cut(frame, Roi(640, 380, 700, 0.1), 256, cv2.BORDER_REPLICATE)
        real = crop.astype(np.float32)[None] / 255
        noise = rng.uniform(0, 1, (1, 256, 256, 3)).astype(np.float32)
    return [real, noise]


@pytest.mark.parametrize("name", list(SOURCES))
def test_onnx_matches_tflite_reference(model_dir, name):
    import onnxruntime as ort
    from ai_edge_litert.interpreter import Interpreter

    session = ort.InferenceSession(str(model_dir / f"{name}.onnx"), providers=["CPUExecutionProvider"])
    reference = Interpreter(model_path=str(ASSETS / SOURCES[name]), num_threads=1)
    reference.allocate_tensors()
    ref_input = reference.get_input_details()[0]["index"]
    ref_outputs = {d["name"]: d["index"] for d in reference.get_output_details()}
    report = []
    for tensor in _inputs(name):
        reference.set_tensor(ref_input, tensor)
        reference.invoke()
        got = session.run(None, {"input_1": tensor})
        for out, value in zip(session.get_outputs(), got):
            expected = reference.get_tensor(ref_outputs[out.name])
            diff = float(np.abs(value - expected).max())
            scale = float(np.abs(expected).max())
            report.append(f"{name}:{out.name} max|diff| {diff:.2e} (max|ref| {scale:.3g})")
            # fp32 vs fp32 with a different summation order: relative error only.
            assert diff <= 1e-4 * max(scale, 1.0) + 1e-5, report[-1]
    print("\n" + "\n".join(report))


@pytest.fixture(scope="module")
def dancer_video(tmp_path_factory) -> Path:
    return pose_mannequin.write_video(tmp_path_factory.mktemp("pose") / "dancer.mp4", seconds=2.0)


@pytest.mark.parametrize("variant", ["full", "lite"])
def test_estimate_video_follows_the_dancer(model_dir, dancer_video, variant, tmp_path):
    from choleor.pose import estimate_video, load_npz, save_npz

    seen = []
    track = estimate_video(
        dancer_video, variant=variant, progress=lambda done, total: seen.append((done, total))
    )
    assert (track.fps, track.width, track.height, len(track)) == (30.0, 1280, 720, 60)
    assert seen[-1] == (60, 60)
    assert track.present.all()
    truth = np.array([pose_mannequin.coco17_truth(i / 30) for i in range(60)])
    error = np.linalg.norm(track.keypoints - truth, axis=2)  # (F, 17) pixels
    body = error[:, 5:]  # shoulders to ankles; the face points are drawn only roughly
    assert np.median(body) < 15 and body.max() < 60, np.median(body, axis=0)
    assert track.scores.min() > 0.5
    truth_boxes = np.concatenate([truth.min(axis=1), truth.max(axis=1)], axis=1)
    assert np.abs(track.boxes - truth_boxes).max() < 60  # landmarks box: a little wider (hands, feet)

    save_npz(track, tmp_path / "track.npz")
    with np.load(tmp_path / "track.npz") as saved:
        assert saved["keypoints"].shape == (60, 17, 2) and float(saved["fps"]) == 30.0
        assert saved["scores"].shape == (60, 17)
    again = load_npz(tmp_path / "track.npz")
    np.testing.assert_array_equal(again.keypoints, track.keypoints)


def test_frame_ranges_split_the_work(model_dir, dancer_video):
    from choleor.pose import estimate_video

    whole = estimate_video(dancer_video, variant="lite")
    parts = [estimate_video(dancer_video, variant="lite", frame_range=r) for r in ((0, 25), (25, None))]
    assert [len(p) for p in parts] == [25, 35] and parts[1].start_frame == 25
    joined = np.concatenate([p.keypoints for p in parts])
    # Each part restarts detection and smoothing, so allow a few pixels.
    assert np.median(np.linalg.norm(joined - whole.keypoints, axis=2)) < 4


def test_in_process_decoding_gives_the_pipes_poses(model_dir, dancer_video, monkeypatch):
    from choleor.pose import estimate_video, video

    in_process = estimate_video(dancer_video, variant="lite", frame_range=(10, 40))
    monkeypatch.setattr(video, "in_process", lambda info: False)  # force the ffmpeg pipe
    piped = estimate_video(dancer_video, variant="lite", frame_range=(10, 40))
    # The same pixels, so the very same poses.
    np.testing.assert_array_equal(in_process.keypoints, piped.keypoints)
    np.testing.assert_array_equal(in_process.scores, piped.scores)


def test_estimate_frames_on_arrays(model_dir):
    from choleor.pose import estimate_frames

    frames = [pose_mannequin.render(i / 30) for i in range(5)]
    track = estimate_frames(iter(frames), fps=30.0, variant="lite")
    assert track.present.all() and track.keypoints.shape == (5, 17, 2)
    assert (track.width, track.height) == (1280, 720)


def test_empty_room_is_no_person_found(model_dir, tmp_path):
    from choleor.errors import BadInput
    from choleor.pose import estimate_video

    empty = pose_mannequin.write_video(tmp_path / "empty.mp4", seconds=0.5, blank=True)
    with pytest.raises(BadInput, match="no person found"):
        estimate_video(empty)

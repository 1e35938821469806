"""Render a short clip end to end, and write one frame to /tmp to look at."""

import json
import subprocess
from pathlib import Path

import cv2
import numpy as np
import pytest

from choleor.mocap.camera import place_camera
from choleor.mocap.mannequin import draw_frame, prepare_figure, studio_background
from choleor.mocap.render_take import render_take
from choleor.mocap.skeleton import load_body_track, resample

MOCAP = Path(__file__).resolve().parents[2] / "data" / "mocap"
PREVIEW_PNG = Path("/tmp/choleor_mocap_frame.png")


def test_preview_frame_shows_a_figure(tmp_path):
    track = load_body_track(MOCAP / "cmu94_01_indian-dance_max.bvh")
    camera = place_camera(track)
    short = resample(track, 30, seconds=4)
    background = studio_background(camera)
    frame = draw_frame(background, prepare_figure(short, camera), 90)
    assert frame.shape == (720, 1280, 3) and frame.dtype == np.uint8
    cv2.imwrite(str(PREVIEW_PNG), frame)  # look at it
    changed = np.abs(frame.astype(int) - background).sum(-1) > 30
    assert 0.02 < changed.mean() < 0.3  # a figure, not an empty or a filled frame


def _probe(path: Path) -> dict:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-count_frames", "-show_streams", "-of", "json", str(path)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return {s["codec_type"]: s for s in json.loads(out.stdout)["streams"]}


@pytest.mark.slow
def test_render_two_seconds_has_video_audio_and_matching_truth(tmp_path):
    out = tmp_path / "take.mp4"
    take = render_take(MOCAP / "cmu60_10_salsa_daz.bvh", out, seconds=2)
    streams = _probe(out)
    video, audio = streams["video"], streams["audio"]
    assert video["codec_name"] == "h264" and video["pix_fmt"] == "yuv420p"
    assert (video["width"], video["height"]) == (1280, 720)
    assert audio["codec_name"] == "aac"
    assert int(video["nb_read_frames"]) == take.frame_count == 60
    truth = np.load(take.truth_path)
    assert truth["keypoints"].shape == (60, 17, 2)
    assert truth["body_height_px"].shape == (60,)
    assert float(truth["fps"]) == 30.0
    assert 80 <= float(truth["bpm"]) <= 180
    assert str(truth["music_file"]) == take.music_file

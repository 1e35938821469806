"""Common body points, units, resampling and the camera that keeps each take in frame."""

import json
from pathlib import Path

import numpy as np
import pytest

from choleor.mocap.camera import place_camera
from choleor.mocap.mannequin import prepare_figure
from choleor.mocap.skeleton import POINT, facing_directions, load_body_track, resample

MOCAP = Path(__file__).resolve().parents[2] / "data" / "mocap"
ENTRIES = json.loads((MOCAP / "manifest.json").read_text())


@pytest.fixture(scope="module", params=ENTRIES, ids=lambda e: e["cmu_id"])
def take(request):
    entry = request.param
    return entry, load_body_track(MOCAP / entry["file"])


def test_track_uses_recommended_fps_and_drops_added_tpose(take):
    entry, track = take
    assert track.fps == float(entry["capture_fps_recommended"])
    skipped = 1 if entry["first_frame_is_added_tpose"] == "True" else 0
    assert track.frame_count == int(entry["frames_header"]) - skipped
    assert track.duration_s == pytest.approx(float(entry["duration_s_at_recommended_fps"]), abs=0.02)


def test_body_is_about_one_unit_tall_standing_on_the_floor(take):
    _, track = take
    top = np.median(track.point("head_top")[:, 1])
    assert 0.85 < top < 1.1
    ankles = np.median(track.point("left_ankle")[:, 1])
    assert 0.0 < ankles < 0.2
    # eyes sit between nose and ears; the nose points where the body faces most of the time
    nose_ahead = ((track.point("nose") - track.point("head_center")) * facing_directions(track)).sum(-1)
    assert (nose_ahead > 0).mean() > 0.9


def test_camera_keeps_every_joint_and_the_whole_figure_in_frame(take):
    _, track = take
    camera = place_camera(track, 1280, 720)
    pixels, depth = camera.project(track.coco17())
    assert (depth > 1.0).all()
    assert (pixels[..., 0] >= 0).all() and (pixels[..., 0] < 1280).all()
    assert (pixels[..., 1] >= 0).all() and (pixels[..., 1] < 720).all()
    bounds = prepare_figure(resample(track, 30), camera).bounds
    assert (bounds[:, :2] >= -4).all() and (bounds[:, 2] <= 1284).all() and (bounds[:, 3] <= 724).all()
    # large enough for a pose model: the dancer is at least 250 px tall
    assert np.median(camera.pixels_per_unit(depth[:, POINT["left_hip"]])) > 250


def test_resample_keeps_time_not_frame_count():
    track = load_body_track(MOCAP / "cmu60_10_salsa_daz.bvh")  # 60 fps capture
    out = resample(track, 30, seconds=2.0)
    assert out.frame_count == 60
    np.testing.assert_allclose(out.points[10], track.points[20])  # 10/30 s = 20/60 s
    np.testing.assert_allclose(np.linalg.det(out.head_rotation), 1.0, atol=1e-9)

import math

import cv2
import numpy as np
import pytest

from choleor.pose.frames import I420Frame, RgbFrame
from choleor.pose.roi import (
    Roi,
    crop_to_image_matrix,
    cut,
    letterbox_roi,
    normalize_radians,
    roi_from_alignment_points,
    to_image,
)


def test_upright_body_gives_an_unrotated_roi():
    roi = roi_from_alignment_points(np.array([100.0, 300.0]), np.array([100.0, 200.0]))
    assert roi.angle == pytest.approx(0.0)
    assert (roi.cx, roi.cy) == (100.0, 300.0)
    assert roi.size == pytest.approx(2 * 100 * 1.25)


def test_body_lying_to_the_right_is_rotated_a_quarter_turn():
    # Head to the right of the hips: the crop turns so the body stands up in it.
    roi = roi_from_alignment_points(np.array([0.0, 0.0]), np.array([50.0, 0.0]))
    assert roi.angle == pytest.approx(math.pi / 2)


def test_normalize_radians():
    assert normalize_radians(3 * math.pi / 2) == pytest.approx(-math.pi / 2)
    assert normalize_radians(-math.pi) == pytest.approx(-math.pi)
    assert normalize_radians(0.5) == pytest.approx(0.5)


def test_crop_corners_land_on_the_roi_corners():
    roi = Roi(200.0, 100.0, 80.0, math.pi / 2)
    m = crop_to_image_matrix(roi, 256)
    centre = to_image(np.array([128.0, 128.0]), m)
    np.testing.assert_allclose(centre, [200, 100])
    # Crop's top-left corner: rotated 90 degrees clockwise, it sits top-right.
    np.testing.assert_allclose(to_image(np.array([0.0, 0.0]), m), [240, 60])
    np.testing.assert_allclose(to_image(np.array([256.0, 0.0]), m), [240, 140])


def test_cut_finds_a_marked_point_where_the_matrix_says():
    img = np.zeros((300, 400, 3), np.uint8)
    cv2.circle(img, (250, 120), 3, (255, 255, 255), -1)
    roi = Roi(220.0, 150.0, 128.0, 0.7)
    crop, m = cut(img, roi, 64, cv2.BORDER_REPLICATE)
    ys, xs = np.nonzero(crop[..., 0] > 128)
    found = to_image(np.array([xs.mean(), ys.mean()]), m)
    np.testing.assert_allclose(found, [250, 120], atol=2.5)


def test_replicated_borders_do_not_go_black():
    img = np.full((100, 100, 3), 200, np.uint8)
    crop, _ = cut(img, Roi(10.0, 10.0, 200.0, 0.3), 32, cv2.BORDER_REPLICATE)
    assert crop.min() == 200


def test_letterbox_roi_pads_to_a_square():
    roi = letterbox_roi(1280, 720)
    assert (roi.cx, roi.cy, roi.size, roi.angle) == (640, 360, 1280, 0)
    img = np.full((720, 1280, 3), 255, np.uint8)
    crop, _ = cut(img, roi, 224, cv2.BORDER_CONSTANT)
    assert crop[0, 112].max() == 0 and crop[112, 112].min() == 255  # black bars top and bottom
    assert crop[50:174, 112].min() == 255


def test_i420_crop_matches_rgb_crop():
    yy, xx = np.mgrid[0:240, 0:320]
    img = np.stack([xx * 0.7, yy, 128 + 60 * np.sin(xx / 20)], axis=-1).astype(np.uint8)
    i420 = I420Frame(cv2.cvtColor(img, cv2.COLOR_RGB2YUV_I420).reshape(-1), 320, 240)
    roi = Roi(150.0, 110.0, 180.0, 0.4)
    a, ma = i420.crop(roi, 64, cv2.BORDER_REPLICATE)
    b, mb = RgbFrame(img).crop(roi, 64, cv2.BORDER_REPLICATE)
    np.testing.assert_allclose(ma, mb)
    assert np.abs(a.astype(int) - b).mean() < 2.0
    assert i420.rgb().shape == (240, 320, 3)

import numpy as np

from choleor.keypoints import COCO17 as COCO17_NAMES
from choleor.keypoints import FLIP_ORDER
from choleor.pose import COCO17_FROM_BLAZEPOSE
from choleor.pose.landmarks import (
    Landmarks,
    decode_landmarks,
    refine_with_heatmap,
    to_coco17,
)
from choleor.pose.tracker import landmark_box


def test_coco_mapping():
    assert list(COCO17_FROM_BLAZEPOSE) == [0, 2, 5, 7, 8, 11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28]
    assert len(COCO17_NAMES) == 17 and COCO17_NAMES[0] == "nose" and COCO17_NAMES[-1] == "right_ankle"
    points = np.arange(39 * 2, dtype=float).reshape(39, 2)
    coco = to_coco17(points)
    np.testing.assert_array_equal(coco[5], points[11])  # left shoulder
    np.testing.assert_array_equal(coco[16], points[28])  # right ankle
    assert to_coco17(np.zeros((4, 33, 2))).shape == (4, 17, 2)


def test_a_mirror_swaps_each_left_keypoint_with_its_right_twin():
    assert FLIP_ORDER == (0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15)


def _raw(points_px: np.ndarray, vis_logit: float = 5.0) -> np.ndarray:
    raw = np.zeros((39, 5), np.float32)
    raw[:, :2] = points_px
    raw[:, 3] = vis_logit
    raw[:, 4] = vis_logit
    return raw.reshape(-1)


def test_decode_projects_crop_pixels_into_the_image():
    points = np.tile([[64.0, 192.0]], (39, 1))
    crop_to_image = np.array([[2.0, 0.0, 100.0], [0.0, 2.0, 50.0]])  # scale 2, shift
    lms = decode_landmarks(_raw(points), np.array([[0.9]]), None, crop_to_image)
    np.testing.assert_allclose(lms.points[0], [228, 434])
    np.testing.assert_allclose(lms.visibility, 1 / (1 + np.exp(-5.0)), rtol=1e-6)
    assert lms.found and lms.presence == np.float32(0.9)
    assert not Landmarks(lms.points, lms.visibility, 0.2).found


def test_next_roi_uses_the_auxiliary_points():
    points = np.zeros((39, 2))
    points[33] = [300, 400]
    points[34] = [300, 300]
    roi = Landmarks(points, np.ones(39), 1.0).next_roi()
    assert (roi.cx, roi.cy, roi.angle) == (300, 400, 0) and roi.size == 250


def test_heatmap_refinement_moves_to_a_confident_peak():
    heatmap = np.full((64, 64, 2), -10.0, np.float32)
    heatmap[20, 30, 0] = 10.0  # confident peak for point 0
    heatmap[40, 10, 1] = -1.0  # too weak for point 1
    points = np.array([[31.5 / 64, 21.2 / 64], [10.3 / 64, 40.2 / 64]])
    refined = refine_with_heatmap(points, heatmap)
    np.testing.assert_allclose(refined[0], [30 / 64, 20 / 64], atol=1e-4)
    np.testing.assert_array_equal(refined[1], points[1])


def test_heatmap_refinement_ignores_points_outside_and_clips_windows():
    heatmap = np.full((64, 64, 2), -10.0, np.float32)
    heatmap[0, 0, 0] = 10.0
    points = np.array([[1 / 64, 1 / 64], [1.2, 0.5]])
    refined = refine_with_heatmap(points, heatmap)
    np.testing.assert_allclose(refined[0], [0, 0], atol=1e-4)
    np.testing.assert_array_equal(refined[1], points[1])


def test_landmark_box_is_clipped_to_the_frame():
    points = np.array([[-10.0, 20.0], [50.0, 700.0]] + [[30.0, 40.0]] * 31)
    np.testing.assert_array_equal(landmark_box(points, 640, 480), [0, 20, 50, 480])

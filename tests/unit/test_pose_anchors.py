import numpy as np
import pytest

from choleor.pose.anchors import AnchorOptions, generate_anchors
from choleor.pose.detection import best_detection, decode_boxes, iou, scores_from_logits


def test_anchor_count_matches_the_detector_output():
    anchors = generate_anchors()
    assert anchors.shape == (2254, 2)  # 28*28*2 + 14*14*2 + 7*7*6


def test_anchor_layout():
    a = generate_anchors()
    np.testing.assert_allclose(a[0], [0.5 / 28, 0.5 / 28])
    np.testing.assert_allclose(a[1], a[0])  # two anchors per cell at stride 8
    np.testing.assert_allclose(a[2], [1.5 / 28, 0.5 / 28])  # then along x
    np.testing.assert_allclose(a[56], [0.5 / 28, 1.5 / 28])  # next row
    np.testing.assert_allclose(a[1568], [0.5 / 14, 0.5 / 14])  # stride 16 starts
    np.testing.assert_allclose(a[1960:1966], [[0.5 / 7, 0.5 / 7]] * 6)  # three stride-32 layers share cells
    np.testing.assert_allclose(a[-1], [6.5 / 7, 6.5 / 7])
    assert a.min() > 0 and a.max() < 1


def test_anchors_for_other_options():
    a = generate_anchors(AnchorOptions(input_size=128, num_layers=4, strides=(8, 16, 16, 16)))
    assert a.shape == (16 * 16 * 2 + 8 * 8 * 6, 2)


def test_zero_regression_decodes_to_the_anchor():
    anchors = generate_anchors()[:3]
    boxes, keypoints = decode_boxes(np.zeros((3, 12), np.float32), anchors)
    np.testing.assert_allclose(boxes[:, :2], anchors)
    np.testing.assert_allclose(keypoints, np.repeat(anchors[:, None], 4, axis=1))


def test_regression_is_in_input_pixels():
    anchors = np.array([[0.5, 0.5]], np.float32)
    raw = np.zeros((1, 12), np.float32)
    raw[0, :4] = [22.4, -22.4, 44.8, 22.4]
    raw[0, 4:6] = [0, -112]
    boxes, keypoints = decode_boxes(raw, anchors)
    np.testing.assert_allclose(boxes[0], [0.5, 0.35, 0.7, 0.45], atol=1e-6)
    np.testing.assert_allclose(keypoints[0, 0], [0.5, 0.0], atol=1e-6)


def test_scores_are_clipped_sigmoid():
    s = scores_from_logits(np.array([-1000.0, 0.0, 1000.0], np.float32))
    np.testing.assert_allclose(s, [0.0, 0.5, 1.0], atol=1e-30)


def test_iou():
    box = np.array([0, 0, 2, 2.0])
    np.testing.assert_allclose(
        iou(box, np.array([[0, 0, 2, 2.0], [1, 0, 3, 2], [5, 5, 6, 6]])), [1, 1 / 3, 0]
    )


def test_best_detection_blends_overlapping_candidates():
    anchors = generate_anchors()
    raw = np.zeros((2254, 12), np.float32)
    raw[:, 2:4] = 44.8  # every box 0.2 wide
    logits = np.full(2254, -10.0, np.float32)
    i, j = 600, 601  # same cell: identical boxes
    raw[j, 0] = 2.24  # shifted right by 0.01
    logits[i], logits[j] = 3.0, 1.0
    far = 2000
    logits[far] = 2.0
    det = best_detection(raw, logits)
    wi, wj = 1 / (1 + np.exp(-3.0)), 1 / (1 + np.exp(-1.0))
    expected_x = anchors[i, 0] + 0.01 * wj / (wi + wj)
    assert det.score == pytest.approx(wi)
    assert abs((det.box[0] + det.box[2]) / 2 - expected_x) < 1e-6
    assert abs(det.keypoints[0, 0] - anchors[i, 0]) < 0.01


def test_no_detection_below_threshold():
    assert best_detection(np.zeros((2254, 12), np.float32), np.full(2254, -5.0, np.float32)) is None

"""BVH parsing and forward kinematics: hand-written files, known rotations, the shipped takes."""

import json
from pathlib import Path

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from choleor.errors import BadInput
from choleor.mocap.bvh import forward_kinematics, load_bvh, parse_bvh, rest_pose

MOCAP = Path(__file__).resolve().parents[2] / "data" / "mocap"

# 43-joint style: root `hip`, ZXY rotations, Unix line endings
HIP_STYLE = """HIERARCHY
ROOT hip
{
  OFFSET 0 0 0
  CHANNELS 6 Xposition Yposition Zposition Zrotation Yrotation Xrotation
  JOINT abdomen
  {
    OFFSET 0 2 0
    CHANNELS 3 Zrotation Xrotation Yrotation
    End Site
    {
      OFFSET 0 0 1
    }
  }
}
MOTION
Frames: 2
Frame Time: 0.0083333
1 2 3 0 0 0 0 0 0
0 0 0 0 0 0 90 90 0
"""

# 31-joint style: root `Hips`, ZYX rotations, tabs, Windows line endings mixed with Unix
HIPS_STYLE = (
    "HIERARCHY\r\nROOT Hips\r\n{\r\n\tOFFSET 0.0 0.0 0.0\r\n"
    "\tCHANNELS 6 Xposition Yposition Zposition Zrotation Yrotation Xrotation \r\n"
    "\tJOINT LeftUpLeg\n\t{\r\n\t\tOFFSET 1 -1 0\r\n\t\tCHANNELS 3 Zrotation Yrotation Xrotation\r\n"
    "\t\tEnd Site\r\n\t\t{\n\t\t\tOFFSET 0 -2 0\r\n\t\t}\r\n\t}\r\n}\r\n"
    "MOTION\r\nFrames: 3\nFrame Time: .0166667\r\n"
    "0 1 0 0 0 0 0 0 0\r\n0 1 0 0 0 0 30 40 50\n0 1 0 0 0 0 -10 20 -30\r\n"
)


def test_hip_style_hierarchy_channels_and_frames():
    motion = parse_bvh(HIP_STYLE)
    skeleton = motion.skeleton
    assert skeleton.names == ["hip", "abdomen", "abdomen_end"]
    assert skeleton.parents.tolist() == [-1, 0, 1]
    assert skeleton.channels[1] == ["Zrotation", "Xrotation", "Yrotation"]
    assert skeleton.channels[2] == []
    np.testing.assert_allclose(skeleton.offsets[2], [0, 0, 1])
    assert motion.frames.shape == (2, 9)
    assert motion.header_fps == pytest.approx(120, rel=1e-3)


def test_hips_style_with_crlf_mix_and_zyx_order():
    motion = parse_bvh(HIPS_STYLE)
    assert motion.skeleton.names == ["Hips", "LeftUpLeg", "LeftUpLeg_end"]
    assert motion.skeleton.channels[1] == ["Zrotation", "Yrotation", "Xrotation"]
    assert motion.frame_count == 3
    assert motion.frame_time == pytest.approx(0.0166667)
    np.testing.assert_allclose(rest_pose(motion.skeleton)[2], [1, -3, 0])


def test_fk_of_a_known_rotation():
    # abdomen rotated Z 90 then X 90 (intrinsic ZXY): the end site offset (0,0,1) maps to (1,0,0)
    positions, _ = forward_kinematics(parse_bvh(HIP_STYLE))
    np.testing.assert_allclose(positions[0], [[1, 2, 3], [1, 4, 3], [1, 4, 4]], atol=1e-9)
    np.testing.assert_allclose(positions[1, 2] - positions[1, 1], [1, 0, 0], atol=1e-9)


@pytest.mark.parametrize("text, order", [(HIP_STYLE, "ZXY"), (HIPS_STYLE, "ZYX")])
def test_fk_matches_intrinsic_euler_in_channel_order(text, order):
    motion = parse_bvh(text)
    rng = np.random.default_rng(0)
    motion.frames[:, 6:9] = rng.uniform(-180, 180, (motion.frame_count, 3))
    positions, rotations = forward_kinematics(motion)
    axis_of = {"Xrotation": "X", "Yrotation": "Y", "Zrotation": "Z"}
    assert "".join(axis_of[c] for c in motion.skeleton.channels[1]) == order
    expected = Rotation.from_euler(order, motion.frames[:, 6:9], degrees=True).as_matrix()
    np.testing.assert_allclose(rotations[:, 1], expected, atol=1e-9)
    bone = positions[:, 2] - positions[:, 1]
    np.testing.assert_allclose(bone, expected @ motion.skeleton.offsets[2], atol=1e-9)
    # the two orders really differ
    other = "ZYX" if order == "ZXY" else "ZXY"
    assert not np.allclose(
        Rotation.from_euler(other, motion.frames[:, 6:9], degrees=True).as_matrix(), expected
    )


def test_bad_motion_size_is_rejected():
    with pytest.raises(BadInput):
        parse_bvh(HIP_STYLE.replace("Frames: 2", "Frames: 3"))


def _manifest():
    return json.loads((MOCAP / "manifest.json").read_text())


@pytest.mark.parametrize("entry", _manifest(), ids=lambda e: e["cmu_id"])
def test_every_shipped_take_parses_with_manifest_counts(entry):
    motion = load_bvh(MOCAP / entry["file"])
    assert motion.frame_count == int(entry["frames_header"])
    assert motion.header_fps == pytest.approx(float(entry["fps_header"]), rel=1e-3)
    moving_joints = sum(1 for c in motion.skeleton.channels if c)
    assert moving_joints == int(entry["joints"])
    assert motion.skeleton.names[0] == entry["root_joint"]
    positions, _ = forward_kinematics(motion)
    assert positions.shape == (motion.frame_count, motion.skeleton.joint_count, 3)
    assert np.isfinite(positions).all()

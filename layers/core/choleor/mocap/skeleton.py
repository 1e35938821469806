"""Map the CMU skeletons onto one set of body points, in body-height units with Y up.

Three skeletons occur in the shipped BVH files: the 43-joint retargeted one (root `hip`), and the
performer's own 31-joint skeleton in two namings (root `Hips`, with `LeftUpLeg` or `LeftHip`).
All of them face +Z with Y up in their rest pose, left on +X, so a head's world rotation turns
face points defined once in the rest pose into face points in every frame.

Units: 1.0 = the standing height of the performer (sole to top of head, from bone lengths), the
floor at y = 0 (from the lowest foot points over the take).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from choleor.errors import BadInput
from choleor.keypoints import COCO17
from choleor.mocap.bvh import BvhMotion, forward_kinematics, load_bvh, rest_pose

EXTRA_POINTS = (
    "head_top", "head_center", "neck", "chest", "pelvis",
    "left_toe", "right_toe", "left_hand_tip", "right_hand_tip",
)  # fmt: skip
POINT_NAMES = COCO17 + EXTRA_POINTS
POINT = {name: i for i, name in enumerate(POINT_NAMES)}

# Body points taken straight from joints, per skeleton style. Face points come from the head.
_JOINTS = {
    "daz43": {
        "left_shoulder": "lShldr", "right_shoulder": "rShldr", "left_elbow": "lForeArm",
        "right_elbow": "rForeArm", "left_wrist": "lHand", "right_wrist": "rHand",
        "left_hip": "lThigh", "right_hip": "rThigh", "left_knee": "lShin", "right_knee": "rShin",
        "left_ankle": "lFoot", "right_ankle": "rFoot", "left_toe": "lFoot_end",
        "right_toe": "rFoot_end", "left_hand_tip": "lMid2_end", "right_hand_tip": "rMid2_end",
        "neck": "neck", "chest": "chest", "pelvis": "hip", "head": "head",
    },
    "cmu31_mb": {
        "left_shoulder": "LeftArm", "right_shoulder": "RightArm", "left_elbow": "LeftForeArm",
        "right_elbow": "RightForeArm", "left_wrist": "LeftHand", "right_wrist": "RightHand",
        "left_hip": "LeftUpLeg", "right_hip": "RightUpLeg", "left_knee": "LeftLeg",
        "right_knee": "RightLeg", "left_ankle": "LeftFoot", "right_ankle": "RightFoot",
        "left_toe": "LeftToeBase_end", "right_toe": "RightToeBase_end",
        "left_hand_tip": "LeftHandIndex1_end", "right_hand_tip": "RightHandIndex1_end",
        "neck": "Neck", "chest": "Spine", "pelvis": "Hips", "head": "Head",
    },
    "cmu31_max": {
        "left_shoulder": "LeftShoulder", "right_shoulder": "RightShoulder",
        "left_elbow": "LeftElbow", "right_elbow": "RightElbow", "left_wrist": "LeftWrist",
        "right_wrist": "RightWrist", "left_hip": "LeftHip", "right_hip": "RightHip",
        "left_knee": "LeftKnee", "right_knee": "RightKnee", "left_ankle": "LeftAnkle",
        "right_ankle": "RightAnkle", "left_toe": "LeftToe_end", "right_toe": "RightToe_end",
        "left_hand_tip": "LFingers_end", "right_hand_tip": "RFingers_end",
        "neck": "Neck", "chest": "Chest", "pelvis": "Hips", "head": "Head",
    },
}  # fmt: skip

# Face points in the head's rest frame (x = the person's left, y = up, z = forward), in body
# heights, relative to the head centre. Adult proportions: head ~0.13 H tall, ~0.09 H wide.
HEAD_RADII = np.array([0.046, 0.064, 0.056])  # half width, half height, half depth
FACE_POINTS = {
    "nose": (0.0, -0.012, 0.064),
    "left_eye": (0.020, 0.008, 0.048),
    "right_eye": (-0.020, 0.008, 0.048),
    "left_ear": (0.046, 0.000, -0.004),
    "right_ear": (-0.046, 0.000, -0.004),
    "head_top": (0.0, 0.064, 0.0),
    "head_center": (0.0, 0.0, 0.0),
}
_EYE_HEIGHT_SHARE = 0.936  # eye height / stature, for the skeleton with eyes but no head top


@dataclass
class BodyTrack:
    """Body points of one take over time, in body heights, Y up, floor at y = 0."""

    points: np.ndarray  # (F, P, 3), P = len(POINT_NAMES)
    head_rotation: np.ndarray  # (F, 3, 3) columns: the head's left, up and forward in world
    fps: float
    source: str = ""

    @property
    def frame_count(self) -> int:
        return int(self.points.shape[0])

    @property
    def duration_s(self) -> float:
        return self.frame_count / self.fps

    def coco17(self) -> np.ndarray:
        """(F, 17, 3) points in COCO-17 order."""
        return self.points[:, : len(COCO17)]

    def point(self, name: str) -> np.ndarray:
        return self.points[:, POINT[name]]


@dataclass(frozen=True)
class TakeInfo:
    capture_fps: float
    first_frame_is_added_tpose: bool


def skeleton_style(motion: BvhMotion) -> str:
    names = set(motion.skeleton.names)
    for style, joints in _JOINTS.items():
        if all(j in names for j in joints.values()):
            return style
    raise BadInput(f"unknown skeleton (root {motion.skeleton.names[0]!r})")


def take_info(bvh_path: str | Path, motion: BvhMotion) -> TakeInfo:
    """Frame rate and T-pose flag from manifest.json next to the file, else from the header."""
    manifest = Path(bvh_path).with_name("manifest.json")
    if manifest.exists():
        for entry in json.loads(manifest.read_text()):
            if entry["file"] == Path(bvh_path).name:
                return TakeInfo(
                    float(entry["capture_fps_recommended"]),
                    str(entry["first_frame_is_added_tpose"]).lower() == "true",
                )
    return TakeInfo(motion.header_fps, True)


def load_body_track(bvh_path: str | Path) -> BodyTrack:
    """Parse a take and return its body points at the capture frame rate."""
    motion = load_bvh(bvh_path)
    info = take_info(bvh_path, motion)
    return body_track(motion, info.capture_fps, info.first_frame_is_added_tpose, Path(bvh_path).name)


def body_track(motion: BvhMotion, fps: float, skip_first_frame: bool, source: str = "") -> BodyTrack:
    style = skeleton_style(motion)
    joints = _JOINTS[style]
    index = {name: motion.skeleton.index(joint) for name, joint in joints.items()}
    positions, rotations = forward_kinematics(motion)
    if skip_first_frame:
        positions, rotations = positions[1:], rotations[1:]
    rest = rest_pose(motion.skeleton)
    height, head_centre_rest = _rest_measures(motion, style, rest, index)

    frames = positions.shape[0]
    points = np.zeros((frames, len(POINT_NAMES), 3))
    for name, j in index.items():
        if name in POINT:
            points[:, POINT[name]] = positions[:, j]
    head_rotation = _upright_head(rotations[:, index["head"]], points)
    head_joint = positions[:, index["head"]]
    centre_from_joint = head_centre_rest - rest[index["head"]]
    for name, local in FACE_POINTS.items():
        rest_offset = centre_from_joint + np.array(local) * height
        points[:, POINT[name]] = head_joint + head_rotation @ rest_offset

    points /= height
    points[..., 1] -= _floor_height(points)
    return BodyTrack(points, head_rotation, float(fps), source)


def _rest_measures(motion: BvhMotion, style: str, rest: np.ndarray, index: dict) -> tuple[float, np.ndarray]:
    """Standing height (sole to head top, legs straightened) and the head centre, rest pose."""
    skeleton = motion.skeleton
    hip, knee, ankle, toe = (rest[index[f"left_{p}"]] for p in ("hip", "knee", "ankle", "toe"))
    # the CMU rest pose splays the legs, so measure them along their bones
    leg = np.linalg.norm(knee - hip) + np.linalg.norm(ankle - knee) + max(ankle[1] - toe[1], 0.0)
    if style == "daz43":
        eyes = (rest[skeleton.index("leftEye")] + rest[skeleton.index("rightEye")]) / 2
        height = (leg + eyes[1] - hip[1]) / _EYE_HEIGHT_SHARE
        top_y = hip[1] - leg + height
        centre = np.array([eyes[0], top_y - HEAD_RADII[1] * height, eyes[2] - 0.045 * height])
    else:
        top = rest[skeleton.index("Head_end")]
        height = leg + top[1] - hip[1]
        centre = np.array([top[0], top[1] - HEAD_RADII[1] * height, top[2]])
    return float(height), centre


def _floor_height(points: np.ndarray) -> float:
    """Floor level: a low percentile of the lowest foot point per frame.

    Dancers have a foot on the floor most of the time; a few takes have short stretches where
    the feet dip below it (capture glitches), so the 2nd percentile would sit too low.
    """
    feet = points[:, [POINT["left_toe"], POINT["right_toe"], POINT["left_ankle"], POINT["right_ankle"]], 1]
    ankle_above_sole = 0.035  # ankle joint height above the sole, in body heights
    lowest = np.minimum(feet[:, :2].min(axis=1), feet[:, 2:].min(axis=1) - ankle_above_sole)
    return float(np.percentile(lowest, 20))


#: A head whose up axis points this far against the neck is upside down: not a pose (a dancer
#: bending back stays above -0.3), but a flipped head rotation in the conversion (salsa 60_06
#: throughout, 60_07 from about 26 s).
_FLIPPED_HEAD = -0.6


def _upright_head(rotation: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Head rotations (F, 3, 3), those that are upside down replaced by the torso's: up along
    the neck, facing where the hips and shoulders face."""
    neck = points[:, POINT["neck"]] - points[:, POINT["chest"]]
    neck /= np.maximum(np.linalg.norm(neck, axis=1, keepdims=True), 1e-9)
    flipped = (rotation[:, :, 1] * neck).sum(axis=1) < _FLIPPED_HEAD
    if not flipped.any():
        return rotation
    forward = _facing(points)
    forward -= (forward * neck).sum(axis=1, keepdims=True) * neck
    forward /= np.maximum(np.linalg.norm(forward, axis=1, keepdims=True), 1e-9)
    upright = np.stack([np.cross(neck, forward), neck, forward], axis=-1)  # columns: left, up, forward
    out = rotation.copy()
    out[flipped] = upright[flipped]
    return out


def facing_directions(track: BodyTrack) -> np.ndarray:
    """(F, 3) unit horizontal facing of the body: forward = left x up, left from hips and shoulders."""
    return _facing(track.points)


def _facing(p: np.ndarray) -> np.ndarray:
    left = (p[:, POINT["left_hip"]] - p[:, POINT["right_hip"]]) + (
        p[:, POINT["left_shoulder"]] - p[:, POINT["right_shoulder"]]
    )
    forward = np.cross(left, np.array([0.0, 1.0, 0.0]))
    forward[:, 1] = 0.0
    return forward / np.maximum(np.linalg.norm(forward, axis=1, keepdims=True), 1e-9)


def resample(track: BodyTrack, fps: float, seconds: float | None = None) -> BodyTrack:
    """Body points at another frame rate (linear in time), optionally only the first `seconds`."""
    duration = track.duration_s if seconds is None else min(seconds, track.duration_s)
    count = max(int(np.floor(duration * fps + 1e-9)), 1)
    position = np.arange(count) * (track.fps / fps)  # fractional source frame per output frame
    lower = np.clip(np.floor(position).astype(int), 0, track.frame_count - 1)
    upper = np.minimum(lower + 1, track.frame_count - 1)
    weight = (position - lower)[:, None, None]
    points = track.points[lower] * (1 - weight) + track.points[upper] * weight
    rotation = track.head_rotation[lower] * (1 - weight) + track.head_rotation[upper] * weight
    return replace(track, points=points, head_rotation=_orthonormalise(rotation), fps=float(fps))


def hold(track: BodyTrack, before: int, after: int) -> BodyTrack:
    """The take with its first pose held for `before` frames and its last for `after`: the
    dancer waits for the music, dances, and holds the end, as in a filmed phrase."""
    pad = ((before, after), (0, 0), (0, 0))
    return replace(
        track,
        points=np.pad(track.points, pad, mode="edge"),
        head_rotation=np.pad(track.head_rotation, pad, mode="edge"),
    )


def _orthonormalise(rotation: np.ndarray) -> np.ndarray:
    u, _, vt = np.linalg.svd(rotation)
    return u @ vt

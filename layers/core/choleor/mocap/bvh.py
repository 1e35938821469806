"""BVH motion capture: parse the hierarchy and motion, and run forward kinematics.

The data used in this project was obtained from mocap.cs.cmu.edu.
The database was created with funding from NSF EIA-0196217.

The parser tokenises on whitespace, so Windows, Unix and mixed line endings all read the same.
End sites become joints of their own (named `<parent>_end`, no channels) because they carry
useful points: the top of the head, the toes, the finger tips.

Forward kinematics follows the BVH convention: a joint's local rotation is the product of its
rotation channels in the order the file lists them (``Zrotation Xrotation Yrotation`` means
``Rz @ Rx @ Ry``), ``world = parent_world @ local`` and ``position = parent_position +
parent_world @ offset``. Position channels, where present, replace the offset.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from choleor.errors import BadInput

_ROTATION_AXES = {"Xrotation": 0, "Yrotation": 1, "Zrotation": 2}
_POSITION_AXES = {"Xposition": 0, "Yposition": 1, "Zposition": 2}


@dataclass
class Skeleton:
    """Joints in hierarchy order: every parent comes before its children."""

    names: list[str]
    parents: np.ndarray  # (J,) int, -1 for the root
    offsets: np.ndarray  # (J, 3) rest offsets from the parent
    channels: list[list[str]]  # per joint, the channel names in file order
    channel_start: np.ndarray  # (J,) column of the joint's first channel in a motion row

    @property
    def joint_count(self) -> int:
        return len(self.names)

    def index(self, name: str) -> int:
        return self.names.index(name)


@dataclass
class BvhMotion:
    skeleton: Skeleton
    frames: np.ndarray  # (F, C) channel values per frame, degrees for rotations
    frame_time: float  # seconds per frame as the header states it

    @property
    def frame_count(self) -> int:
        return int(self.frames.shape[0])

    @property
    def header_fps(self) -> float:
        return 1.0 / self.frame_time


def load_bvh(path: str | Path) -> BvhMotion:
    """Read and parse a BVH file."""
    return parse_bvh(Path(path).read_text(encoding="utf-8", errors="replace"))


def parse_bvh(text: str) -> BvhMotion:
    """Parse BVH text (any line endings) into a skeleton and a (F, C) frame array."""
    head, sep, motion = text.partition("MOTION")
    if not sep:
        raise BadInput("BVH file has no MOTION section")
    skeleton = _parse_hierarchy(head.split())
    frame_count, frame_time, values = _parse_motion_tokens(motion.split())
    channel_count = sum(len(c) for c in skeleton.channels)
    if channel_count == 0 or values.size != frame_count * channel_count:
        raise BadInput(
            f"BVH motion has {values.size} values, expected {frame_count} frames x {channel_count} channels"
        )
    return BvhMotion(skeleton, values.reshape(frame_count, channel_count), frame_time)


def _parse_hierarchy(tokens: list[str]) -> Skeleton:
    names: list[str] = []
    parents: list[int] = []
    offsets: list[list[float]] = []
    channels: list[list[str]] = []
    stack: list[int] = []
    pending: int | None = None  # joint declared, its '{' not yet seen
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token in ("ROOT", "JOINT"):
            pending = _add_joint(names, parents, offsets, channels, tokens[i + 1], stack)
            i += 2
        elif token == "End":  # "End Site"
            parent = stack[-1]
            pending = _add_joint(names, parents, offsets, channels, names[parent] + "_end", stack)
            i += 2
        elif token == "{":
            if pending is None:
                raise BadInput("BVH hierarchy: '{' without a joint")
            stack.append(pending)
            pending = None
            i += 1
        elif token == "}":
            stack.pop()
            i += 1
        elif token == "OFFSET":
            offsets[stack[-1]] = [float(v) for v in tokens[i + 1 : i + 4]]
            i += 4
        elif token == "CHANNELS":
            count = int(tokens[i + 1])
            channels[stack[-1]] = tokens[i + 2 : i + 2 + count]
            i += 2 + count
        else:  # HIERARCHY and anything unknown
            i += 1
    if not names:
        raise BadInput("BVH hierarchy has no joints")
    starts = np.cumsum([0] + [len(c) for c in channels[:-1]])
    return Skeleton(names, np.array(parents), np.array(offsets, float), channels, starts)


def _add_joint(names, parents, offsets, channels, name: str, stack: list[int]) -> int:
    names.append(name)
    parents.append(stack[-1] if stack else -1)
    offsets.append([0.0, 0.0, 0.0])
    channels.append([])
    return len(names) - 1


def _parse_motion_tokens(tokens: list[str]) -> tuple[int, float, np.ndarray]:
    # tokens: "Frames:" N "Frame" "Time:" dt v1 v2 ...
    try:
        frames_at = tokens.index("Frames:")
        time_at = tokens.index("Time:")
        frame_count = int(tokens[frames_at + 1])
        frame_time = float(tokens[time_at + 1])
        values = np.array(tokens[time_at + 2 :], dtype=float)
    except (ValueError, IndexError) as exc:
        raise BadInput(f"BVH motion header unreadable: {exc}") from exc
    if frame_time <= 0:
        raise BadInput("BVH frame time must be positive")
    return frame_count, frame_time, values


def axis_rotations(axis: int, degrees: np.ndarray) -> np.ndarray:
    """Rotation matrices (F, 3, 3) about one axis (0=X, 1=Y, 2=Z) for angles in degrees."""
    radians = np.deg2rad(degrees)
    c, s = np.cos(radians), np.sin(radians)
    out = np.zeros(radians.shape + (3, 3))
    a, b = [(1, 2), (2, 0), (0, 1)][axis]  # the plane the axis rotates, right-handed
    out[..., axis, axis] = 1.0
    out[..., a, a] = c
    out[..., a, b] = -s
    out[..., b, a] = s
    out[..., b, b] = c
    return out


def local_rotations(motion: BvhMotion, joint: int) -> np.ndarray:
    """(F, 3, 3) local rotation of one joint: its rotation channels multiplied in file order."""
    skeleton = motion.skeleton
    rotation = np.broadcast_to(np.eye(3), (motion.frame_count, 3, 3))
    start = skeleton.channel_start[joint]
    for k, channel in enumerate(skeleton.channels[joint]):
        if channel in _ROTATION_AXES:
            rotation = rotation @ axis_rotations(_ROTATION_AXES[channel], motion.frames[:, start + k])
    return np.array(rotation)


def local_translations(motion: BvhMotion, joint: int) -> np.ndarray:
    """(F, 3) translation from the parent: the offset, or the position channels if any."""
    skeleton = motion.skeleton
    translation = np.tile(skeleton.offsets[joint], (motion.frame_count, 1))
    start = skeleton.channel_start[joint]
    for k, channel in enumerate(skeleton.channels[joint]):
        if channel in _POSITION_AXES:
            translation[:, _POSITION_AXES[channel]] = motion.frames[:, start + k]
    return translation


def forward_kinematics(motion: BvhMotion) -> tuple[np.ndarray, np.ndarray]:
    """World positions (F, J, 3) and world rotations (F, J, 3, 3) of every joint in every frame.

    One pass over the hierarchy; each step is vectorised over all frames.
    """
    skeleton = motion.skeleton
    frames, joints = motion.frame_count, skeleton.joint_count
    positions = np.zeros((frames, joints, 3))
    rotations = np.zeros((frames, joints, 3, 3))
    for j in range(joints):
        local_rotation = local_rotations(motion, j)
        translation = local_translations(motion, j)
        parent = skeleton.parents[j]
        if parent < 0:
            positions[:, j] = translation
            rotations[:, j] = local_rotation
        else:
            parent_rotation = rotations[:, parent]
            positions[:, j] = positions[:, parent] + np.einsum("fab,fb->fa", parent_rotation, translation)
            rotations[:, j] = parent_rotation @ local_rotation
    return positions, rotations


def rest_pose(skeleton: Skeleton) -> np.ndarray:
    """(J, 3) joint positions with every rotation at zero: the pose the offsets describe."""
    positions = np.zeros((skeleton.joint_count, 3))
    for j, parent in enumerate(skeleton.parents):
        positions[j] = skeleton.offsets[j] + (positions[parent] if parent >= 0 else 0.0)
    return positions

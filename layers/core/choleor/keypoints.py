"""COCO-17: the 17 body keypoints every pose in Choleor is expressed in, in this order.

The pose model's output, the library's move features and the mocap renderer's
true joints all use it, so a joint's index means the same thing everywhere.
"""

from __future__ import annotations

COCO17 = (
    "nose", "left_eye", "right_eye", "left_ear", "right_ear",
    "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist",
    "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle",
)  # fmt: skip
INDEX = {name: i for i, name in enumerate(COCO17)}


def _mirrored(name: str) -> str:
    side, _, part = name.partition("_")
    return {"left": f"right_{part}", "right": f"left_{part}"}.get(side, name)


#: The index of each keypoint's left/right twin (itself for the nose): a mirror swaps them.
FLIP_ORDER = tuple(INDEX[_mirrored(name)] for name in COCO17)

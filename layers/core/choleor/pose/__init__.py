"""Pose estimation for ingested dance videos (BlazePose via onnxruntime).

COCO-17 keypoints per frame in image pixels; see estimate.estimate_video.
"""

from .estimate import PoseTrack, estimate_frames, estimate_video, load_npz, save_npz
from .landmarks import COCO17_FROM_BLAZEPOSE

__all__ = [
    "PoseTrack",
    "estimate_video",
    "estimate_frames",
    "save_npz",
    "load_npz",
    "COCO17_FROM_BLAZEPOSE",
]

"""Find and load the BlazePose ONNX models (built by layers/pose_model/build.sh).

Sessions are created once per process and variant; nothing is downloaded.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnxruntime as ort

from ..errors import Unavailable

MODEL_DIR_ENV = "CHOLEOR_POSE_MODEL_DIR"
DEFAULT_MODEL_DIR = Path(__file__).resolve().parents[3] / "pose_model" / "cache"
DETECTOR_FILE = "pose_detection.onnx"
LANDMARK_FILES = {"full": "pose_landmark_full.onnx", "lite": "pose_landmark_lite.onnx"}
VARIANTS = tuple(LANDMARK_FILES)


def model_dir() -> Path:
    return Path(os.environ.get(MODEL_DIR_ENV) or DEFAULT_MODEL_DIR)


def model_path(name: str) -> Path:
    path = model_dir() / name
    if not path.is_file():
        raise Unavailable(
            f"pose model {path} is missing: run layers/pose_model/build.sh "
            f"(or point {MODEL_DIR_ENV} at a folder holding the built .onnx files)"
        )
    return path


def _session(path: Path, threads: int) -> ort.InferenceSession:
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    # Workers are single-threaded by design; spinning only steals their core.
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0" if threads == 1 else "1")
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


@dataclass(frozen=True)
class LandmarkOutput:
    landmarks: np.ndarray  # (195,) 39 x (x, y, z, visibility, presence) in crop pixels
    presence: float  # pose flag, already a probability
    heatmap: np.ndarray  # (64, 64, 39) logits


class PoseModels:
    """The detector and one landmark model, ready to run on NHWC float tensors."""

    def __init__(self, variant: str = "full", threads: int = 1):
        if variant not in LANDMARK_FILES:
            raise ValueError(f"pose variant must be one of {VARIANTS}, not {variant!r}")
        self.variant = variant
        self.detector = _session(model_path(DETECTOR_FILE), threads)
        self.landmarker = _session(model_path(LANDMARK_FILES[variant]), threads)
        self._landmark_outputs = ["Identity", "Identity_1", "Identity_3"]

    def detect(self, tensor: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(1, 224, 224, 3) in [-1, 1] -> raw boxes (2254, 12), score logits (2254,)."""
        boxes, scores = self.detector.run(["Identity", "Identity_1"], {"input_1": tensor})
        return boxes[0], scores[0, :, 0]

    def landmarks(self, tensor: np.ndarray) -> LandmarkOutput:
        """(1, 256, 256, 3) in [0, 1] -> landmark outputs."""
        points, flag, heatmap = self.landmarker.run(self._landmark_outputs, {"input_1": tensor})
        return LandmarkOutput(points[0], float(flag.reshape(-1)[0]), heatmap[0])


@functools.cache
def load_models(variant: str = "full", threads: int = 1) -> PoseModels:
    """The process-wide models for a variant and thread count."""
    return PoseModels(variant, threads)

"""A shaded mannequin dancer, rendered with OpenCV, for pose tests.

BlazePose ignores stick figures but finds a solid figure: tapered capsule
limbs, an elliptical torso, a head with nose, eyes and ears, standing on a
floor with a soft shadow. `joints(t)` gives the ground-truth 2-D joints.
"""

from __future__ import annotations

import math
import subprocess
from pathlib import Path

import cv2
import numpy as np

WIDTH, HEIGHT = 1280, 720
SKIN = np.array([196, 160, 140])  # RGB
SHIRT = np.array([40, 90, 170])
TROUSERS = np.array([60, 60, 70])
LIGHT = np.array([-0.35, -0.45])  # highlights sit up and to the left


def joints(t: float, cx: float = WIDTH / 2) -> dict[str, np.ndarray]:
    """Joint positions (pixels) of a simple dance at time t seconds."""
    sway = 60 * math.sin(2 * math.pi * 0.5 * t)
    bounce = 12 * abs(math.sin(2 * math.pi * 1.0 * t))
    x = cx + sway
    hip_y = 420 + bounce
    p = {
        "head": np.array([x, hip_y - 275]),
        "neck": np.array([x, hip_y - 205]),
        "l_shoulder": np.array([x + 62, hip_y - 185]),
        "r_shoulder": np.array([x - 62, hip_y - 185]),
        "l_hip": np.array([x + 38, hip_y]),
        "r_hip": np.array([x - 38, hip_y]),
    }
    # Arms: upper arm swings with the beat, forearm bends further.
    for side, sign, phase in (("l", 1, 0.0), ("r", -1, math.pi)):
        up = math.radians(60 + 50 * math.sin(2 * math.pi * 0.75 * t + phase))
        bend = math.radians(30 + 40 * (1 + math.sin(2 * math.pi * 0.75 * t + phase)) / 2)
        shoulder = p[f"{side}_shoulder"]
        elbow = shoulder + 105 * np.array([sign * math.sin(up), math.cos(up)])
        wrist = elbow + 95 * np.array([sign * math.sin(up + bend), math.cos(up + bend)])
        p[f"{side}_elbow"], p[f"{side}_wrist"] = elbow, wrist
    # Legs: knees flex a little, feet stay near the floor.
    for side, sign in (("l", 1), ("r", -1)):
        hip = p[f"{side}_hip"]
        knee = hip + np.array([sign * 14, 115 - bounce / 2])
        ankle = np.array([hip[0] + sign * 22, 655])
        p[f"{side}_knee"], p[f"{side}_ankle"] = knee, ankle
    return p


def _shade(colour: np.ndarray, level: float) -> tuple[int, ...]:
    return tuple(int(c) for c in np.clip(colour * level, 0, 255))


def _capsule(img, a, b, ra, rb, colour, layers: int = 6) -> None:
    """Tapered capsule from a (radius ra) to b (radius rb), shaded in layers."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    d = b - a
    n = np.array([-d[1], d[0]]) / max(np.linalg.norm(d), 1e-6)
    for k in range(layers):
        f = 1.0 - 0.75 * k / layers
        shift = LIGHT * (1 - f) * (ra + rb) / 2
        pa, pb = a + shift, b + shift
        poly = np.array([pa + n * ra * f, pb + n * rb * f, pb - n * rb * f, pa - n * ra * f])
        c = _shade(colour, 0.55 + 0.6 * k / layers)
        cv2.fillConvexPoly(img, np.round(poly * 16).astype(np.int32), c, cv2.LINE_AA, 4)
        cv2.circle(img, tuple(np.round(pa * 16).astype(int)), int(ra * f * 16), c, -1, cv2.LINE_AA, 4)
        cv2.circle(img, tuple(np.round(pb * 16).astype(int)), int(rb * f * 16), c, -1, cv2.LINE_AA, 4)


def _ellipse(img, centre, axes, angle, colour, layers: int = 6) -> None:
    centre = np.asarray(centre, float)
    for k in range(layers):
        f = 1.0 - 0.7 * k / layers
        c = centre + LIGHT * (1 - f) * min(axes)
        cv2.ellipse(
            img,
            tuple(np.round(c * 16).astype(int)),
            (int(axes[0] * f * 16), int(axes[1] * f * 16)),
            angle,
            0,
            360,
            _shade(colour, 0.55 + 0.6 * k / layers),
            -1,
            cv2.LINE_AA,
            4,
        )


def background() -> np.ndarray:
    """Wall with a vertical gradient over a lighter floor."""
    img = np.empty((HEIGHT, WIDTH, 3), np.uint8)
    rows = np.linspace(0, 1, HEIGHT)[:, None]
    wall = (150 + 40 * rows) * np.array([1.0, 0.97, 0.9])
    floor = (205 - 30 * (rows - 0.8)) * np.array([0.85, 0.8, 0.72])
    img[:] = np.where(rows < 0.8, wall, floor)[:, None, :].astype(np.uint8)
    return img


def render(t: float, cx: float = WIDTH / 2) -> np.ndarray:
    """One RGB frame (720, 1280, 3) of the mannequin at time t."""
    img = background()
    p = joints(t, cx)
    # Soft shadow on the floor under the feet.
    shadow = np.zeros((HEIGHT, WIDTH), np.float32)
    mid = (p["l_ankle"] + p["r_ankle"]) / 2
    cv2.ellipse(shadow, (int(mid[0]), 668), (110, 18), 0, 0, 360, 1.0, -1)
    shadow = cv2.GaussianBlur(shadow, (0, 0), 9)
    img = (img * (1 - 0.45 * shadow[..., None])).astype(np.uint8)
    # Back to front: legs, torso, arms, head.
    for side in ("l", "r"):
        _capsule(img, p[f"{side}_hip"], p[f"{side}_knee"], 30, 22, TROUSERS)
        _capsule(img, p[f"{side}_knee"], p[f"{side}_ankle"], 22, 15, TROUSERS)
        foot = p[f"{side}_ankle"] + np.array([(1 if side == "l" else -1) * 22, 10])
        _capsule(img, p[f"{side}_ankle"], foot, 13, 11, TROUSERS * 0.6)
    hip_mid = (p["l_hip"] + p["r_hip"]) / 2
    _ellipse(img, hip_mid - [0, 15], (58, 40), 0, TROUSERS)
    _ellipse(img, (p["neck"] + hip_mid) / 2 + [0, -10], (72, 120), 0, SHIRT)
    _capsule(img, p["neck"] + [0, 10], p["head"] + [0, 40], 18, 16, SKIN)
    for side in ("l", "r"):
        _capsule(img, p[f"{side}_shoulder"], p[f"{side}_elbow"], 22, 17, SHIRT)
        _capsule(img, p[f"{side}_elbow"], p[f"{side}_wrist"], 16, 12, SKIN)
        _ellipse(img, p[f"{side}_wrist"] + (p[f"{side}_wrist"] - p[f"{side}_elbow"]) * 0.2, (13, 13), 0, SKIN)
    head = p["head"]
    for sign in (1, -1):  # ears first, the head covers their inner half
        _ellipse(img, head + [sign * 37, 5], (9, 15), 0, SKIN * 0.9, layers=3)
    _ellipse(img, head, (38, 48), 0, SKIN)
    cv2.ellipse(img, (int(head[0]), int(head[1] - 30)), (40, 28), 0, 180, 360, (50, 35, 25), -1, cv2.LINE_AA)
    for sign in (1, -1):
        cv2.ellipse(
            img,
            (int(head[0] + sign * 15), int(head[1] - 4)),
            (7, 4),
            0,
            0,
            360,
            (250, 250, 250),
            -1,
            cv2.LINE_AA,
        )
        cv2.circle(img, (int(head[0] + sign * 15), int(head[1] - 4)), 3, (30, 30, 40), -1, cv2.LINE_AA)
        cv2.line(
            img,
            (int(head[0] + sign * 8), int(head[1] - 14)),
            (int(head[0] + sign * 23), int(head[1] - 15)),
            (70, 50, 40),
            2,
            cv2.LINE_AA,
        )
    nose = np.array([[head[0], head[1] - 2], [head[0] - 6, head[1] + 14], [head[0] + 6, head[1] + 14]])
    cv2.fillConvexPoly(img, nose.astype(np.int32), _shade(SKIN, 0.75), cv2.LINE_AA)
    cv2.ellipse(img, (int(head[0]), int(head[1] + 26)), (12, 4), 0, 0, 360, (150, 70, 70), -1, cv2.LINE_AA)
    return img


def write_video(
    path: Path,
    frames: list[np.ndarray] | None = None,
    seconds: float = 2.0,
    fps: int = 30,
    blank: bool = False,
) -> Path:
    """Encode frames (or the mannequin dance, or an empty room) as H.264 mp4."""
    if frames is None:
        count = int(seconds * fps)
        frames = [background() if blank else render(i / fps) for i in range(count)]
    height, width = frames[0].shape[:2]
    cmd = [
        "ffmpeg",
        "-loglevel",
        "error",
        "-y",
        "-f",
        "rawvideo",
        "-pix_fmt",
        "rgb24",
        "-s",
        f"{width}x{height}",
        "-r",
        str(fps),
        "-i",
        "pipe:",
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-crf",
        "20",
        "-pix_fmt",
        "yuv420p",
        str(path),
    ]
    subprocess.run(cmd, input=b"".join(f.tobytes() for f in frames), check=True)
    return path


# COCO-17 ground truth from the drawn joints (the face points are roughly placed).
def coco17_truth(t: float, cx: float = WIDTH / 2) -> np.ndarray:
    p = joints(t, cx)
    h = p["head"]
    return np.array(
        [
            h + [0, 8],
            h + [15, -4],
            h + [-15, -4],
            h + [37, 5],
            h + [-37, 5],
            p["l_shoulder"],
            p["r_shoulder"],
            p["l_elbow"],
            p["r_elbow"],
            p["l_wrist"],
            p["r_wrist"],
            p["l_hip"],
            p["r_hip"],
            p["l_knee"],
            p["r_knee"],
            p["l_ankle"],
            p["r_ankle"],
        ]
    )

"""Draw a solid, shaded mannequin dancing in a plain studio, with numpy and OpenCV.

Why a solid figure: a pose model trained on people finds a solid, shaded figure with a face
in every frame, and a stick figure almost never. The figure is built from 3D primitives that are
projected with the take's camera for all frames at once (numpy): tapered capsules for the limbs
and neck, elliptical rings whose convex hull forms the chest and pelvis, an ellipsoid head with
hair, nose, eyes, mouth and ears placed by the head's rotation. Per frame, the parts are drawn far
to near (painter's order) on a 2x supersampled crop around the figure, then shrunk with area
averaging; the static studio background is drawn once, the floor shadow once per frame at low
resolution and blurred.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from choleor.mocap.camera import Camera
from choleor.mocap.skeleton import FACE_POINTS, HEAD_RADII, POINT, BodyTrack

SUPERSAMPLE = 2
_SHIFT = 3  # sub-pixel bits for OpenCV polygon coordinates
_LIGHT = np.array([-0.45, -0.89])  # image direction the light comes from (upper left)
_SHADES = ((1.0, 0.0, 0.70), (0.74, 0.24, 0.95), (0.40, 0.50, 1.12))  # (width, shift, brightness)

# BGR colours
SKIN, SHIRT, TROUSERS, SHOES, HAIR = (128, 160, 214), (150, 84, 40), (70, 56, 52), (36, 34, 34), (30, 40, 58)
EYE_WHITE, IRIS, MOUTH = (235, 235, 240), (40, 30, 25), (70, 70, 150)

# (from point, to point, radius at from, radius at to, colour), radii in body heights
CAPSULES = (
    ("left_shoulder", "left_elbow", 0.043, 0.033, SHIRT),
    ("right_shoulder", "right_elbow", 0.043, 0.033, SHIRT),
    ("left_elbow", "left_wrist", 0.031, 0.022, SKIN),
    ("right_elbow", "right_wrist", 0.031, 0.022, SKIN),
    ("left_wrist", "left_hand_tip", 0.023, 0.017, SKIN),
    ("right_wrist", "right_hand_tip", 0.023, 0.017, SKIN),
    ("left_hip", "left_knee", 0.064, 0.043, TROUSERS),
    ("right_hip", "right_knee", 0.064, 0.043, TROUSERS),
    ("left_knee", "left_ankle", 0.042, 0.028, TROUSERS),
    ("right_knee", "right_ankle", 0.042, 0.028, TROUSERS),
    ("left_ankle", "left_toe", 0.028, 0.020, SHOES),
    ("right_ankle", "right_toe", 0.028, 0.020, SHOES),
    ("neck", "head_center", 0.032, 0.030, SKIN),
)
# the skeletons have no heel; without one the foot reads as starting higher than the ankle joint
HEEL_CAPSULES = (
    ("left_ankle", "left_heel", 0.028, 0.022, SHOES),
    ("right_ankle", "right_heel", 0.028, 0.022, SHOES),
)
ALL_CAPSULES = CAPSULES + HEEL_CAPSULES


def _heel(ankle: np.ndarray, toe: np.ndarray) -> np.ndarray:
    """(F, 3) heel: behind and below the ankle, in the plane of the foot and world up."""
    foot = toe - ankle
    foot /= np.maximum(np.linalg.norm(foot, axis=-1, keepdims=True), 1e-9)
    sole_up = np.array([0.0, 1.0, 0.0]) - (foot[:, 1:2] * foot)
    sole_up /= np.maximum(np.linalg.norm(sole_up, axis=-1, keepdims=True), 1e-9)
    return ankle - 0.03 * foot - 0.025 * sole_up


# face parts: (name, local from, local to, radius), head frame (x left, y up, z forward), body heights
_NOSE_ROOT = (0.0, 0.004, 0.052)
_FACE_PARTS = (
    ("left_ear", (0.046, 0.012, -0.006), (0.046, -0.012, -0.004), 0.010),
    ("right_ear", (-0.046, 0.012, -0.006), (-0.046, -0.012, -0.004), 0.010),
    ("left_eye", FACE_POINTS["left_eye"], FACE_POINTS["left_eye"], 0.0085),
    ("right_eye", FACE_POINTS["right_eye"], FACE_POINTS["right_eye"], 0.0085),
    ("mouth", (0.012, -0.034, 0.050), (-0.012, -0.034, 0.050), 0.004),
    ("nose", _NOSE_ROOT, FACE_POINTS["nose"], 0.009),
)


@dataclass
class FigureFrames:
    """Every drawable part of the figure projected for every frame (pixels at output size)."""

    capsule_ends: np.ndarray  # (F, C, 2, 2)
    capsule_radii: np.ndarray  # (F, C, 2) pixels
    capsule_depth: np.ndarray  # (F, C)
    torso_hulls: np.ndarray  # (F, 2, K, 2) upper and lower torso outline points
    torso_depth: np.ndarray  # (F, 2)
    head_outline: np.ndarray  # (F, K, 2)
    hair_outline: np.ndarray  # (F, K, 2)
    hair_in_front: np.ndarray  # (F,) bool: the back of the head faces the camera
    head_depth: np.ndarray  # (F,)
    face_ends: np.ndarray  # (F, N, 2, 2)
    face_radii: np.ndarray  # (F, N)
    face_visible: np.ndarray  # (F, N) bool
    shadow_ends: np.ndarray  # (F, C, 2, 2) capsules dropped onto the floor
    shadow_radii: np.ndarray  # (F, C)
    shadow_strength: np.ndarray  # (F, C) 0..1, fainter the higher the part
    bounds: np.ndarray  # (F, 4) x0, y0, x1, y1 of the figure, pixels

    @property
    def frame_count(self) -> int:
        return int(self.capsule_ends.shape[0])


def _unit_sphere(rings: int = 7, around: int = 16) -> np.ndarray:
    lat = np.linspace(-np.pi / 2, np.pi / 2, rings)[:, None]
    lon = np.linspace(0, 2 * np.pi, around, endpoint=False)[None, :]
    x, y, z = np.cos(lat) * np.cos(lon), np.sin(lat) * np.ones_like(lon), np.cos(lat) * np.sin(lon)
    return np.stack([x, y, z], -1).reshape(-1, 3)


def _ring(
    centre: np.ndarray, lateral: np.ndarray, up: np.ndarray, half_width, half_depth, around=16
) -> np.ndarray:
    """(F, around, 3) ellipse around `centre` across the body: `lateral` width, forward depth."""
    x = lateral - (lateral * up).sum(-1, keepdims=True) * up
    x /= np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-9)
    z = np.cross(x, up)
    theta = np.linspace(0, 2 * np.pi, around, endpoint=False)
    a = np.asarray(half_width)[..., None, None] * np.cos(theta)[None, :, None]
    b = np.asarray(half_depth)[..., None, None] * np.sin(theta)[None, :, None]
    return centre[:, None] + a * x[:, None] + b * z[:, None]


def _torso_rings(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """World outline points (F, K, 3) of the upper and lower torso, from elliptical rings."""
    hip_mid = (p[:, POINT["left_hip"]] + p[:, POINT["right_hip"]]) / 2
    shoulder_mid = (p[:, POINT["left_shoulder"]] + p[:, POINT["right_shoulder"]]) / 2
    hips = p[:, POINT["left_hip"]] - p[:, POINT["right_hip"]]
    shoulders = p[:, POINT["left_shoulder"]] - p[:, POINT["right_shoulder"]]
    spine = shoulder_mid - hip_mid
    up = spine / np.maximum(np.linalg.norm(spine, axis=-1, keepdims=True), 1e-9)
    half_shoulder = np.linalg.norm(shoulders, axis=-1) / 2
    half_hip = np.linalg.norm(hips, axis=-1) / 2

    def at(t: float) -> np.ndarray:
        return hip_mid + t * spine

    def across(t: float) -> np.ndarray:
        return hips * (1 - t) + shoulders * t

    shoulder_ring = _ring(at(0.97), shoulders, up, half_shoulder + 0.02, 0.05)
    chest_ring = _ring(at(0.72), across(0.72), up, np.maximum(half_shoulder + 0.03, 0.105), 0.072)
    waist_ring = _ring(at(0.38), across(0.38), up, np.maximum(half_hip + 0.03, 0.092), 0.066)
    hip_ring = _ring(at(0.02), hips, up, half_hip + 0.05, 0.072)
    low_ring = _ring(at(-0.1), hips, up, half_hip + 0.02, 0.058)
    upper = np.concatenate([shoulder_ring, chest_ring, waist_ring], axis=1)
    lower = np.concatenate([waist_ring, hip_ring, low_ring], axis=1)
    return upper, lower


def prepare_figure(track: BodyTrack, camera: Camera) -> FigureFrames:
    """Project every part of the figure for all frames of the track."""
    p = track.points
    ankles = [p[:, POINT[f"{side}_ankle"]] for side in ("left", "right")]
    heels = [_heel(ankle, p[:, POINT[f"{side}_toe"]]) for ankle, side in zip(ankles, ("left", "right"))]
    a = np.concatenate([p[:, [POINT[c[0]] for c in CAPSULES]], np.stack(ankles, axis=1)], axis=1)
    b = np.concatenate([p[:, [POINT[c[1]] for c in CAPSULES]], np.stack(heels, axis=1)], axis=1)
    radii = np.array([[c[2], c[3]] for c in ALL_CAPSULES])
    ends_world = np.stack([a, b], axis=2)  # (F, C, 2, 3)
    capsule_ends, depth = camera.project(ends_world)
    capsule_radii = radii[None] * camera.pixels_per_unit(depth)

    upper, lower = _torso_rings(p)
    torso_hulls, torso_depth_points = camera.project(np.stack([upper, lower], axis=1))

    rotation = track.head_rotation  # columns: left, up, forward
    centre = p[:, POINT["head_center"]]
    head_world = centre[:, None] + (_unit_sphere() * HEAD_RADII) @ rotation.transpose(0, 2, 1)
    head_outline, _ = camera.project(head_world)
    hair_local = _unit_sphere() * HEAD_RADII * 1.07
    hair_local = hair_local[(0.55 * hair_local[:, 1] - 0.85 * hair_local[:, 2]) > -0.01] + [
        0.0,
        0.004,
        -0.005,
    ]
    hair_outline, _ = camera.project(centre[:, None] + hair_local @ rotation.transpose(0, 2, 1))
    to_camera = camera.position - centre
    to_camera /= np.linalg.norm(to_camera, axis=-1, keepdims=True)
    back = -rotation[:, :, 2] * 0.85 + rotation[:, :, 1] * 0.55
    hair_in_front = (back * to_camera).sum(-1) > 0.25
    _, head_depth = camera.project(centre)

    face_local = np.array([[f[1], f[2]] for f in _FACE_PARTS])  # (N, 2, 3)
    face_world = centre[:, None, None] + face_local @ rotation[:, None].transpose(0, 1, 3, 2)
    face_ends, face_depth = camera.project(face_world)
    face_radii = np.array([f[3] for f in _FACE_PARTS])[None] * camera.pixels_per_unit(face_depth[..., 1])
    normals_local = face_local[:, 1] / HEAD_RADII**2  # ellipsoid normal at each part
    normals = normals_local @ rotation.transpose(0, 2, 1)
    normals /= np.linalg.norm(normals, axis=-1, keepdims=True)
    face_visible = (normals * to_camera[:, None]).sum(-1) > 0.05

    floor = ends_world.copy()
    floor[..., 1] = 0.0
    shadow_ends, shadow_depth = camera.project(floor)
    shadow_radii = radii.mean(axis=1)[None] * 1.6 * camera.pixels_per_unit(shadow_depth.mean(axis=-1))
    shadow_strength = np.clip(1.0 - ends_world[..., 1].mean(axis=-1) / 1.3, 0.0, 1.0)

    outlines = [
        capsule_ends.reshape(len(p), -1, 2),
        torso_hulls.reshape(len(p), -1, 2),
        head_outline,
        hair_outline,
    ]
    extent = np.concatenate(outlines, axis=1)
    pad = capsule_radii.max(axis=(1, 2)) + 4
    bounds = np.concatenate([extent.min(axis=1) - pad[:, None], extent.max(axis=1) + pad[:, None]], axis=1)
    return FigureFrames(
        capsule_ends, capsule_radii, depth.mean(axis=-1), torso_hulls, torso_depth_points.mean(axis=-1),
        head_outline, hair_outline, hair_in_front, head_depth, face_ends, face_radii, face_visible,
        shadow_ends, shadow_radii, shadow_strength, bounds,
    )  # fmt: skip


def studio_background(camera: Camera) -> np.ndarray:
    """(H, W, 3) BGR: a light wall behind the dancer and a warm floor, with soft gradients."""
    width, height = camera.width, camera.height
    # where the floor meets a wall seven body heights ahead of the camera
    ahead = camera.forward * np.array([1.0, 0.0, 1.0])
    ahead /= np.linalg.norm(ahead)
    wall_point = camera.position * np.array([1.0, 0.0, 1.0]) + ahead * 7.0
    (_, horizon_y), _ = camera.project(wall_point)
    horizon = int(np.clip(horizon_y, 0, height))
    rows = np.arange(height, dtype=np.float32)[:, None]
    wall = np.array([206, 200, 192], np.float32) * (0.88 + 0.12 * rows / max(horizon, 1))
    floor_t = (rows - horizon) / max(height - horizon, 1)
    floor = np.array([104, 138, 170], np.float32) * (0.82 + 0.22 * floor_t)
    column = np.where(rows < horizon, wall, floor)
    image = np.repeat(column[:, None, :], width, axis=1)
    image[max(horizon - 3, 0) : horizon] *= 0.8  # skirting board line
    vignette = 1.0 - 0.12 * ((np.arange(width) - width / 2) / (width / 2)) ** 2
    return np.clip(image * vignette[None, :, None], 0, 255).astype(np.uint8)


def _points(xy: np.ndarray, origin: np.ndarray) -> np.ndarray:
    return np.round((xy - origin) * (SUPERSAMPLE << _SHIFT)).astype(np.int32)


def _shaded(colour, brightness: float) -> tuple[int, int, int]:
    return tuple(int(min(255, c * brightness)) for c in colour)


def _draw_capsule(canvas, p0, p1, r0, r1, colour, origin) -> None:
    direction = p1 - p0
    length = float(np.hypot(*direction))
    normal = np.array([-direction[1], direction[0]]) / length if length > 1e-3 else np.array([0.0, 1.0])
    light_shift = float(normal @ _LIGHT) * normal
    scale = SUPERSAMPLE << _SHIFT
    for width, shift, brightness in _SHADES:
        q0 = p0 + light_shift * r0 * shift
        q1 = p1 + light_shift * r1 * shift
        s0, s1 = r0 * width, r1 * width
        colour_k = _shaded(colour, brightness)
        quad = np.array([q0 + normal * s0, q1 + normal * s1, q1 - normal * s1, q0 - normal * s0])
        cv2.fillConvexPoly(canvas, _points(quad, origin), colour_k, cv2.LINE_8, _SHIFT)
        for q, s in ((q0, s0), (q1, s1)):
            centre = tuple(_points(q, origin).tolist())
            cv2.circle(canvas, centre, max(int(round(s * scale)), 1), colour_k, -1, cv2.LINE_8, _SHIFT)


def _draw_hull(canvas, outline, colour, origin, shaded: bool = True) -> None:
    hull = cv2.convexHull(outline.astype(np.float32)).reshape(-1, 2).astype(np.float64)
    if not shaded:
        cv2.fillConvexPoly(canvas, _points(hull, origin), colour, cv2.LINE_8, _SHIFT)
        return
    centre = hull.mean(axis=0)
    size = float(np.sqrt(cv2.contourArea(hull.astype(np.float32)) + 1.0))
    for width, shift, brightness in _SHADES:
        shrunk = centre + (hull - centre) * width + _LIGHT * size * 0.25 * shift
        cv2.fillConvexPoly(canvas, _points(shrunk, origin), _shaded(colour, brightness), cv2.LINE_8, _SHIFT)


def _draw_head(canvas, fig: FigureFrames, i: int, origin) -> None:
    names = [f[0] for f in _FACE_PARTS]
    visible = fig.face_visible[i]
    ears = [k for k, n in enumerate(names) if n.endswith("ear")]
    if not fig.hair_in_front[i]:
        _draw_hull(canvas, fig.hair_outline[i], HAIR, origin, shaded=False)
    for k in ears:  # ears turned away sit behind the head
        if not visible[k]:
            _draw_capsule(
                canvas, *fig.face_ends[i, k], fig.face_radii[i, k], fig.face_radii[i, k], SKIN, origin
            )
    _draw_hull(canvas, fig.head_outline[i], SKIN, origin)
    if fig.hair_in_front[i]:
        _draw_hull(canvas, fig.hair_outline[i], HAIR, origin, shaded=False)
    for k, name in enumerate(names):
        if not visible[k]:
            continue
        (p0, p1), r = fig.face_ends[i, k], fig.face_radii[i, k]
        if name.endswith("ear") or name == "nose":
            _draw_capsule(canvas, p0, p1, r, r * 0.9, _shaded(SKIN, 0.92), origin)
        elif name == "mouth":
            _draw_capsule(canvas, p0, p1, r, r, MOUTH, origin)
        else:  # eye: white, then the iris
            scale = SUPERSAMPLE << _SHIFT
            centre = tuple(_points(p0, origin).tolist())
            cv2.circle(canvas, centre, max(int(r * scale), 1), EYE_WHITE, -1, cv2.LINE_8, _SHIFT)
            cv2.circle(canvas, centre, max(int(r * 0.6 * scale), 1), IRIS, -1, cv2.LINE_8, _SHIFT)


def _draw_shadow(frame: np.ndarray, fig: FigureFrames, i: int) -> None:
    """Darken the floor under the figure with a blurred, quarter-resolution mask."""
    ends = fig.shadow_ends[i].reshape(-1, 2)
    pad = float(fig.shadow_radii[i].max()) * 3 + 16
    x0, y0 = np.maximum(np.floor(ends.min(axis=0) - pad), 0).astype(int)
    x1, y1 = np.minimum(np.ceil(ends.max(axis=0) + pad), [frame.shape[1], frame.shape[0]]).astype(int)
    if x1 - x0 < 8 or y1 - y0 < 8:
        return
    q = 4
    mask = np.zeros(((y1 - y0) // q + 1, (x1 - x0) // q + 1), np.float32)
    for (a, b), r, s in zip(fig.shadow_ends[i], fig.shadow_radii[i], fig.shadow_strength[i]):
        if s <= 0:
            continue
        pa = tuple(((a - (x0, y0)) / q * 8).astype(int).tolist())
        pb = tuple(((b - (x0, y0)) / q * 8).astype(int).tolist())
        thickness = max(int(2 * r / q), 1)
        cv2.line(mask, pa, pb, float(s), thickness, cv2.LINE_8, 3)
    mask = cv2.GaussianBlur(mask, (0, 0), 2.5)
    mask = cv2.resize(mask, (x1 - x0, y1 - y0), interpolation=cv2.INTER_LINEAR)
    region = frame[y0:y1, x0:x1]
    region[:] = (region * (1.0 - 0.45 * mask[..., None])).astype(np.uint8)


def draw_frame(background: np.ndarray, fig: FigureFrames, i: int) -> np.ndarray:
    """One BGR frame: the studio, the floor shadow, and the figure drawn far to near."""
    frame = background.copy()
    _draw_shadow(frame, fig, i)
    height, width = frame.shape[:2]
    x0, y0 = np.maximum(np.floor(fig.bounds[i, :2]), 0).astype(int)
    x1, y1 = np.minimum(np.ceil(fig.bounds[i, 2:]), [width, height]).astype(int)
    if x1 <= x0 or y1 <= y0:
        return frame
    crop = frame[y0:y1, x0:x1]
    canvas = cv2.resize(crop, None, fx=SUPERSAMPLE, fy=SUPERSAMPLE, interpolation=cv2.INTER_NEAREST)
    origin = np.array([x0, y0], float)

    parts = [(fig.capsule_depth[i, c], "capsule", c) for c in range(len(ALL_CAPSULES))]
    parts += [(fig.torso_depth[i, t], "torso", t) for t in range(2)]
    parts.append((fig.head_depth[i] - 0.01, "head", 0))  # the head wins ties with its neck
    for _, kind, k in sorted(parts, key=lambda part: -part[0]):
        if kind == "capsule":
            (p0, p1), (r0, r1) = fig.capsule_ends[i, k], fig.capsule_radii[i, k]
            _draw_capsule(canvas, p0, p1, r0, r1, ALL_CAPSULES[k][4], origin)
        elif kind == "torso":
            _draw_hull(canvas, fig.torso_hulls[i, k], SHIRT if k == 0 else TROUSERS, origin)
        else:
            _draw_head(canvas, fig, i, origin)
    frame[y0:y1, x0:x1] = cv2.resize(canvas, (x1 - x0, y1 - y0), interpolation=cv2.INTER_AREA)
    return frame

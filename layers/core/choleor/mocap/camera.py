"""A fixed perspective camera in front of the dancer that keeps the whole take in frame.

The camera stands on the side the dancer faces on average, at a distance that keeps perspective
mild, a little above chest height and looking slightly down so the floor shows. Its focal length
and principal point (a lens shift) are fitted to the projection of every body point of the take,
so the dancer is as large as the take allows and never leaves the frame.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from choleor.mocap.skeleton import POINT, BodyTrack, facing_directions

_UP = np.array([0.0, 1.0, 0.0])
BODY_PART_RADIUS = 0.075  # the thickest body part around a point (head), in body heights


@dataclass
class Camera:
    position: np.ndarray  # (3,) world
    rotation: np.ndarray  # (3, 3) rows: camera right, up, forward in world
    focal_px: float
    cx: float
    cy: float
    width: int
    height: int

    def to_camera(self, points: np.ndarray) -> np.ndarray:
        """(..., 3) world -> (..., 3) camera coordinates (x right, y up, z forward = depth)."""
        return (points - self.position) @ self.rotation.T

    def project(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(..., 3) world points -> pixel coords (..., 2) (x right, y down) and depth (...)."""
        local = self.to_camera(points)
        depth = local[..., 2]
        safe = np.maximum(depth, 1e-6)
        pixels = np.stack(
            [self.cx + self.focal_px * local[..., 0] / safe, self.cy - self.focal_px * local[..., 1] / safe],
            axis=-1,
        )
        return pixels, depth

    def pixels_per_unit(self, depth: np.ndarray) -> np.ndarray:
        """Image size in pixels of one world unit (one body height) at a given depth."""
        return self.focal_px / np.maximum(depth, 1e-6)

    @property
    def forward(self) -> np.ndarray:
        return self.rotation[2]


def look_at(position: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Rotation with rows right, up, forward for a camera at `position` looking at `target`."""
    forward = target - position
    forward = forward / np.linalg.norm(forward)
    right = np.cross(forward, _UP)
    right = right / np.linalg.norm(right)
    up = np.cross(right, forward)
    return np.stack([right, up, forward])


def average_facing(track: BodyTrack) -> np.ndarray:
    """Unit horizontal direction the dancer faces on average (the first frame's if they spin evenly)."""
    facing = facing_directions(track)
    mean = facing.mean(axis=0)
    if np.linalg.norm(mean) < 0.2:
        mean = facing[0]
    return mean / np.linalg.norm(mean)


def place_camera(
    track: BodyTrack,
    width: int = 1280,
    height: int = 720,
    *,
    margin_share: float = 0.06,
    eye_height: float = 0.8,
    min_distance: float = 3.2,
) -> Camera:
    """A camera in front of the dancer that shows every point of the whole take with margins."""
    points = track.points.reshape(-1, 3)
    facing = average_facing(track)
    floor_xz = points[:, [0, 2]]
    centre = np.array([0.0, 0.0, 0.0])
    centre[[0, 2]] = (floor_xz.min(axis=0) + floor_xz.max(axis=0)) / 2
    # stand back from the nearest point the dancer reaches, so limbs never loom huge
    reach_toward_camera = float(((points - centre) @ facing).max())
    distance = max(min_distance, reach_toward_camera + 2.2)
    position = centre + facing * distance + _UP * eye_height
    target = centre + _UP * 0.45
    rotation = look_at(position, target)

    camera = Camera(position, rotation, 1.0, 0.0, 0.0, width, height)
    local = camera.to_camera(points)
    normalised = local[:, :2] / local[:, 2:3]
    # the thickest body part around a point widens its footprint by radius / depth
    pad = BODY_PART_RADIUS / local[:, 2]
    low = (normalised - pad[:, None]).min(axis=0)
    high = (normalised + pad[:, None]).max(axis=0)
    usable = np.array([width, height]) * (1 - 2 * margin_share)
    focal = float(np.min(usable / (high - low)))
    mid = (low + high) / 2
    camera.focal_px = focal
    camera.cx = width / 2 - focal * mid[0]
    camera.cy = height / 2 + focal * mid[1]
    return camera


def body_height_px(camera: Camera, track: BodyTrack) -> np.ndarray:
    """(F,) the dancer's standing height in pixels at their current depth (the error scale)."""
    _, depth = camera.project(track.points[:, POINT["pelvis"]])
    return camera.pixels_per_unit(depth)

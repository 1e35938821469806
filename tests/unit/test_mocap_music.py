"""Movement tempo on synthetic motion and the soundtrack built from the shipped clips."""

import numpy as np
import pytest

from choleor.mocap.music import build_soundtrack, choose_clip, estimate_movement_tempo, load_clips

FPS = 120.0


def _dancer(bpm: float, seconds: float = 12.0, bounce: bool = True, seed: int = 0) -> np.ndarray:
    """(F, 26, 3) points: steps on every beat (alternate feet), arms swinging over two beats."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * FPS)) / FPS
    beat = 60.0 / bpm
    points = rng.normal(0, 0.3, (1, 26, 3)) + np.zeros((len(t), 1, 1))
    phase = (t / beat) % 2.0  # which foot: 0..1 left moves, 1..2 right moves
    step = np.sin(np.pi * np.clip(phase % 1.0 * 1.6, 0, 1)) * 0.08  # lift, then rest before the beat
    left, right = phase < 1.0, phase >= 1.0
    points[:, 15, 1] += step * left
    points[:, 16, 1] += step * right
    points[:, 9, 0] += 0.15 * np.sin(np.pi * t / beat)
    points[:, 10, 0] -= 0.15 * np.sin(np.pi * t / beat)
    if bounce:
        points[:, :, 1] += 0.02 * np.cos(2 * np.pi * t / beat)[:, None]
    return points + rng.normal(0, 0.001, points.shape)


@pytest.mark.parametrize("bounce", [True, False])
def test_tempo_of_synthetic_120_bpm_motion(bounce):
    assert estimate_movement_tempo(_dancer(120.0, bounce=bounce), FPS).bpm == pytest.approx(120, abs=2)


def test_tempo_of_a_pure_bounce_is_not_doubled():
    t = np.arange(int(10 * FPS)) / FPS
    points = np.zeros((len(t), 26, 3))
    points[..., 1] += 0.03 * np.sin(2 * np.pi * t * 2.0)[:, None]  # one bounce per beat at 120
    assert estimate_movement_tempo(points, FPS).bpm == pytest.approx(120, abs=2)


@pytest.mark.parametrize("bpm", [96.0, 150.0])
def test_tempo_at_other_dance_tempi(bpm):
    assert estimate_movement_tempo(_dancer(bpm, seed=1), FPS).bpm == pytest.approx(bpm, abs=2)


def test_choose_clip_prefers_the_smallest_retiming():
    clips = load_clips()
    assert choose_clip(165.0, clips)["file"] == "fof_muldjord_chaos_god.flac"
    assert choose_clip(101.0, clips)["bpm"] in (98.0, 104.0)
    assert choose_clip(120.0, clips)["bpm"] == 120.0


def test_soundtrack_has_the_tempo_duration_beats_and_licence():
    track = build_soundtrack(131.0, 12.0, first_beat_s=0.3, tie_key="x")
    assert track.duration_s == pytest.approx(12.0, abs=1e-3)
    assert track.clip_bpm == 125.0 and track.stretch_rate == pytest.approx(131 / 125)
    assert track.beat_times[0] == pytest.approx(0.3, abs=2e-3)
    np.testing.assert_allclose(np.diff(track.beat_times), 60 / 131.0, atol=0.01)
    assert track.downbeat_times[0] == pytest.approx(0.3, abs=2e-3)
    assert set(track.downbeat_times.round(3)) <= set(track.beat_times.round(3))
    assert "GPL" in track.clip_license and track.clip_title
    assert np.abs(track.samples).max() > 0.05

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
    assert choose_clip(168.0, clips)["file"] == "fof_muldjord_chaos_god.flac"
    assert choose_clip(101.0, clips)["bpm"] in (98.0, 104.0)
    assert choose_clip(120.0, clips)["bpm"] == 120.0


def test_soundtrack_has_the_tempo_duration_beats_and_licence():
    track = build_soundtrack(131.0, 12.0, first_beat_s=0.3, clip="h2_tr808kit_demo_x2.flac")
    assert track.duration_s == pytest.approx(12.0, abs=1e-3)
    assert track.clip_bpm == 125.0 and track.stretch_rate == pytest.approx(131 / 125)
    assert track.beat_times[0] == pytest.approx(0.3, abs=2e-3)
    np.testing.assert_allclose(np.diff(track.beat_times), 60 / 131.0, atol=0.01)
    assert track.downbeat_times[0] == pytest.approx(0.3, abs=2e-3)
    assert set(track.downbeat_times.round(3)) <= set(track.beat_times.round(3))
    assert "GPL" in track.clip_license and track.clip_title
    assert np.abs(track.samples).max() > 0.05


def test_soundtracks_spread_over_clips_and_reuse_only_where_nothing_else_fits():
    from choleor.mocap.music import assign_soundtracks, retiming

    clips = [{"file": f"c{bpm}", "bpm": bpm} for bpm in (100.0, 120.0, 160.0, 170.0)]
    tempi = {
        f"t{i}": bpm for i, bpm in enumerate([100, 101, 99, 102, 119, 121, 158, 160, 162, 165, 166, 168, 169])
    }
    chosen = assign_soundtracks(tempi, clips)
    uses = {c["file"]: sum(v["file"] == c["file"] for v in chosen.values()) for c in clips}
    assert set(chosen) == set(tempi)
    # a fourth take on one clip only where every other clip within 8 % already has three
    for take, clip in chosen.items():
        if uses[clip["file"]] > 3:
            room = [c for c in clips if c is not clip and retiming(tempi[take], c["bpm"]) <= 0.08]
            assert all(uses[c["file"]] >= 3 for c in room), (take, clip["file"], uses)
    assert uses["c100.0"] == 4  # four takes near 100 BPM and nothing else within 8 %
    assert uses["c160.0"] >= 3 and uses["c170.0"] >= 3
    # order of the takes does not matter
    assert assign_soundtracks(dict(reversed(list(tempi.items()))), clips) == chosen


def test_shipped_takes_soundtracks_follow_the_reuse_rule():
    """The default library: every take's soundtrack retimed, a clip used by more than three
    takes only where no other clip within 8 % of that take has room."""
    from choleor.library import seed
    from choleor.mocap.music import retiming

    plan = seed.plan()
    clips = load_clips()
    uses: dict[str, int] = {}
    for t in plan:
        uses[t["soundtrack"]["file"]] = uses.get(t["soundtrack"]["file"], 0) + 1
    assert len(plan) == 48 and len(uses) >= 12
    for t in plan:
        if uses[t["soundtrack"]["file"]] > 3:
            fits = [
                c
                for c in clips
                if c["file"] != t["soundtrack"]["file"] and retiming(t["bpm"], c["bpm"]) <= 0.08
            ]
            assert all(uses.get(c["file"], 0) >= 3 for c in fits), t["file"]
    # the first takes of the build spread over the tempo range (slow, mid and fast songs)
    first = sorted(t["bpm"] for t in plan[:4])
    assert first[0] < 100 and first[-1] > 150


def test_source_titles_are_readable_and_distinct():
    from choleor.library import seed

    titles = {t["cmu_id"]: t["title"] for t in seed.takes()}
    assert titles["60_10"] == "Salsa, take 10 (first partner)"
    assert titles["61_10"] == "Salsa, take 10 (second partner)"
    assert titles["05_11"] == "Modern dance, take 11: sideways steps, pirouette"
    assert titles["94_07"] == "Indian dance, take 7"
    assert len(set(titles.values())) == len(titles)

"""`choleor compose --plan-only` and `choleor evaluate` against a real (small) library."""

import json
import subprocess

from tests.cli import choleor
from tests.paths import DATA

SONG = DATA / "beats" / "omsx_modern_motion.flac"


def test_compose_plan_only(library):
    out = choleor("compose", str(SONG), "--start", "5", "--end", "30", "--auto", "--plan-only", "--json")
    assert out.returncode == 0, out.stderr
    plan = json.loads(out.stdout)
    segs = plan["segments"]
    assert len(segs) >= 4 and [s["index"] for s in segs] == list(range(len(segs)))
    assert all(s["move_id"] and {"music", "energy", "tempo"} <= set(s["scores"]) for s in segs)
    assert all("transition" in s["scores"] for s in segs[1:])
    assert set(plan["metrics"]) == {
        "transition_jump",
        "energy_corr",
        "bas_music",
        "bas_motion",
        "diversity",
        "stretched",
    }
    assert 0.0 <= plan["metrics"]["stretched"] <= 1.0


def test_evaluate_compares_three_methods(library):
    out = choleor("evaluate", str(SONG), "--start", "5", "--end", "30", "--json")
    assert out.returncode == 0, out.stderr
    table = json.loads(out.stdout)
    assert set(table) == {"ours", "random", "original2020"}
    # The jump at cuts is the most visible fault; ours must beat random picks at it.
    assert table["ours"]["transition_jump"] < table["random"]["transition_jump"]


def test_compose_needs_an_output_or_plan_only(library):
    out = choleor("compose", str(SONG), "--start", "5", "--end", "30", "--auto")
    assert out.returncode != 0 and "--plan-only" in out.stderr and "Traceback" not in out.stderr


def test_compose_renders_a_video_with_cuts_on_the_segments(library, tmp_path):
    video = tmp_path / "out.mp4"
    out = choleor("compose", str(SONG), "--start", "5", "--end", "25", "--auto", "-o", str(video), "--json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["output"] == str(video) and video.stat().st_size > 10000
    segs = doc["segments"]
    assert len(doc["cuts"]) == len(segs) - 1
    assert all(abs(c - (s["start"] - segs[0]["start"])) <= 1 / 30 for c, s in zip(doc["cuts"], segs[1:]))
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "stream=codec_name,duration", "-of", "json", str(video)],
        capture_output=True,
        text=True,
        check=True,
    )
    streams = json.loads(probe.stdout)["streams"]
    assert {s["codec_name"] for s in streams} == {"h264", "aac"}
    interval = segs[-1]["end"] - segs[0]["start"]
    assert all(abs(float(s["duration"]) - interval) <= 0.05 for s in streams)

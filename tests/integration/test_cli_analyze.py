"""`choleor analyze` as a user runs it: JSON on stdout, one-line errors on stderr."""

import json

from tests.cli import choleor
from tests.paths import DATA

CLIP = DATA / "beats" / "h2_tr808kit_demo_x2.flac"


def test_analyze_prints_the_beat_grid_and_segments_as_json():
    out = choleor("analyze", str(CLIP), "--start", "5", "--end", "25", "--json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert set(doc) == {
        "duration",
        "tempo",
        "beat_confidence",
        "steady_beat",
        "beats",
        "downbeats",
        "segments",
    }
    assert doc["steady_beat"] is True and doc["beat_confidence"] > 0.9
    assert abs(doc["tempo"] - 125) < 2 and abs(doc["duration"] - 46.08) < 0.1
    assert all(s["beats"][0] in doc["downbeats"] and len(s["beats"]) == 9 for s in doc["segments"])
    assert [s["index"] for s in doc["segments"]] == sorted(s["index"] for s in doc["segments"])
    assert 3 <= doc["segments"][0]["start"] <= 8 and 22 <= doc["segments"][-1]["end"] <= 28


def test_analyze_without_interval_gives_every_unit():
    doc = json.loads(choleor("analyze", str(CLIP), "--json").stdout)
    # 46 s at 125 BPM is 96 beats: 11 or 12 full units depending on the first downbeat.
    assert 11 <= len(doc["segments"]) <= 12


def test_errors_are_one_line_and_non_zero(tmp_path):
    text = tmp_path / "notes.mp3"
    text.write_text("not music")
    for args, needle in [
        ((str(text),), "not a song or video"),
        ((str(tmp_path / "missing.mp3"),), "no such file"),
        ((str(CLIP), "--start", "5"), "both --start and --end"),
        ((str(CLIP), "--start", "20", "--end", "10"), "after --start"),
    ]:
        out = choleor("analyze", *args)
        assert out.returncode != 0 and out.stdout == ""
        lines = out.stderr.strip().splitlines()
        assert len(lines) == 1 and needle in lines[0] and "Traceback" not in out.stderr, args

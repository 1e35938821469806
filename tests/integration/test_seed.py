"""The default library: shipped mocap takes rendered and ingested through the normal path."""

import json
import subprocess
import sys

from choleor.library import seed
from tests.paths import ROOT


def test_seeding_renders_takes_and_ingests_them_once(local_stack, tmp_path):
    said = []
    first = seed.seed(tmp_path, limit=3, seconds=10, progress=lambda f, m="": said.append(m))
    assert len(first["added"]) == 3 and first["rejected"] == []
    assert first["moves"] > 0 and {"salsa", "indian dance"} <= set(first["styles"])
    assert "building the dance library: 1 of 3 dancers" in said
    assert first["build_s"] > 0 and first["songs_s"] <= first["build_s"]
    # Each source says which song it dances to, retimed to its movement tempo.
    from choleor.library import sources as src

    for source in [s for s in src.list_sources() if s["id"] in first["added"]]:  # not other tests' sources
        music = source["soundtrack"]
        assert music["file"].endswith(".flac") and music["bpm"] > 0 and 0 <= music["retimed"] < 0.3
    # The shipped songs come with it, analysed, so the first page already offers songs.
    from choleor import songs

    shipped = [s for s in songs.list_ready() if "Modern Motion" in s["title"]]
    assert len(first["songs_added"]) == 20 and shipped and shipped[0]["tempo"] > 0
    again = seed.seed(tmp_path, limit=3, seconds=10)
    assert again["added"] == [] and again["skipped"] == 3 and again["songs_added"] == []

    rows = {r["source_id"]: r for r in seed.pose_accuracy()}
    for source_id in first["added"]:
        r = rows[source_id]
        assert r["detected"] > 0.95 and r["mean_error"] < 0.05, r


def test_library_stats_cli(local_stack):
    out = subprocess.run(
        [sys.executable, "-m", "choleor.cli", "library", "stats", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    stats = json.loads(out.stdout)
    wanted = {"sources", "moves", "styles", "duration_s", "tempo_histogram", "soundtracks", "build"}
    assert wanted <= set(stats)
    assert stats["moves"] >= 0
    assert sum(b["moves"] for b in stats["tempo_histogram"]) <= stats["moves"]
    assert all(b["to_bpm"] - b["from_bpm"] == 10 for b in stats["tempo_histogram"])

"""The default library: shipped mocap takes rendered and ingested through the normal path."""

import json
import subprocess
import sys

from choleor.library import seed
from tests.paths import ROOT


def test_seeding_renders_takes_and_ingests_them_once(local_stack, tmp_path):
    first = seed.seed(tmp_path, limit=3, seconds=10)
    assert len(first["added"]) + len(first["rejected"]) == 3 and len(first["added"]) >= 2
    assert all("too short" in r["error"] for r in first["rejected"])
    assert first["moves"] > 0 and "modern dance" in first["styles"]
    # The shipped songs come with it, analysed, so the first page already offers songs.
    from choleor import songs

    shipped = [s for s in songs.list_ready() if "Modern Motion" in s["title"]]
    assert len(first["songs_added"]) == 8 and shipped and shipped[0]["tempo"] > 0
    again = seed.seed(tmp_path, limit=3, seconds=10)
    assert again["added"] == [] and again["skipped"] == len(first["added"]) and again["songs_added"] == []

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
    assert set(stats) == {"sources", "moves", "styles", "duration_s", "seeding"} and stats["moves"] >= 0

"""Peak memory of a 60 s 720p ingest with the lite pose model, in a child process (Pi budget 1.5 GB)."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path

from tests.paths import DATA, ROOT

BUDGET = 1.5 * 2**30

CHILD = """
import json, sys, time
from choleor.library.ingest import ingest_file
t = time.perf_counter()
r = ingest_file(sys.argv[1], source_id="srcmemory", variant="lite")
print(json.dumps({"frames": r.frames, "moves": len(r.moves), "seconds": time.perf_counter() - t}))
"""


def video_60s_720p(out_dir: Path) -> Path:
    from choleor.mocap.render_take import render_take

    half = out_dir / "indian-30s.mp4"
    render_take(DATA / "mocap" / "cmu94_01_indian-dance_max.bvh", half, width=1280, height=720, seconds=30)
    out = out_dir / "indian-60s-720p.mp4"
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-y",
            "-stream_loop",
            "1",
            "-i",
            str(half),
            "-t",
            "60",
            "-c",
            "copy",
            str(out),
        ],
        check=True,
    )
    return out


def tree_rss(pid: int) -> int:
    """Resident bytes of a process and all its descendants (ffmpeg decoders included)."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            for line in open(f"/proc/{p}/status"):
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, ValueError):
            continue
    return total


def test_a_60s_720p_lite_ingest_fits_a_pi(tmp_path, artifacts):
    video = video_60s_720p(tmp_path)
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(video)], stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    peak = 0
    while proc.poll() is None:
        peak = max(peak, tree_rss(proc.pid))
        time.sleep(0.05)
    out = json.loads(proc.stdout.read().strip().splitlines()[-1])
    assert proc.returncode == 0
    child_max = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024  # largest single process
    figure = {
        "video": "60 s 1280x720 30 fps",
        "model": "lite",
        **out,
        "peak_tree_rss_mb": round(peak / 2**20),
        "peak_process_rss_mb": round(child_max / 2**20),
    }
    (artifacts / "edge_memory.json").write_text(json.dumps(figure, indent=1))
    print(figure)
    assert out["moves"] > 0
    assert peak <= BUDGET, figure

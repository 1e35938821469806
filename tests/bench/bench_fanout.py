"""Render fan-out under SAM local: a choreography's pieces as parallel RenderFunction invocations,
against the same pieces invoked one at a time, in the same run.

The app runs as `make sam` runs it (scripts/sam_local.py: start-lambda starts a fresh container
per invocation, as Lambda does). A two-take library is ingested and a song analysed through the
API; a choreography over the song's first PARTS segments is auto-filled (which draws its pieces
in parallel, as a person's picks do). Then, each round, the pieces are taken out of storage and
drawn again by invoking RenderFunction through start-lambda with a `render.piece` job each: all
at once (the fan-out), and one after another (what one long invocation would do, plus a
container start per piece). Per piece: one invocation's time, container start included. The
join: the render job once every piece is stored.

    python -m tests.bench.bench_fanout [--parts 8] [--repeats 2]

Also measured: as many at a time as this machine has cores. Guard: all pieces at once / one at a
time <= 1.3 (the fan-out is no slower, with room for noise). Here every container's start-up,
fetches and drawing share the machine's 2 cores, so little speed-up is possible; on Lambda each
invocation has cores of its own.
Skips, saying what to run, without the SAM setup (`make sam-images`).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import requests

from tests.bench.ratios import Row, failed, table
from tests.integration import sam_app
from tests.paths import DATA

GUARD = 1.3  # no slower than one at a time, with room for noise: see the docstring
PARTS = 8
SONG = DATA / "beats" / "h2_tr808kit_demo_x2.flac"  # 125 BPM: a part is 8 beats, 3.84 s


@contextmanager
def stack_env(app: sam_app.SamApp):
    """This process speaks to the app's DynamoDB Local and s3rver (the functions' own settings)."""
    from choleor.stack.servers import S3RVER_KEY

    params = json.loads((app.logs / "sam-env.json").read_text())["Parameters"]
    env = {
        **{k: v for k, v in params.items() if k.startswith(("CHOLEOR_TABLE_", "CHOLEOR_BUCKET", "AWS_"))},
        "AWS_ACCESS_KEY_ID": S3RVER_KEY,
        "AWS_SECRET_ACCESS_KEY": S3RVER_KEY,
        "AWS_REGION": "us-east-1",
    }
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield params["AWS_ENDPOINT_URL_LAMBDA"]
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def wait_pieces(prefix: str, n: int, timeout: float = 900.0) -> None:
    from choleor.storage import objects

    deadline = time.monotonic() + timeout
    while len(objects.list_keys(prefix)) < n:
        if time.monotonic() > deadline:
            raise AssertionError(f"{n} pieces not stored under {prefix} in {timeout} s")
        time.sleep(1)


def choreography(app: sam_app.SamApp, parts: int) -> tuple[str, dict]:
    """An auto-filled choreography over the song's first `parts` segments; (id, token header)."""
    song = sam_app.add_song(app, SONG)
    segs = song["analysis"]["segments"][:parts]
    assert len(segs) == parts, f"the song has {len(segs)} segments, not {parts}"
    r = requests.post(
        f"{app.url}/api/choreographies",
        json={"song_id": song["id"], "start": segs[0]["start"], "end": segs[-1]["end"]},
        timeout=60,
    )
    assert r.status_code == 201, r.text
    cid, h = r.json()["id"], {"X-Choreo-Token": r.json()["token"]}
    filled = requests.post(f"{app.url}/api/choreographies/{cid}/auto", json={}, headers=h, timeout=60)
    assert filled.status_code == 200 and filled.json()["complete"], filled.text
    return cid, h


def draw_round(lambda_url: str, cid: str, parts: int, width: int) -> tuple[float, list[float]]:
    """Every piece taken out of storage, then drawn by its own RenderFunction invocation,
    `width` invocations at a time; (wall time of the round, each invocation's time)."""
    from choleor.jobs import store
    from choleor.stack import sam
    from choleor.storage import objects

    prefix = f"renders/{cid}/pieces/"
    objects.delete_prefix(prefix)
    tag = uuid.uuid4().hex[:8]
    job_ids = [
        store.create("render.piece", {"choreo_id": cid, "k": k}, f"bench-{tag}-{k}").id for k in range(parts)
    ]

    def invoke(job_id: str) -> float:
        t = time.perf_counter()
        payload, errored = sam.invoke(lambda_url, "RenderFunction", {"job_id": job_id}, timeout=900)
        assert not errored and "error" not in payload, payload
        return time.perf_counter() - t

    start = time.perf_counter()
    with ThreadPoolExecutor(width) as pool:
        each = list(pool.map(invoke, job_ids))
    wall = time.perf_counter() - start
    assert len(objects.list_keys(prefix)) == parts
    return wall, each


def run(parts: int = PARTS, repeats: int = 2) -> dict:
    from tests.api_client import wait_job

    with tempfile.TemporaryDirectory(prefix="bench-fanout-") as tmp:
        app = sam_app.start(Path(tmp) / "data")
        try:
            sam_app.ingest_library(app, Path(tmp))
            with stack_env(app) as lambda_url:
                cid, h = choreography(app, parts)
                wait_pieces(f"renders/{cid}/pieces/", parts)  # the auto-fill's own fan-out
                r = requests.post(f"{app.url}/api/choreographies/{cid}/render", headers=h, timeout=60)
                job = wait_job(app.url, r.json()["job"]["id"], timeout=900)
                assert job["status"] == "done" and job["result"]["pieces_drawn"] == [], job
                join = job["result"]["render_seconds"]
                rounds = []
                widths = sorted({1, min(os.cpu_count() or 1, parts), parts})
                for _ in range(repeats):
                    for width in widths:
                        wall, each = draw_round(lambda_url, cid, parts, width)
                        rounds.append({"width": width, "wall": wall, "each": each})
        finally:
            app.stop()
    return {"parts": parts, "join": join, "rounds": rounds, "cores": os.cpu_count()}


def walls(result: dict, width: int) -> list[float]:
    return [r["wall"] for r in result["rounds"] if r["width"] == width]


def ratio_rows(result: dict) -> list[Row]:
    n = result["parts"]
    one = walls(result, 1)
    return [
        Row(
            f"{n} pieces, {w} invocations at a time (best of {len(walls(result, w))})",
            min(walls(result, w)),
            min(one),
            "the same pieces, one invocation at a time",
            guard=GUARD if w == n else None,
        )
        for w in sorted({r["width"] for r in result["rounds"]} - {1})
    ]


def report(result: dict) -> str:
    n, join = result["parts"], result["join"]
    notes = [f"{result['cores']} cores; {n} pieces of 8 beats at 125 BPM (3.84 s, 115 frames of 720p each)"]
    for w in sorted({r["width"] for r in result["rounds"]}):
        rounds = [r for r in result["rounds"] if r["width"] == w]
        each = [t for r in rounds for t in r["each"]]
        notes += [
            f"{w} at a time: all pieces "
            + ", ".join(f"{r['wall']:.1f} s" for r in rounds)
            + f"; one invocation (container start included) median {statistics.median(each):.1f} s, "
            f"range {min(each):.1f}–{max(each):.1f} s",
        ]
    one = walls(result, 1)
    for w in sorted({r["width"] for r in result["rounds"]} - {1}):
        notes.append(
            f"speed-up, {w} at a time, per round: "
            + ", ".join(f"{a / b:.2f}" for a, b in zip(one, walls(result, w)))
        )
    notes.append(
        f"the join (render job, every piece stored): {join:.1f} s; whole render, {n} at a time + join: "
        f"{min(walls(result, n)) + join:.1f} s, one at a time + join: {min(one) + join:.1f} s"
    )
    return table(ratio_rows(result), notes)


def test_render_fanout_under_sam():
    why = sam_app.missing_setup()
    if why:
        import pytest

        pytest.skip(f"{why}: run `make sam-images` to measure the render fan-out under SAM")
    result = run(repeats=1)
    print("\n" + report(result))
    assert not failed(ratio_rows(result))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--parts", type=int, default=PARTS)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    why = sam_app.missing_setup()
    if why:
        raise SystemExit(f"{why}: run `make sam-images` to measure the render fan-out under SAM")
    result = run(args.parts, args.repeats)
    print(json.dumps(result, indent=2) if args.json else report(result))


if __name__ == "__main__":
    main()

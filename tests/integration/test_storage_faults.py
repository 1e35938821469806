"""Storage that dies or stalls in the middle of a job, under a real `choleor serve`.

s3rver and DynamoDB Local are killed (SIGKILL) or frozen (SIGSTOP) while a song is analysed.
Each time: health answers within 2 s and says which part is down, the job completes or fails
with a message that shows no internal address, a dead server is started again (and not left a
zombie), and asking for the analysis again (what the page's "Try again" does) makes the song ready.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.paths import DATA, ROOT

RETRY_SECONDS = 8  # the serve under test retries storage for this long inside a job


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def serve(tmp_path_factory):
    data = tmp_path_factory.mktemp("faults")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(CHOLEOR_STORAGE_RETRY_SECONDS=str(RETRY_SECONDS), PYTHONUNBUFFERED="1")
    log = open(data / "serve.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "choleor.cli", "--data", str(data), "serve", "--port", str(port), "--no-seed"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    while True:
        assert proc.poll() is None, (data / "serve.log").read_text()
        try:
            if requests.get(f"{url}/api/health", timeout=3).status_code == 200:
                break
        except requests.ConnectionError:
            pass
        assert time.time() < deadline, "serve did not become healthy"
        time.sleep(0.3)
    yield {"url": url, "pid": proc.pid, "data": data}
    for pid in children(proc.pid).values():  # a test may have left one frozen
        try:
            os.kill(pid, signal.SIGCONT)
        except ProcessLookupError:
            pass
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    log.close()


def children(pid: int) -> dict[str, int]:
    """The local servers `pid` started: {"s3": pid, "dynamodb": pid} (live or zombie)."""
    out = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) != pid:
            continue
        if "s3rver" in cmd:
            out["s3"] = int(entry.name)
        elif "DynamoDBLocal" in cmd:
            out["dynamodb"] = int(entry.name)
    return out


def is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return False


@pytest.fixture(scope="module")
def long_song(tmp_path_factory) -> Path:
    """Eight minutes of real music (a shipped clip looped), so there is time to break things."""
    out = tmp_path_factory.mktemp("faults-media") / "long.mp3"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-stream_loop", "-1", "-i", str(DATA / "beats" / "omsx_modern_motion.flac"),
         "-t", "480", "-ac", "1", "-b:a", "64k", str(out)],
        check=True,
    )  # fmt: skip
    return out


def upload(url: str, path: Path) -> str:
    data = path.read_bytes()
    made = requests.post(
        f"{url}/api/songs", json={"filename": path.name, "size": len(data)}, timeout=10
    ).json()
    r = requests.put(made["upload"]["url"], data=data, headers=made["upload"]["headers"], timeout=60)
    assert r.status_code == 200
    return made["song"]["id"]


def analyse_until_running(url: str, song_id: str) -> str:
    """Start the analysis and return its job id once the file is fetched and the work has begun."""
    job = requests.post(f"{url}/api/songs/{song_id}/analyze", timeout=30).json()["job"]
    deadline = time.time() + 60
    while time.time() < deadline:
        now = requests.get(f"{url}/api/jobs/{job['id']}", timeout=10).json()
        if now["status"] == "running" and now["progress"] >= 0.05:
            return job["id"]
        assert now["status"] in ("queued", "running"), now
        time.sleep(0.05)
    raise AssertionError("the analysis did not start")


def wait_job(url: str, job_id: str, timeout: float) -> dict:
    """Poll the job as the page does (an answer of 503 while storage comes back is polled again)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        r = requests.get(f"{url}/api/jobs/{job_id}", timeout=10)
        if r.status_code == 200 and r.json()["status"] in ("done", "failed"):
            return r.json()
        assert r.status_code in (200, 503), r.text
        no_address(r.text)
        time.sleep(0.3)
    raise AssertionError(f"job {job_id} did not end in {timeout} s")


def health(url: str) -> tuple[float, dict]:
    start = time.perf_counter()
    r = requests.get(f"{url}/api/health", timeout=10)
    return time.perf_counter() - start, r.json()


def no_address(*texts) -> None:
    for text in texts:
        assert "127.0.0.1" not in str(text) and "http://" not in str(text), text


def finish_or_retry(url: str, song_id: str, job_id: str) -> dict:
    """Wait for the job; if it failed, the song says so and asking again makes it ready."""
    job = wait_job(url, job_id, timeout=240)
    no_address(job.get("error"), job.get("message"))
    wait_healthy(url)
    song = requests.get(f"{url}/api/songs/{song_id}", timeout=10).json()
    if job["status"] == "failed":
        assert job["error_status"] == 503, job
        assert song["status"] == "failed" and "try again" in song["error"], song
        no_address(song)
        again = requests.post(f"{url}/api/songs/{song_id}/analyze", timeout=30).json()["job"]
        assert again["id"] != job_id
        assert wait_job(url, again["id"], timeout=240)["status"] == "done"
        song = requests.get(f"{url}/api/songs/{song_id}", timeout=10).json()
    assert song["status"] == "ready", song
    return job


def wait_healthy(url: str, timeout: float = 90) -> None:
    deadline = time.time() + timeout
    while not health(url)[1]["ok"]:
        assert time.time() < deadline, health(url)
        time.sleep(0.5)


@pytest.mark.parametrize("server", ["s3", "dynamodb"])
def test_a_server_killed_mid_analysis_is_started_again_and_the_song_gets_ready(serve, long_song, server):
    url = serve["url"]
    wait_healthy(url)
    song_id = upload(url, long_song)
    job_id = analyse_until_running(url, song_id)
    victim = children(serve["pid"])[server]
    os.kill(victim, signal.SIGKILL)
    took, state = health(url)
    assert took < 2.0, f"health took {took:.1f} s"
    assert not state["ok"] and not state[server]["ok"], state
    no_address(state)
    finish_or_retry(url, song_id, job_id)
    wait_healthy(url)
    now = children(serve["pid"])
    assert now[server] != victim and not is_zombie(victim), "the dead server was not replaced or not reaped"


@pytest.mark.parametrize("server", ["s3", "dynamodb"])
def test_a_server_frozen_mid_analysis_then_back(serve, long_song, server):
    """Frozen past the retry window: a clean failure (or completion), then a retry that works."""
    url = serve["url"]
    wait_healthy(url)
    song_id = upload(url, long_song)
    job_id = analyse_until_running(url, song_id)
    frozen = children(serve["pid"])[server]
    os.kill(frozen, signal.SIGSTOP)
    try:
        took, state = health(url)
        assert took < 2.0, f"health took {took:.1f} s while {server} was frozen"
        assert not state["ok"] and not state[server]["ok"], state
        no_address(state)
        time.sleep(RETRY_SECONDS + 25)  # longer than the job keeps retrying
    finally:
        os.kill(frozen, signal.SIGCONT)
    finish_or_retry(url, song_id, job_id)

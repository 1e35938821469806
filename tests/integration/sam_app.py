"""The app under `make sam` (scripts/sam_local.py) in a child process, for the SAM tests.

The child owns the whole setup (images, local stack on the podman bridge, start-lambda,
start-api); the tests only speak HTTP to it, as a browser would, and read SAM's logs.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import requests

from tests.paths import ROOT

ADMIN_KEY = "sam-test-admin-key"
READY = "Choleor runs under SAM at"  # what scripts/sam_local.py prints once everything answers
# `make test` sets this: there the SAM setup ran first, so a missing piece is a failure, not a skip.
REQUIRED = os.environ.get("CHOLEOR_REQUIRE_SAM") == "1"


def missing_setup() -> str | None:
    """Why the SAM tests cannot run here (None when podman, the SAM CLI and the images are set up)."""
    import shutil

    if not shutil.which("podman"):
        return "podman is not installed"
    if not (ROOT / ".sam-venv" / "bin" / "sam").exists():
        return "the SAM CLI is not installed in .sam-venv"
    out = subprocess.run(["podman", "image", "exists", "localhost/choleor-heavy:x86_64"], capture_output=True)
    if out.returncode != 0:
        return "the Lambda base images are not built"
    return None


def skip_unless_set_up() -> None:
    """Skip, saying what to run, when the SAM setup is missing, except under `make test`."""
    import pytest

    why = missing_setup()
    if why and not REQUIRED:
        pytest.skip(f"{why}: run `make sam-images` (podman, the SAM CLI, the images) to run the SAM tests")


@dataclass
class SamApp:
    url: str
    data: Path
    proc: subprocess.Popen

    @property
    def logs(self) -> Path:
        return self.data / "logs"

    def invocations(self, image: str) -> int:
        """How many containers start-lambda started from a function's image (one per invocation)."""
        text = (self.logs / "sam-lambda.log").read_text(errors="replace")
        return len(re.findall(rf"Invoking Container created from {image}:", text))

    def api_requests(self) -> set[tuple[str, str]]:
        """The (method, path) of every request start-api has served."""
        text = re.sub(r"\x1b\[[\d;]*m", "", (self.logs / "sam-api.log").read_text(errors="replace"))
        return {(m, p.split("?")[0]) for m, p in re.findall(r'"([A-Z]+) (\S+) HTTP/[\d.]+" \d{3}', text)}

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(data: Path, timeout: float = 900.0) -> SamApp:
    port = _free_port()
    log = open(data.parent / f"{data.name}-sam-local.log", "wb")
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "scripts" / "sam_local.py"), "--port", str(port)]
        + ["--data", str(data), "--no-seed"],
        env={**os.environ, "CHOLEOR_ADMIN_KEY": ADMIN_KEY},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    app = SamApp(f"http://127.0.0.1:{port}", data, proc)
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise AssertionError(f"sam_local.py exited: {Path(log.name).read_text()[-3000:]}")
        # Ready when the child says so (start-lambda and start-api both answer), not at the
        # API's first answer: a job queued before start-lambda is up would fail.
        if READY in Path(log.name).read_text(errors="replace"):
            try:
                if requests.get(app.url + "/api/health", timeout=30).status_code == 200:
                    return app
            except requests.RequestException:
                pass
        if time.monotonic() > deadline:
            app.stop()
            raise AssertionError(f"the app under SAM did not answer: {Path(log.name).read_text()[-3000:]}")
        time.sleep(1)


def upload(app: SamApp, route: str, path, headers: dict | None = None, **fields) -> dict:
    data = path.read_bytes()
    out = requests.post(
        f"{app.url}{route}",
        json={"filename": path.name, "size": len(data), **fields},
        headers=headers or {},
        timeout=60,
    )
    assert out.status_code == 201, out.text
    out = out.json()
    put = requests.put(out["upload"]["url"], data=data, headers=out["upload"]["headers"], timeout=60)
    assert put.status_code == 200, put.text
    return out


def ingest_library(app: SamApp, media: Path, takes=("salsa", "modern"), seconds: float = 14) -> list[dict]:
    """Dance takes uploaded and ingested through the API (IngestDanceFunction); returns the moves."""
    from tests.api_client import wait_job
    from tests.media import dance_video

    admin = {"X-Admin-Key": ADMIN_KEY}
    jobs = []
    for take in takes:
        src = upload(app, "/api/sources", dance_video(media, take, seconds), admin, style=take)["source"]
        r = requests.post(f"{app.url}/api/sources/{src['id']}/ingest", headers=admin, timeout=60)
        assert r.status_code == 202, r.text
        jobs.append(r.json()["job"]["id"])
    for job_id in jobs:
        job = wait_job(app.url, job_id, timeout=600)
        assert job["status"] == "done", job
    return requests.get(f"{app.url}/api/moves", timeout=60).json()["moves"]


def add_song(app: SamApp, path: Path) -> dict:
    """A song uploaded and analysed (AnalyzeSongFunction); its record with its owner_token."""
    from tests.api_client import wait_job

    out = upload(app, "/api/songs", path)
    song_id = out["song"]["id"]
    r = requests.post(f"{app.url}/api/songs/{song_id}/analyze", timeout=60)
    assert r.status_code == 202, r.text
    job = wait_job(app.url, r.json()["job"]["id"], timeout=600)
    assert job["status"] == "done", job
    return {
        **requests.get(f"{app.url}/api/songs/{song_id}", timeout=60).json(),
        "owner_token": out["owner_token"],
    }

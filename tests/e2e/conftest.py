"""End-to-end fixtures: `choleor serve` as a subprocess, a seeded dance library, headless Chromium.

Chromium is Debian's (/usr/bin/chromium), driven by Playwright for Python; no browser is ever
downloaded. Set CHOLEOR_E2E_URL=http://127.0.0.1:PORT to run against a serve you started yourself
(its library must already hold a few moves and its admin key must be CHOLEOR_E2E_KEY, default e2e-key).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.browser import Watch
from tests.paths import ARTIFACTS, DATA

ADMIN_KEY = os.environ.get("CHOLEOR_E2E_KEY", "e2e-key")
SONG_CLIP = DATA / "beats" / "h2_tr808kit_demo_x2.flac"
SEED_TAKES = ("salsa", "indian", "modern")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _clean_env(data: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.pop("CHOLEOR_DATA", None)
    env["CHOLEOR_ADMIN_KEY"] = ADMIN_KEY
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _cli(data: Path) -> list[str]:
    return [sys.executable, "-m", "choleor.cli", "--data", str(data)]


def _wait_healthy(url: str, proc: subprocess.Popen | None, log: Path, timeout: float = 180.0) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"choleor serve exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if requests.get(f"{url}/api/health", timeout=5).json().get("ok"):
                return
        except (requests.RequestException, ValueError):
            pass
        time.sleep(0.5)
    raise RuntimeError(f"choleor serve did not become healthy in {timeout} s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="session")
def e2e_media(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("e2e-media")


@pytest.fixture(scope="session")
def served(tmp_path_factory, e2e_media):
    """The whole app on a free port with its own data dir, the library seeded through the real CLI.

    Yields (url, data directory); the directory is None for a serve started elsewhere.
    """
    external = os.environ.get("CHOLEOR_E2E_URL")
    if external:
        yield external.rstrip("/"), None
        return
    from tests.media import dance_video

    for tool in ("ffmpeg", "ffprobe"):
        if not shutil.which(tool):
            pytest.fail(f"{tool} is needed for the end-to-end tests")
    data = tmp_path_factory.mktemp("e2e-data")
    env = _clean_env(data)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    ARTIFACTS.mkdir(exist_ok=True)
    log = ARTIFACTS / "e2e-serve.log"
    cmd = [*_cli(data), "serve", "--port", str(port)]
    # the library is seeded below with known videos, not with serve's default library
    helptext = subprocess.run(
        [*_cli(data), "serve", "--help"], env=env, capture_output=True, text=True
    ).stdout
    if "--no-seed" in helptext:
        cmd.append("--no-seed")
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, env=env, cwd=str(DATA.parent), stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_healthy(url, proc, log)
        for take in SEED_TAKES:
            video = dance_video(e2e_media, take, 12.0)
            subprocess.run(
                [*_cli(data), "ingest", str(video), "--style", "salsa"],
                env=env,
                check=True,
                cwd=str(DATA.parent),
                stdout=subprocess.DEVNULL,
                timeout=300,
            )
        yield url, data
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.terminate()
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


@pytest.fixture(scope="session")
def serve(served) -> str:
    """The app's URL."""
    return served[0]


class ServeStorage:
    """The S3 of the serve under test (its endpoints are in the data directory's stack.json)."""

    def __init__(self, data: Path):
        import boto3

        stack = json.loads((data / "stack.json").read_text())
        self.data = data
        self.bucket = "choleor-media"
        self.s3 = boto3.client(
            "s3",
            endpoint_url=stack["s3"],
            aws_access_key_id="S3RVER",
            aws_secret_access_key="S3RVER",
            region_name="us-east-1",
        )

    def take_away(self, prefix: str) -> dict[str, bytes]:
        """Remove every object under `prefix` and serve's cached copies of them; returns them."""
        listed = self.s3.list_objects_v2(Bucket=self.bucket, Prefix=prefix).get("Contents", [])
        taken = {}
        for obj in listed:
            taken[obj["Key"]] = self.s3.get_object(Bucket=self.bucket, Key=obj["Key"])["Body"].read()
            self.s3.delete_object(Bucket=self.bucket, Key=obj["Key"])
            for cached in (self.data / "cache").glob(obj["Key"].replace("/", "_") + "*"):
                cached.unlink()
        return taken

    def put_back(self, taken: dict[str, bytes]) -> None:
        for key, body in taken.items():
            self.s3.put_object(Bucket=self.bucket, Key=key, Body=body)


@pytest.fixture(scope="session")
def library_of_more_than(served, e2e_media):
    """library_of_more_than(n): more dance videos ingested through the CLI until the served library
    holds more than n moves; returns its move count."""
    from tests.media import dance_video

    def grow(n: int) -> int:
        url, data = served
        moves = requests.get(f"{url}/api/library", timeout=10).json()["moves"]
        for take in SEED_TAKES:
            if moves > n:
                break
            if data is None:
                pytest.skip(f"needs a library of more than {n} moves (CHOLEOR_E2E_URL is set)")
            video = dance_video(e2e_media, take, 16.0)
            subprocess.run(
                [*_cli(data), "ingest", str(video), "--style", take],
                env=_clean_env(data),
                check=True,
                cwd=str(DATA.parent),
                stdout=subprocess.DEVNULL,
                timeout=300,
            )
            moves = requests.get(f"{url}/api/library", timeout=10).json()["moves"]
        return moves

    return grow


@pytest.fixture(scope="session")
def serve_storage(served) -> ServeStorage:
    if served[1] is None:
        pytest.skip("needs the storage of a serve this session started (CHOLEOR_E2E_URL is set)")
    return ServeStorage(served[1])


@pytest.fixture(scope="session")
def song_mp3(e2e_media) -> Path:
    """A shipped clip (30 s of it) as an MP3, as a dancer would upload it."""
    out = e2e_media / "tr808-demo.mp3"
    if not out.exists():
        subprocess.run(
            [
                "ffmpeg",
                "-v",
                "error",
                "-y",
                "-i",
                str(SONG_CLIP),
                "-t",
                "30",
                "-c:a",
                "libmp3lame",
                "-b:a",
                "128k",
                str(out),
            ],
            check=True,
        )
    return out


@pytest.fixture(scope="session")
def analysed_song(serve, song_mp3) -> dict:
    """The same song uploaded and analysed through the API (for tests that start at step 2)."""
    from tests.api_client import wait_job

    created = requests.post(
        f"{serve}/api/songs",
        json={"filename": "api-song.mp3", "size": song_mp3.stat().st_size, "title": "Drum machine demo"},
        timeout=10,
    )
    created.raise_for_status()
    body = created.json()
    up = body["upload"]
    requests.put(up["url"], data=song_mp3.read_bytes(), headers=up["headers"], timeout=60).raise_for_status()
    job = requests.post(f"{serve}/api/songs/{body['song']['id']}/analyze", timeout=10).json()["job"]
    assert wait_job(serve, job["id"])["status"] == "done"
    return requests.get(f"{serve}/api/songs/{body['song']['id']}", timeout=10).json()


@pytest.fixture
def make_page(browser, serve):
    """make_page(width=1100, height=900) -> (page, watch); every page must end with a clean console."""
    made = []

    def make(width: int = 1100, height: int = 900, **kw):
        # The tests' own `wait_for_function` predicates are strings the page evaluates, which its
        # Content-Security-Policy forbids; test_every_page_loads_with_a_clean_console runs under it.
        kw.setdefault("bypass_csp", True)
        context = browser.new_context(
            viewport={"width": width, "height": height}, base_url=serve, accept_downloads=True, **kw
        )
        context.set_default_timeout(30_000)
        page = context.new_page()
        watch = Watch(page)
        made.append((context, watch))
        return page, watch

    yield make
    errors = [e for _, w in made for e in w.errors]
    storms = {job: n for _, w in made for job, n in w.max_in_flight.items() if n > 1}
    for context, _ in made:
        context.close()
    assert not errors, "the browser console had errors:\n" + "\n".join(errors)
    assert not storms, f"more than one poll in flight for a job: {storms}"


@pytest.fixture
def page(make_page):
    return make_page()[0]


@pytest.fixture(scope="session")
def shots():
    """shots(page, name): a full-page screenshot in test-artifacts/."""
    ARTIFACTS.mkdir(exist_ok=True)

    def shot(page, name: str):
        page.wait_for_timeout(150)
        page.screenshot(path=str(ARTIFACTS / f"e2e-{name}.png"), full_page=True)

    return shot

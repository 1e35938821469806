"""Shared fixtures: the real local servers, started once per test session."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
ARTIFACTS = ROOT / "test-artifacts"

# Tests import helper modules as tests.<...>; subprocesses get the same path.
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


@pytest.fixture(scope="session")
def local_stack(tmp_path_factory):
    """DynamoDB Local and s3rver on free ports, provisioned from template.yaml."""
    from choleor.stack.session import owned_stack

    saved = {
        k: os.environ.get(k)
        for k in (
            "AWS_ENDPOINT_URL_DYNAMODB",
            "AWS_ENDPOINT_URL_S3",
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_REGION",
        )
    }
    data = tmp_path_factory.mktemp("stack")
    with owned_stack(data) as stack:
        yield stack
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def api(local_stack):
    """The real HTTP app (Chalice's local server + static files) with job worker threads."""
    import socket
    import threading

    from choleor.cli.webserver import load_chalice_app, make_server
    from choleor.jobs import dispatch

    os.environ.setdefault("CHOLEOR_ADMIN_KEY", "test-admin-key")
    # No periodic sweep: API jobs reach the workers directly, and a sweeper would also take up
    # the jobs that tests/integration/test_jobs.py leaves queued or expired on purpose.
    workers = dispatch.ThreadDispatcher(workers=2, sweep_interval=3600).start()
    dispatch.set_dispatcher(workers)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = make_server(load_chalice_app(ROOT / "functions" / "api"), ROOT / "frontend", "127.0.0.1", port)
    thread = threading.Thread(target=server.server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.shutdown()
    workers.stop()
    dispatch.set_dispatcher(None)


def wait_job(api_url: str, job_id: str, timeout: float = 180.0) -> dict:
    """Poll a job as the front end does, until it ends."""
    import time

    import requests

    deadline = time.time() + timeout
    while time.time() < deadline:
        job = requests.get(f"{api_url}/api/jobs/{job_id}", timeout=10).json()
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not end in {timeout} s: {job}")


@pytest.fixture(scope="session")
def library(local_stack, tmp_path_factory):
    """A small real library: three mannequin takes ingested through the normal path."""
    from choleor.library import sources
    from tests.media import dance_video

    media = tmp_path_factory.mktemp("library-media")
    out = []
    for take, style in (("salsa", "salsa"), ("indian", "indian"), ("modern", "modern")):
        out.append(sources.ingest_local(dance_video(media, take, 14), style=style))
    return out


@pytest.fixture(scope="session")
def ready_song(api):
    """A shipped song uploaded and analysed through the API; returns its id."""
    import requests

    clip = DATA / "beats" / "omsx_modern_motion.flac"
    data = clip.read_bytes()
    out = requests.post(
        f"{api}/api/songs", json={"filename": clip.name, "size": len(data)}, timeout=10
    ).json()
    requests.put(out["upload"]["url"], data=data, headers=out["upload"]["headers"], timeout=30)
    job = requests.post(f"{api}/api/songs/{out['song']['id']}/analyze", timeout=30).json()["job"]
    assert wait_job(api, job["id"])["status"] == "done"
    return out["song"]["id"]

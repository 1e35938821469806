"""Shared fixtures (the real local servers, started once per test session) and the markers each
folder's tests carry. Helpers the tests import live in modules of their own (tests.paths,
tests.api_client, tests.cli, tests.media), not here.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.api_client import wait_job
from tests.paths import ARTIFACTS, DATA, ROOT

# Every test in these folders carries these markers (`-m "not slow"` runs the unit tests alone).
FOLDER_MARKERS = {
    "integration": ("integration", "slow"),
    "e2e": ("e2e", "slow"),
    "bench": ("bench", "slow"),
}


def pytest_collection_modifyitems(items) -> None:
    tests = Path(__file__).parent
    for item in items:
        folder = item.path.relative_to(tests).parts[0]
        for name in FOLDER_MARKERS.get(folder, ()):
            item.add_marker(name)


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
def browser():
    """One headless Chromium for the whole run: Playwright's sync API allows one instance per
    thread, so the e2e pages and the SAM test's browser walk share it."""
    from tests.browser import CHROMIUM, chromium

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is needed (apt-get install chromium)")
    with chromium() as b:
        yield b


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
    from choleor.storage import objects

    os.environ.setdefault("CHOLEOR_ADMIN_KEY", "test-admin-key")
    # No periodic sweep: API jobs reach the workers directly, and a sweeper would also take up
    # the jobs that tests/integration/test_jobs.py leaves queued or expired on purpose.
    workers = dispatch.ThreadDispatcher(workers=2, sweep_interval=3600).start()
    dispatch.set_dispatcher(workers)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = make_server(
        load_chalice_app(ROOT / "functions" / "api"),
        ROOT / "frontend",
        "127.0.0.1",
        port,
        storage_url=objects.origin(),
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.shutdown()
    workers.stop()
    dispatch.set_dispatcher(None)


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

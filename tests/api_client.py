"""The HTTP API as a client uses it: wait for a job the way the front end polls it."""

from __future__ import annotations

import time

import requests


def wait_job(api_url: str, job_id: str, timeout: float = 180.0) -> dict:
    """Poll a job until it ends; returns it (done or failed)."""
    deadline = time.time() + timeout
    job: dict = {}
    while time.time() < deadline:
        job = requests.get(f"{api_url}/api/jobs/{job_id}", timeout=10).json()
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not end in {timeout} s: {job}")

"""Sync to a second local stack playing the cloud: offline first, retried, uploaded once."""

from __future__ import annotations

import json
import os
import subprocess

from choleor.edge.bus import MemoryBus
from choleor.edge.cloud import Cloud, CloudTarget
from choleor.edge.device import Device
from choleor.edge.sync import Backoff, Syncer
from choleor.stack.servers import S3RVER_KEY, LocalStack, free_port
from choleor.storage import objects, records
from tests.cli import argv
from tests.paths import ROOT


def provision_cloud(stack: LocalStack) -> None:
    """provision() reads the process env: point it at the cloud for the call, then put it back."""
    from choleor.stack.provision import provision
    from choleor.storage import aws

    saved = {k: os.environ.get(k) for k in stack.env()}
    os.environ.update(stack.env())
    aws.reset_clients()
    try:
        provision()
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        aws.reset_clients()


def test_offline_job_then_sync_uploads_once(local_stack, tmp_path):
    from tests.media import dance_video

    data = tmp_path / "device"
    cloud_stack = LocalStack(tmp_path / "cloud", dynamodb_port=free_port(), s3_port=free_port())
    target = CloudTarget(
        s3_endpoint=cloud_stack.s3_url,
        dynamodb_endpoint=cloud_stack.dynamodb_url,
        access_key=S3RVER_KEY,
        secret_key=S3RVER_KEY,
        connect_timeout=1.0,
    )

    # The cloud is away: a job still completes on the device.
    bus = MemoryBus()
    device = Device(bus, "pi", data, sweep_interval=0)
    job = device.accept(
        "source.ingest",
        {
            "job_id": "edge-sync-1",
            "params": {"path": str(dance_video(tmp_path, "modern", 12)), "style": "modern"},
        },
        wait=True,
    )
    assert job.status == "done", job.error
    sid = job.result["source_id"]

    # Sync fails softly, after retrying with backoff.
    offline = Syncer(target, data, Backoff(attempts=3, base=0.05)).run_pass()
    assert offline.error and offline.retries == 2 and offline.pending >= 1 and offline.uploaded == 0

    cloud_stack.start()
    try:
        provision_cloud(cloud_stack)
        report = Syncer(target, data, Backoff(attempts=3, base=0.05)).run_pass()
        assert report.error is None and report.sources >= 1, report

        cloud = Cloud(target)
        local_moves = records.query("moves", "source_id", sid, index="by_source")
        assert cloud.get("sources", sid)["status"] == "ready"
        for move in local_moves:
            assert cloud.get("moves", move["id"]) == move
        original = next(m["id"] for m in local_moves if not m["mirrored"])
        for prefix in (f"uploads/sources/{sid}/", f"sources/{sid}/", f"moves/{original}/"):
            assert sorted(cloud.keys(prefix)) == sorted(objects.list_keys(prefix)) != []

        # A second pass (the CLI, as a timer would run it) uploads nothing.
        env = {
            **os.environ,
            **local_stack.env(),
            "CHOLEOR_DATA": str(data),
            "PYTHONPATH": str(ROOT),
            "CHOLEOR_CLOUD_S3_ENDPOINT": cloud_stack.s3_url,
            "CHOLEOR_CLOUD_DYNAMODB_ENDPOINT": cloud_stack.dynamodb_url,
            "CHOLEOR_CLOUD_ACCESS_KEY_ID": S3RVER_KEY,
            "CHOLEOR_CLOUD_SECRET_ACCESS_KEY": S3RVER_KEY,
        }
        out = subprocess.run(
            argv("edge", "sync", "--json"), env=env, capture_output=True, text=True, timeout=120
        )
        assert out.returncode == 0, out.stderr
        again = json.loads(out.stdout)
        assert again["uploaded"] == 0 and again["skipped"] >= 1 and again["ok"]
        # Even without the journal (a lost disk), nothing is uploaded twice.
        (data / "edge" / "sync.journal").unlink()
        fresh = Syncer(target, data).run_pass()
        assert fresh.uploaded == 0 and fresh.error is None
    finally:
        cloud_stack.stop()

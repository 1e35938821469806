"""Sync against a fake cloud: idempotent, resumable after a power cut, soft when unreachable."""

from __future__ import annotations

import hashlib

import pytest
from botocore.exceptions import EndpointConnectionError

from choleor.edge.cloud import CloudTarget, is_transient
from choleor.edge.sync import Backoff, Journal, Syncer


class PowerCut(BaseException):
    pass


class FakeCloud:
    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}
        self.records: dict[tuple[str, str], dict] = {}
        self.puts: list[str] = []
        self.cut_after: int | None = None
        self.down = False

    def _net(self) -> None:
        if self.down:
            raise EndpointConnectionError(endpoint_url="http://cloud")

    def head(self, key: str) -> dict | None:
        self._net()
        data = self.objects.get(key)
        return None if data is None else {"size": len(data), "etag": hashlib.md5(data).hexdigest()}

    def put_file(self, key: str, path, content_type: str) -> None:
        self._net()
        if self.cut_after is not None and len(self.puts) >= self.cut_after:
            raise PowerCut()
        self.objects[key] = path.read_bytes()
        self.puts.append(key)

    def put_if_absent(self, logical: str, item: dict) -> bool:
        self._net()
        if (logical, item["id"]) in self.records:
            return False
        self.records[(logical, item["id"])] = item
        return True


def _local_source(sid: str) -> None:
    from choleor.storage import objects, records

    records.put(
        "sources", {"id": sid, "status": "ready", "upload_key": f"uploads/sources/{sid}/original.mp4"}
    )
    objects.put_bytes(f"uploads/sources/{sid}/original.mp4", b"video" * 100)
    objects.put_bytes(f"sources/{sid}/poses.npz", b"poses")
    objects.put_bytes(f"sources/{sid}/moves.npz", b"moves")
    for mid in (f"{sid}-0", f"{sid}-0~m"):
        records.put("moves", {"id": mid, "source_id": sid, "start": 1.5})
    objects.put_bytes(f"moves/{sid}-0/thumb.jpg", b"jpg")
    records.put("sources", {"id": "half", "status": "ingesting", "upload_key": "uploads/sources/half/x.mp4"})


def test_a_power_cut_mid_sync_loses_and_duplicates_nothing(memory_aws, tmp_path):
    _local_source("srcA")
    cloud = FakeCloud()
    cloud.cut_after = 2
    with pytest.raises(PowerCut):
        Syncer(CloudTarget(), tmp_path, cloud=cloud).run_pass()
    assert len(cloud.objects) == 2 and not cloud.records
    cloud.cut_after = None
    report = Syncer(CloudTarget(), tmp_path, cloud=cloud).run_pass()  # after the reboot
    assert report.error is None and report.sources == 1
    assert report.objects == 2 and report.records == 3  # the two left + 2 moves + the source
    assert sorted(cloud.puts) == sorted(set(cloud.puts)) and len(cloud.objects) == 4
    assert ("sources", "half") not in cloud.records  # not ready: not synced
    again = Syncer(CloudTarget(), tmp_path, cloud=cloud).run_pass()
    assert again.uploaded == 0 and again.skipped == 1


def test_an_unreachable_cloud_fails_the_pass_softly_after_backing_off(memory_aws, tmp_path):
    _local_source("srcB")
    cloud = FakeCloud()
    cloud.down = True
    delays: list[float] = []
    report = Syncer(
        CloudTarget(), tmp_path, Backoff(attempts=4, base=1.0, sleep=delays.append), cloud=cloud
    ).run_pass()
    assert report.error and "did not answer" in report.error and report.pending == 1
    assert report.retries == 3 and delays[0] < delays[1] < delays[2] <= 4.0 + 1e-9
    cloud.down = False
    assert Syncer(CloudTarget(), tmp_path, cloud=cloud).run_pass().sources == 1


def test_journal_ignores_a_torn_last_line(tmp_path):
    path = tmp_path / "sync.journal"
    Journal(path).add("source:a")
    with open(path, "a") as f:
        f.write('{"item": "sour')  # the power went mid-write
    journal = Journal(path)
    assert journal.done == {"source:a"}
    journal.add("source:b")
    assert Journal(path).done == {"source:a", "source:b"}


def test_cloud_target_from_env_and_error_classes():
    assert CloudTarget.from_env({}) is None
    t = CloudTarget.from_env({"CHOLEOR_CLOUD_BUCKET": "b", "CHOLEOR_CLOUD_TABLE_MOVES": "prod-moves"})
    assert t.bucket == "b" and t.table("moves") == "prod-moves" and t.table("sources") == "SourcesTable"
    assert t.s3_endpoint is None
    assert is_transient(EndpointConnectionError(endpoint_url="x"))

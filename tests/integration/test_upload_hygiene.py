"""What anyone can store: exactly the declared file, for an hour unless it is used, and nothing listed
before it is ready."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import requests

ADMIN = {"X-Admin-Key": "test-admin-key"}


def create(api: str, size: int, name: str = "song.mp3") -> dict:
    r = requests.post(f"{api}/api/songs", json={"filename": name, "size": size}, timeout=10)
    assert r.status_code == 201, r.text
    return r.json()


def stored(song_id: str) -> tuple[bool, list[str]]:
    from choleor.storage import objects, records

    return records.get("songs", {"id": song_id}) is not None, objects.list_keys(f"uploads/songs/{song_id}/")


def test_the_upload_url_is_signed_for_the_declared_size_and_type(api):
    made = create(api, 1234)
    signed = parse_qs(urlsplit(made["upload"]["url"]).query)["X-Amz-SignedHeaders"][0].split(";")
    assert {"content-length", "content-type"} <= set(signed)  # S3 refuses any other upload to it
    assert made["upload"]["headers"] == {"Content-Type": "audio/mpeg"}


def test_an_upload_larger_than_declared_is_refused_and_deleted(api):
    made = create(api, 1000)
    song_id = made["song"]["id"]
    body = b"\xff\xfb" * 300_000  # 600 kB against 1,000 bytes declared (s3rver takes it; S3 would not)
    requests.put(made["upload"]["url"], data=body, headers=made["upload"]["headers"], timeout=30)
    r = requests.post(f"{api}/api/songs/{song_id}/analyze", timeout=30)
    assert r.status_code == 413 and "larger than the 1,000 declared" in r.json()["error"]
    assert stored(song_id) == (False, [])


def test_a_record_whose_file_never_came_is_swept_with_any_part_stored(api):
    from choleor.songs import SONGS
    from choleor.uploads import UPLOAD_SECONDS

    never = create(api, 5000)["song"]["id"]
    partial = create(api, 5000)
    requests.put(partial["upload"]["url"], data=b"x" * 5000, headers=partial["upload"]["headers"], timeout=30)
    partial_id = partial["song"]["id"]
    SONGS.sweep_expired()  # nothing young is swept
    assert stored(never)[0] and stored(partial_id)[0]
    later = time.time() + UPLOAD_SECONDS + 60
    assert SONGS.sweep_expired(now=later) >= 2
    assert stored(never) == (False, []) and stored(partial_id) == (False, [])


def test_records_expire_in_dynamodb_too(local_stack):
    from choleor.config import table_name
    from choleor.storage import aws

    for table in ("songs", "sources"):
        ttl = aws.client("dynamodb").describe_time_to_live(TableName=table_name(table))
        assert ttl["TimeToLiveDescription"]["AttributeName"] == "expires_at", ttl


def test_unfinished_sources_are_not_listed(api):
    r = requests.post(f"{api}/api/sources", json={"filename": "d.mp4", "size": 10}, headers=ADMIN, timeout=10)
    assert r.status_code == 201
    listed = [s["id"] for s in requests.get(f"{api}/api/sources", timeout=10).json()["sources"]]
    assert r.json()["source"]["id"] not in listed


def test_a_file_whose_header_understates_its_length_is_refused_while_decoding(api, tmp_path):
    from tests.api_client import wait_job
    from tests.media import lying_mp3

    path = lying_mp3(tmp_path / "lying.mp3")  # probes as 6:20, decodes to 2 hours
    data = path.read_bytes()
    made = create(api, len(data), "lying.mp3")
    requests.put(made["upload"]["url"], data=data, headers=made["upload"]["headers"], timeout=60)
    job = requests.post(f"{api}/api/songs/{made['song']['id']}/analyze", timeout=30).json()["job"]
    job = wait_job(api, job["id"])
    assert job["status"] == "failed" and job["error_status"] == 413, job
    assert "longer than 10:00" in job["error"]
    assert stored(made["song"]["id"]) == (False, [])

"""Records and objects against the real DynamoDB Local and s3rver."""

import uuid

import pytest
import requests

from choleor.errors import Conflict, NotFound
from choleor.storage import objects, records


def uid() -> str:
    return uuid.uuid4().hex


def test_record_roundtrip_keeps_numbers_and_lists(local_stack):
    key = {"id": uid()}
    records.put("songs", {**key, "tempo": 123.45, "beats": [0.5, 1.0, 1.5], "n": 8, "name": "x"})
    got = records.get("songs", key)
    assert got == {**key, "tempo": 123.45, "beats": [0.5, 1.0, 1.5], "n": 8, "name": "x"}
    assert isinstance(got["n"], int) and isinstance(got["tempo"], float)


def test_create_twice_is_a_conflict_and_keeps_the_first(local_stack):
    key = {"id": uid()}
    records.put("songs", {**key, "v": 1}, if_absent="id")
    with pytest.raises(Conflict):
        records.put("songs", {**key, "v": 2}, if_absent="id")
    assert records.get("songs", key)["v"] == 1


def test_update_with_condition(local_stack):
    key = {"id": uid()}
    records.put("songs", {**key, "status": "new", "count": 0})
    out = records.update(
        "songs",
        key,
        {"status": "ready"},
        add={"count": 2},
        condition="#s = :new",
        names={"#s": "status"},
        values={":new": "new"},
    )
    assert out["status"] == "ready" and out["count"] == 2
    with pytest.raises(Conflict):
        records.update(
            "songs",
            key,
            {"status": "again"},
            condition="#s = :new",
            names={"#s": "status"},
            values={":new": "new"},
        )
    out = records.update("songs", key, remove=["count"])
    assert "count" not in out


def test_query_by_index_and_delete(local_stack):
    source = uid()
    for i in range(3):
        records.put("moves", {"id": f"{source}-{i}", "source_id": source, "i": i})
    records.put("moves", {"id": uid(), "source_id": uid()})
    found = records.query("moves", "source_id", source, index="by_source")
    assert sorted(m["i"] for m in found) == [0, 1, 2]
    records.delete("moves", {"id": f"{source}-0"})
    assert records.get("moves", {"id": f"{source}-0"}) is None
    assert len(records.query("moves", "source_id", source, index="by_source")) == 2


def test_objects_bytes_stream_head_delete(local_stack):
    key = f"test/{uid()}/song.mp3"
    data = bytes(range(256)) * 5000
    objects.put_bytes(key, data)
    assert objects.get_bytes(key) == data
    assert b"".join(objects.stream(key, chunk_size=4096)) == data
    assert objects.head(key) == {"size": len(data), "content_type": "audio/mpeg"}
    objects.delete(key)
    assert objects.head(key) is None
    with pytest.raises(NotFound):
        objects.get_bytes(key)


def test_presigned_put_then_get_over_http(local_stack, tmp_path):
    key = f"uploads/{uid()}/clip.webm"
    put_url = objects.presign_put(key, "video/webm")
    r = requests.put(put_url, data=b"webm-bytes", headers={"Content-Type": "video/webm"}, timeout=10)
    assert r.status_code == 200
    get_url = objects.presign_get(key, filename="clip.webm")
    r = requests.get(get_url, timeout=10)
    assert r.status_code == 200 and r.content == b"webm-bytes"
    assert "clip.webm" in r.headers.get("Content-Disposition", "")
    path = objects.download(key, tmp_path / "clip.webm")
    assert path.read_bytes() == b"webm-bytes"


def test_browser_upload_is_allowed_by_cors(local_stack):
    key = f"uploads/{uid()}/a.mp3"
    url = objects.presign_put(key, "audio/mpeg")
    r = requests.options(
        url,
        headers={
            "Origin": "http://127.0.0.1:8000",
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "content-type",
        },
        timeout=10,
    )
    assert r.status_code == 200
    assert r.headers.get("Access-Control-Allow-Origin") in ("*", "http://127.0.0.1:8000")


def test_delete_prefix(local_stack):
    prefix = f"tmp/{uid()}/"
    for i in range(3):
        objects.put_bytes(f"{prefix}{i}.json", b"{}")
    assert objects.delete_prefix(prefix) == 3
    assert objects.list_keys(prefix) == []

"""The edge device over the in-memory bus, on in-memory AWS (moto): the real job store and runner."""

from __future__ import annotations

import time

from choleor.edge import events_topic, files_topic, jobs_topic
from choleor.edge.bus import MemoryBus, matches
from choleor.edge.device import Device, source_id_for
from choleor.edge.files import CHUNK, FileReceiver, send_file
from choleor.jobs.registry import register


@register("test.edge_steps")
def edge_steps(params: dict, report) -> dict:
    """Reports progress for a while; counts its runs (not idempotent on purpose: it shows reruns)."""
    from choleor.storage import records

    records.update("jobs", {"id": f"counter-{params['token']}"}, add={"runs": 1})
    steps = int(params.get("steps", 4))
    for i in range(steps):
        report(i / steps, f"step {i + 1} of {steps}")
        time.sleep(float(params.get("delay", 0.2)))
    return {"token": params["token"], "steps": steps}


def runs(token: str) -> int:
    from choleor.storage import records

    rec = records.get("jobs", {"id": f"counter-{token}"})
    return rec["runs"] if rec else 0


def wait_for(pred, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not pred():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def finals(bus: MemoryBus, job_id: str) -> list[dict]:
    return [
        e
        for e in bus.on(events_topic("pi"))
        if e.get("job_id") == job_id and e["status"] in ("done", "failed")
    ]


def test_topic_filters_match_like_mqtt():
    assert matches("choleor/+/jobs/+", "choleor/pi/jobs/source.ingest")
    assert not matches("choleor/+/jobs/+", "choleor/pi/jobs")
    assert matches("choleor/#", "choleor/pi/events")
    assert not matches("choleor/pi/events", "choleor/pi/events/x")


def test_device_runs_a_job_and_publishes_progress_and_result(memory_aws, tmp_path):
    bus = MemoryBus()
    device = Device(bus, "pi", tmp_path, poll=0.05, sweep_interval=0).start()
    bus.publish(
        jobs_topic("pi", "test.edge_steps"),
        {"job_id": "job-1", "params": {"token": "t1", "steps": 5, "delay": 0.25}},
    )
    wait_for(lambda: finals(bus, "job-1"))
    device.stop()
    events = [e for e in bus.on(events_topic("pi")) if e["job_id"] == "job-1"]
    running = [e for e in events if e["status"] == "running"]
    assert len(running) >= 2 and running[-1]["progress"] > running[0]["progress"]
    assert events[-1] == {
        "job_id": "job-1",
        "kind": "test.edge_steps",
        "status": "done",
        "progress": 1.0,
        "message": "done",
        "result": {"token": "t1", "steps": 5},
    }


def test_the_same_job_sent_twice_runs_once(memory_aws, tmp_path):
    bus = MemoryBus()
    device = Device(bus, "pi", tmp_path, poll=0.05, sweep_interval=0).start()
    msg = {"job_id": "job-dup", "params": {"token": "dup", "steps": 3, "delay": 0.1}}
    bus.publish(jobs_topic("pi", "test.edge_steps"), msg)
    bus.publish(jobs_topic("pi", "test.edge_steps"), msg)  # redelivered while it runs
    wait_for(lambda: finals(bus, "job-dup"))
    bus.publish(jobs_topic("pi", "test.edge_steps"), msg)  # and again after it ended
    wait_for(lambda: len(finals(bus, "job-dup")) == 2)
    device.stop()
    assert runs("dup") == 1
    a, b = finals(bus, "job-dup")
    assert a == b and a["status"] == "done"


def test_a_job_without_a_usable_id_is_refused(memory_aws, tmp_path):
    bus = MemoryBus()
    Device(bus, "pi", tmp_path, sweep_interval=0).start()
    bus.publish(jobs_topic("pi", "test.edge_steps"), {"job_id": "../etc", "params": {}})
    (ev,) = bus.on(events_topic("pi"))
    assert ev["status"] == "failed" and ev["error_status"] == 400


class LossyBus(MemoryBus):
    """Drops chunk 1 the first time it is sent, as a flaky link would."""

    def __init__(self) -> None:
        super().__init__()
        self.dropped = False

    def publish(self, topic: str, payload: dict) -> None:
        if "/files/" in topic and payload.get("seq") == 1 and not self.dropped:
            self.dropped = True
            return
        super().publish(topic, payload)


def test_a_file_arrives_whole_even_when_a_chunk_is_lost(tmp_path):
    bus = LossyBus()
    data = bytes(range(256)) * (CHUNK * 3 // 256 + 7)
    src = tmp_path / "video.mp4"
    src.write_bytes(data)
    receiver = FileReceiver(tmp_path / "device", lambda ev: bus.publish(events_topic("pi"), ev))
    bus.subscribe(files_topic("pi"), receiver.on_message)
    file_id = send_file(bus, "pi", src, timeout=5)
    assert bus.dropped and receiver.path(file_id).read_bytes() == data
    # Sending it again transfers nothing: the device already holds it.
    n = len(bus.messages)
    assert send_file(bus, "pi", src, timeout=5) == file_id
    assert not [t for t, p in bus.messages[n:] if "seq" in p]


def test_an_ingest_over_the_edge_stores_the_video_as_a_source_once(memory_aws, tmp_path):
    from choleor.storage import objects, records

    bus = MemoryBus()
    device = Device(bus, "pi", tmp_path, sweep_interval=0)
    bus.subscribe(files_topic("pi"), device.files.on_message)
    src = tmp_path / "salsa.mp4"
    src.write_bytes(b"not really a video" * 1000)
    file_id = send_file(bus, "pi", src, timeout=5)
    params = {"file_id": file_id, "style": "salsa", "filename": "salsa.mp4"}
    first = device.prepare("source.ingest", "ingest-abc", params)
    again = device.prepare("source.ingest", "ingest-abc", params)
    assert first == again == {"source_id": source_id_for("ingest-abc"), "style": "salsa"}
    rec = records.get("sources", {"id": first["source_id"]})
    assert rec["origin"] == "edge" and rec["job_id"] == "ingest-abc"
    assert objects.get_bytes(rec["upload_key"]) == src.read_bytes()
    assert len(objects.list_keys(f"uploads/sources/{first['source_id']}/")) == 1


def test_an_ingest_whose_file_never_arrived_fails_cleanly(memory_aws, tmp_path):
    bus = MemoryBus()
    device = Device(bus, "pi", tmp_path, sweep_interval=0)
    device.accept("source.ingest", {"job_id": "ingest-x", "params": {"file_id": "0" * 32}})
    (ev,) = bus.on(events_topic("pi"))
    assert ev["status"] == "failed" and "has not arrived" in ev["error"]

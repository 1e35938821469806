"""The Greengrass v1-style handler publishes through an injected greengrasssdk client."""

from __future__ import annotations

import json
import sys

from choleor.edge import handler
from tests.unit.test_edge_device import runs  # registers the test job kind too


class FakeIotData:
    def __init__(self) -> None:
        self.published: list[tuple[str, dict]] = []

    def publish(self, topic: str, payload: str) -> None:
        self.published.append((topic, json.loads(payload)))


class Context:  # what Greengrass v1 passes: the topic is the client context's "subject"
    def __init__(self, subject: str) -> None:
        self.client_context = type("ClientContext", (), {"custom": {"subject": subject}})()


def test_v1_handler_runs_the_job_once_and_publishes_through_greengrasssdk(memory_aws, tmp_path, monkeypatch):
    monkeypatch.setenv("CHOLEOR_DATA", str(tmp_path))
    fake = FakeIotData()
    handler.use_client(fake)
    event = {"job_id": "v1-job", "params": {"token": "v1", "steps": 3, "delay": 0.3}}
    out = handler.function_handler(event, Context("choleor/pi1/jobs/test.edge_steps"))
    assert out["status"] == "done" and out["result"] == {"token": "v1", "steps": 3}
    topics = {t for t, _ in fake.published}
    assert topics == {"choleor/pi1/events"}
    statuses = [p["status"] for _, p in fake.published]
    assert "running" in statuses and statuses[-1] == "done"
    # Redelivered: runs nothing, republishes the final event.
    handler.function_handler({**event, "topic": "choleor/pi1/jobs/test.edge_steps"}, None)
    assert runs("v1") == 1
    assert fake.published[-1][1] == fake.published[-2][1] and fake.published[-1][1]["status"] == "done"
    assert "greengrasssdk" not in sys.modules
    handler.use_client(None)

"""A Greengrass v1-style Lambda handler: the same device, publishing through greengrasssdk.

Greengrass v1 (end of support 2026) and v2's Lambda launcher invoke
`function_handler(event, context)` for each message on a subscribed topic. The
event is the message; the topic comes from the client context (v1) or the
event's "topic" field. Job and file messages go to the same `Device` as the
long-running process, so the two cannot drift; only the publishing differs.
Run it as a long-lived (pinned) function: a job runs in the invocation.
"""

from __future__ import annotations

import json
import os
from typing import Any

from ..usecases import edge

_client: Any = None
_devices: dict[str, Any] = {}


class SdkBus:
    """Publish-only bus over `greengrasssdk.client('iot-data')` (messages arrive as invocations)."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def publish(self, topic: str, payload: dict) -> None:
        self.client.publish(topic=topic, payload=json.dumps(payload, separators=(",", ":")))

    def subscribe(self, topic_filter: str, callback) -> None:
        raise NotImplementedError("a Lambda receives its messages through its subscriptions")


def use_client(client: Any) -> None:
    """Inject the iot-data client (tests); on the device it is made on first use."""
    global _client
    _client = client
    _devices.clear()


def _sdk_client() -> Any:
    global _client
    if _client is None:
        import greengrasssdk  # present only inside a Greengrass Lambda container

        _client = greengrasssdk.client("iot-data")
    return _client


def _topic(event: dict, context: Any) -> str:
    if event.get("topic"):
        return str(event["topic"])
    custom = getattr(getattr(context, "client_context", None), "custom", None) or {}
    return str(custom.get("subject", ""))


def _device(name: str):
    if name not in _devices:
        _devices[name] = edge.handler_device(SdkBus(_sdk_client()), name)
    return _devices[name]


def function_handler(event: dict, context: Any = None) -> dict | None:
    topic = _topic(event, context)
    parts = topic.split("/")
    name = (
        parts[1]
        if len(parts) >= 4 and parts[0] == "choleor"
        else os.environ.get("CHOLEOR_DEVICE") or os.environ.get("AWS_IOT_THING_NAME", "device")
    )
    device = _device(name)
    if len(parts) >= 4 and parts[2] == "files":
        device.files.on_message(topic, event)
        return None
    kind = str(event.get("kind") or parts[-1])
    job = device.accept(kind, event, wait=True)
    return job.public() if job else None

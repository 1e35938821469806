"""The pub/sub port: `publish(topic, payload)` and `subscribe(topic_filter, callback)`.

Payloads are JSON objects. Adapters: `MemoryBus` (tests), `MqttBus` (paho-mqtt,
for a plain broker and for the `choleor edge send` client) and `IpcBus`
(Greengrass v2 IPC; awsiotsdk is imported only on the device, and the client
is injected so tests never import it).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from typing import Any, Protocol

log = logging.getLogger(__name__)

Callback = Callable[[str, dict], None]


class Bus(Protocol):
    def publish(self, topic: str, payload: dict) -> None: ...

    def subscribe(self, topic_filter: str, callback: Callback) -> None: ...


def matches(topic_filter: str, topic: str) -> bool:
    """MQTT topic matching with `+` (one level) and `#` (the rest)."""
    f, t = topic_filter.split("/"), topic.split("/")
    for i, part in enumerate(f):
        if part == "#":
            return True
        if i >= len(t) or (part != "+" and part != t[i]):
            return False
    return len(f) == len(t)


def _deliver(callback: Callback, topic: str, payload: dict) -> None:
    # A subscriber's bug must not take the transport's thread down with it.
    try:
        callback(topic, payload)
    except Exception:
        log.exception("subscriber of %s failed", topic)


def decode(data: bytes | str) -> dict | None:
    try:
        obj = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        return None
    return obj if isinstance(obj, dict) else None


class MemoryBus:
    """Synchronous in-process bus; keeps every message for tests to look at."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, dict]] = []
        self._subs: list[tuple[str, Callback]] = []
        self._lock = threading.Lock()

    def publish(self, topic: str, payload: dict) -> None:
        payload = json.loads(json.dumps(payload))  # what a real transport would deliver: a copy, JSON only
        with self._lock:
            self.messages.append((topic, payload))
            subs = [cb for f, cb in self._subs if matches(f, topic)]
        for cb in subs:
            _deliver(cb, topic, payload)

    def subscribe(self, topic_filter: str, callback: Callback) -> None:
        with self._lock:
            self._subs.append((topic_filter, callback))

    def on(self, topic: str) -> list[dict]:
        with self._lock:
            return [p for t, p in self.messages if t == topic]


class MqttBus:
    """paho-mqtt client, QoS 1, subscriptions restored after a reconnect."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 1883,
        client_id: str = "",
        keepalive: int = 30,
        persistent: bool = False,
    ) -> None:
        import paho.mqtt.client as mqtt

        self._subs: list[tuple[str, Callback]] = []
        self._lock = threading.Lock()
        self._acks: dict[int, threading.Event] = {}
        self.connected = threading.Event()
        # A persistent session (fixed client id) lets the broker keep QoS 1 jobs sent while we were away.
        self.client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=client_id,
            clean_session=not (persistent and client_id),
        )
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = lambda *a: self.connected.clear()
        self.client.on_message = self._on_message
        self.client.on_subscribe = self._on_subscribe
        self.client.reconnect_delay_set(1, 30)
        self.host, self.port, self.keepalive = host, port, keepalive

    def connect(self, timeout: float = 10.0) -> MqttBus:
        self.client.connect_async(self.host, self.port, self.keepalive)
        self.client.loop_start()
        if not self.connected.wait(timeout):
            self.close()
            raise ConnectionError(f"no MQTT broker answered at {self.host}:{self.port}")
        return self

    def _on_connect(self, client, userdata, flags, reason_code, properties=None) -> None:
        if getattr(reason_code, "is_failure", False):
            log.warning("MQTT connection refused: %s", reason_code)
            return
        with self._lock:
            filters = sorted({f for f, _ in self._subs})
        for f in filters:
            client.subscribe(f, qos=1)
        self.connected.set()

    def _on_message(self, client, userdata, msg) -> None:
        payload = decode(msg.payload)
        if payload is None:
            log.warning("ignored a message on %s that is not a JSON object", msg.topic)
            return
        with self._lock:
            subs = [cb for f, cb in self._subs if matches(f, msg.topic)]
        for cb in subs:
            _deliver(cb, msg.topic, payload)

    def publish(self, topic: str, payload: dict) -> None:
        info = self.client.publish(topic, json.dumps(payload, separators=(",", ":")), qos=1)
        if info.rc != 0:
            log.warning("MQTT publish to %s was not queued (rc=%s)", topic, info.rc)

    def _on_subscribe(self, client, userdata, mid, reason_codes, properties=None) -> None:
        with self._lock:
            ack = self._acks.pop(mid, None)
        if ack:
            ack.set()

    def subscribe(self, topic_filter: str, callback: Callback, timeout: float = 10.0) -> None:
        """Subscribe and wait for the broker's acknowledgement, so no reply can slip past."""
        with self._lock:
            self._subs.append((topic_filter, callback))
        if self.connected.is_set():
            ack = threading.Event()
            with self._lock:
                result, mid = self.client.subscribe(topic_filter, qos=1)
                self._acks[mid] = ack
            if result != 0 or not ack.wait(timeout):
                log.warning("MQTT subscribe to %s was not acknowledged (rc=%s)", topic_filter, result)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


class IpcBus:
    """Greengrass v2 IPC: local pub/sub between components, and IoT Core through the MQTT proxy.

    `client` is a `GreengrassCoreIPCClientV2` (made here on the device when not given).
    With `iot_core`, jobs are also taken from and events also sent to AWS IoT Core, so a
    client in the cloud can drive the device as well as one on the local network.
    """

    def __init__(self, client: Any = None, iot_core: bool = True) -> None:
        if client is None:
            from awsiot.greengrasscoreipc.clientv2 import GreengrassCoreIPCClientV2

            client = GreengrassCoreIPCClientV2()
        self.client = client
        self.iot_core = iot_core

    def publish(self, topic: str, payload: dict) -> None:
        from awsiot.greengrasscoreipc.model import QOS, JsonMessage, PublishMessage

        self.client.publish_to_topic(
            topic=topic, publish_message=PublishMessage(json_message=JsonMessage(message=payload))
        )
        if self.iot_core:
            self.client.publish_to_iot_core(
                topic_name=topic, qos=QOS.AT_LEAST_ONCE, payload=json.dumps(payload).encode()
            )

    def subscribe(self, topic_filter: str, callback: Callback) -> None:
        from awsiot.greengrasscoreipc.model import QOS

        def local_event(event) -> None:
            msg = event.json_message or event.binary_message
            topic = msg.context.topic
            payload = msg.message if event.json_message else decode(msg.message)
            if isinstance(payload, dict):
                _deliver(callback, topic, payload)

        def cloud_event(event) -> None:
            payload = decode(event.message.payload)
            if payload is not None:
                _deliver(callback, event.message.topic_name, payload)

        self.client.subscribe_to_topic(topic=topic_filter, on_stream_event=local_event)
        if self.iot_core:
            self.client.subscribe_to_iot_core(
                topic_name=topic_filter, qos=QOS.AT_LEAST_ONCE, on_stream_event=cloud_event
            )

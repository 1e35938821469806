"""Choleor on a device: the process that runs jobs from the bus, a client that sends it work, the cloud sync."""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

from .. import config
from ..edge.bus import Bus, IpcBus, MqttBus
from ..edge.client import send_job
from ..edge.cloud import CloudTarget
from ..edge.device import Device
from ..edge.sync import Syncer, sync_forever, sync_once
from ..errors import BadInput
from ..stack import session

DEFAULT_PORT = 1883


def host_port(text: str) -> tuple[str, int]:
    """`host:port` of an MQTT broker (the host defaults to this machine, the port to 1883)."""
    host, _, port = text.rpartition(":") if ":" in text else (text, "", "")
    try:
        return (host or "127.0.0.1"), int(port or DEFAULT_PORT)
    except ValueError:
        raise BadInput(f"a broker is host:port, not {text!r}") from None


def run_device(
    device: str,
    data: Path,
    stop: threading.Event,
    broker: str | None = None,
    iot_core: bool = True,
    workers: int = 1,
    sync_every: float = 300.0,
    say: Callable[[str], None] = lambda line: None,
) -> None:
    """Take jobs from the bus (MQTT at `broker`, else Greengrass IPC) until `stop` is set.

    Storage must be set up by the caller (`system.storage`).
    """
    if broker is None:
        bus, where = IpcBus(iot_core=iot_core), "Greengrass IPC"
    else:
        host, port = host_port(broker)
        bus = MqttBus(host, port, client_id=f"choleor-device-{device}", persistent=True)
        bus.connect(timeout=60)
        where = f"mqtt://{host}:{port}"
    process = Device(bus, device, data, workers=workers).start()
    target = CloudTarget.from_env()
    if target and sync_every > 0:
        threading.Thread(
            target=sync_forever,
            args=(Syncer(target, data), stop, sync_every),
            name="edge-sync",
            daemon=True,
        ).start()
    say(f"device {device} listening on {where} (Ctrl-C to stop)")
    stop.wait()
    process.stop()
    if broker is not None:
        bus.close()


def send(
    broker: str,
    device: str,
    kind: str,
    file: str | Path,
    style: str = "unknown",
    title: str | None = None,
    job_id: str | None = None,
    timeout: float = 1800.0,
    say: Callable[[str], None] = lambda line: None,
) -> dict:
    """Send a job to a device and wait for its result: {job_id, result}."""
    host, port = host_port(broker)
    return send_job(host, port, device, kind, Path(file), style, title, job_id, timeout, say)


def sync(data: Path) -> dict:
    """One pass of the cloud sync: what it uploaded, what it skipped, what is left, any error."""
    return sync_once(data).as_dict()


_storage = ExitStack()  # the edge handler's local stack: entered once per container, kept
_storage_entered = False


def handler_device(bus: Bus, name: str) -> Device:
    """A device publishing through `bus`, for the Greengrass Lambda handler (one per container)."""
    global _storage_entered
    if not _storage_entered:
        _storage.enter_context(session.storage(config.data_dir()))
        _storage_entered = True
    return Device(bus, name, config.data_dir(), sweep_interval=0)

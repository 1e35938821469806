"""The client's side of the device: send a job (and an ingest's video) and wait for its end.

A job's id defaults to one derived from its kind, its file (or params) and its
style, so sending the same thing twice is the same job and runs once.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable
from pathlib import Path

from ..errors import BadInput, ChoreError, Unavailable
from . import events_topic, jobs_topic
from .bus import Bus, MqttBus
from .files import send_file

Say = Callable[[str], None]


def job_id_for(kind: str, digest: str, style: str) -> str:
    return f"{kind.replace('.', '-')}-{hashlib.sha1(f'{kind}|{digest}|{style}'.encode()).hexdigest()[:16]}"


def send_job(
    host: str,
    port: int,
    device: str,
    kind: str,
    path: Path,
    style: str = "unknown",
    title: str | None = None,
    job_id: str | None = None,
    timeout: float = 1800.0,
    say: Say = lambda line: None,
) -> dict:
    """Send a job to `device` over the MQTT broker at host:port; returns {job_id, result}.

    For source.ingest `path` is the video (sent in chunks first); otherwise a JSON file of params.
    """
    if not path.is_file():
        raise BadInput(f"no such file: {path}")
    try:
        bus = MqttBus(host, port).connect()
    except ConnectionError as exc:
        raise Unavailable(str(exc)) from None
    deadline = time.monotonic() + timeout
    try:
        if kind == "source.ingest":
            file_id = send_file(bus, device, path, timeout=timeout, progress=_chunks(path, say))
            params = {"file_id": file_id, "style": style, "filename": path.name}
            if title:
                params["title"] = title
            digest = file_id
        else:
            try:
                params = json.loads(path.read_text())
            except ValueError:
                raise BadInput(f"{path} is not a JSON file of job params") from None
            digest = hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()
        job_id = job_id or job_id_for(kind, digest, style)
        final = await_job(bus, device, kind, job_id, params, deadline, say)
    except TimeoutError as exc:
        raise Unavailable(str(exc)) from None
    finally:
        bus.close()
    if final is None:
        raise Unavailable(f"no result from device {device} within {timeout:.0f} s")
    if final["status"] != "done":
        raise ChoreError(final.get("error") or "the job failed")
    return {"job_id": job_id, "result": final.get("result")}


def _chunks(path: Path, say: Say) -> Callable[[int, int], None]:
    def sent(i: int, n: int) -> None:
        if i == n or i % 64 == 0:
            say(f"sending {path.name}: {i}/{n} chunks")

    return sent


def await_job(
    bus: Bus, device: str, kind: str, job_id: str, params: dict, deadline: float, say: Say
) -> dict | None:
    """Publish the job and report its progress until its final event (or the deadline)."""
    final: dict = {}
    ended = threading.Event()

    def on_event(topic: str, ev: dict) -> None:
        if ev.get("job_id") != job_id:
            return
        if ev.get("status") in ("done", "failed"):
            final.update(ev)
            ended.set()
        else:
            say(f"{float(ev.get('progress') or 0) * 100:5.1f}%  {ev.get('message', '')}")

    bus.subscribe(events_topic(device), on_event)
    bus.publish(jobs_topic(device, kind), {"job_id": job_id, "params": params})
    ended.wait(max(0.0, deadline - time.monotonic()))
    return final or None

"""Moving a video to the device over the bus: ordered base64 chunks, then a final message.

Why over the bus: it works wherever jobs can reach the device (a LAN broker,
Greengrass local pub/sub, AWS IoT Core through the MQTT proxy), needs no port
on the device open to the network, and the device's s3rver stays on loopback.
Chunks are 64 KiB (about 87 KiB as base64), under IoT Core's 128 KiB message limit.

A file's id is its content hash, so sending the same file twice stores it once.
Each chunk carries its sequence number and is written at its own offset, so a
duplicate or late chunk does no harm; the final message says how many chunks
and the sha256, and the device answers "received", or "missing" with the chunk
numbers to send again (after a restart the device simply asks for all of them).
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path

from ..errors import BadInput
from . import events_topic, files_topic
from .bus import Bus

log = logging.getLogger(__name__)

CHUNK = 64 * 1024
_ID = re.compile(r"^[0-9a-f]{32}$")
STALE_PARTS = 24 * 3600  # a transfer abandoned for a day is cleared at start


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def file_id_for(sha: str) -> str:
    return sha[:32]


class FileReceiver:
    """The device's side: reassembles files under `root`, answers through `publish`."""

    def __init__(self, root: Path, publish: Callable[[dict], None]) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)
        self.publish = publish
        self._got: dict[str, set[int]] = {}
        self._lock = threading.Lock()
        now = time.time()
        for part in self.root.glob("*.part"):
            if now - part.stat().st_mtime > STALE_PARTS:
                part.unlink(missing_ok=True)

    def path(self, file_id: str) -> Path | None:
        if not _ID.match(file_id or ""):
            raise BadInput(f"{file_id!r} is not a file id")
        p = self.root / file_id
        return p if p.is_file() else None

    def on_message(self, topic: str, msg: dict) -> None:
        file_id = topic.rsplit("/", 1)[-1]
        if not _ID.match(file_id):
            log.warning("ignored chunk for bad file id %r", file_id)
            return
        with self._lock:  # IPC may call back from several threads
            if msg.get("final"):
                self._finish(file_id, msg)
            elif self.path(file_id) is None:
                self._chunk(file_id, msg)

    def _chunk(self, file_id: str, msg: dict) -> None:
        seq = int(msg["seq"])
        data = base64.b64decode(msg["data"])
        part = self.root / f"{file_id}.part"
        with open(part, "r+b" if part.exists() else "wb") as f:
            f.seek(seq * CHUNK)
            f.write(data)
        self._got.setdefault(file_id, set()).add(seq)

    def _finish(self, file_id: str, msg: dict) -> None:
        done = self.path(file_id)
        if done is not None:
            self.publish({"file_id": file_id, "status": "received", "size": done.stat().st_size})
            return
        n, size, sha = int(msg["chunks"]), int(msg["size"]), str(msg["sha256"])
        got = self._got.get(file_id, set())
        missing = [i for i in range(n) if i not in got]
        if missing:
            self.publish({"file_id": file_id, "status": "missing", "missing": missing})
            return
        part = self.root / f"{file_id}.part"
        with open(part, "r+b") as f:
            f.truncate(size)
        if sha256_of(part) != sha or file_id_for(sha) != file_id:
            part.unlink(missing_ok=True)
            self._got.pop(file_id, None)
            self.publish(
                {
                    "file_id": file_id,
                    "status": "missing",
                    "missing": list(range(n)),
                    "message": "checksum mismatch",
                }
            )
            return
        part.replace(self.root / file_id)  # whole or not at all
        self._got.pop(file_id, None)
        self.publish({"file_id": file_id, "status": "received", "size": size})


def send_file(
    bus: Bus,
    device: str,
    path: Path,
    timeout: float = 300.0,
    progress: Callable[[int, int], None] | None = None,
) -> str:
    """The client's side: send `path` to the device; returns its file id once the device has it."""
    sha = sha256_of(path)
    file_id = file_id_for(sha)
    size = path.stat().st_size
    n = max(1, -(-size // CHUNK))
    answer: dict = {}
    arrived = threading.Event()

    def on_event(topic: str, msg: dict) -> None:
        if msg.get("file_id") == file_id and "job_id" not in msg:
            answer.clear()
            answer.update(msg)
            arrived.set()

    bus.subscribe(events_topic(device), on_event)
    topic = files_topic(device, file_id)
    final = {"final": True, "chunks": n, "size": size, "sha256": sha, "name": path.name}
    # Ask first: a file the device already holds is not sent again.
    todo: list[int] = []
    deadline = time.monotonic() + timeout
    for _ in range(6):
        with open(path, "rb") as f:
            for i, seq in enumerate(todo):
                f.seek(seq * CHUNK)
                bus.publish(topic, {"seq": seq, "data": base64.b64encode(f.read(CHUNK)).decode()})
                if progress:
                    progress(i + 1, len(todo))
        arrived.clear()
        bus.publish(topic, final)
        if not arrived.wait(max(0.0, deadline - time.monotonic())):
            raise TimeoutError(f"device {device} did not confirm the file within {timeout:.0f} s")
        if answer.get("status") == "received":
            return file_id
        todo = [int(i) for i in answer.get("missing", range(n))]
    raise BadInput(f"device {device} kept missing parts of {path.name}")

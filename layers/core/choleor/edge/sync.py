"""Offline-first sync: copy finished work from the device's local stack to the cloud.

The device works without the cloud; when a target is configured and reachable,
a pass uploads every ready source (its upload, `sources/<id>/`, its moves'
objects and records, then the source record last, so the cloud never shows a
source whose moves are missing) and every finished render video.

Nothing lost or duplicated across retries and power cuts:
- each step is idempotent: an object whose size and ETag already match is
  skipped, records are conditional puts (`attribute_not_exists(id)`);
- a journal on disk lists the items (a source, a render) finished as a whole,
  appended and fsync'ed after the item's last step. An item cut off half-way
  is not in it and is simply done again next pass; finished ones are not even
  looked at, so a pass after a complete one uploads nothing.
Transient errors (network, throttling, 5xx) are retried with exponential
backoff; when the cloud stays unreachable the pass stops softly and says so.
"""

from __future__ import annotations

import json
import logging
import os
import random
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TypeVar

from ..config import bucket_name
from ..library import sources
from ..storage import aws, objects, records
from .cloud import Cloud, CloudTarget, is_transient

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass
class Backoff:
    attempts: int = 5
    base: float = 0.5
    cap: float = 30.0
    sleep: Callable[[float], None] = time.sleep

    def delay(self, n: int) -> float:
        d = min(self.cap, self.base * 2**n)
        return d / 2 + random.random() * d / 2  # jitter: many devices coming back do not stampede


class Unreachable(Exception):
    """The cloud did not answer after every retry; the pass stops, nothing is lost."""


@dataclass
class SyncReport:
    sources: int = 0  # sources completed this pass
    renders: int = 0  # render videos completed this pass
    objects: int = 0  # objects uploaded (skipped ones not counted)
    records: int = 0  # records written (ones already there not counted)
    skipped: int = 0  # items already in the journal
    pending: int = 0  # items left for a later pass
    retries: int = 0
    error: str | None = None

    @property
    def uploaded(self) -> int:
        return self.objects + self.records

    def as_dict(self) -> dict:
        return {**asdict(self), "uploaded": self.uploaded, "ok": self.error is None}


class Journal:
    """Append-only list of finished items; a torn last line (power cut) is ignored."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.done: set[str] = set()
        self._torn = False
        if path.exists():
            text = path.read_text(errors="replace")
            self._torn = bool(text) and not text.endswith("\n")
            for line in text.splitlines():
                try:
                    self.done.add(json.loads(line)["item"])
                except (ValueError, KeyError, TypeError):
                    continue

    def add(self, item: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a") as f:
            if self._torn:  # end the half line first, so this entry is not glued onto it
                f.write("\n")
                self._torn = False
            f.write(json.dumps({"item": item, "at": time.time()}) + "\n")
            f.flush()
            os.fsync(f.fileno())
        self.done.add(item)


class Syncer:
    def __init__(
        self, target: CloudTarget, data_dir: Path, backoff: Backoff | None = None, cloud: Cloud | None = None
    ) -> None:
        self.target = target
        self.cloud = cloud or Cloud(target)
        self.journal = Journal(Path(data_dir) / "edge" / "sync.journal")
        self.backoff = backoff or Backoff()
        self.report = SyncReport()

    def _retry(self, what: str, fn: Callable[[], T]) -> T:
        for n in range(self.backoff.attempts):
            try:
                return fn()
            except Exception as exc:
                if not is_transient(exc):
                    raise
                if n == self.backoff.attempts - 1:
                    raise Unreachable(f"the cloud did not answer ({what}): {exc}") from exc
                self.report.retries += 1
                self.backoff.sleep(self.backoff.delay(n))
        raise AssertionError("unreachable")

    # --- one pass -----------------------------------------------------------------------------

    def run_pass(self) -> SyncReport:
        self.report = SyncReport()
        items = self._items()
        todo = [(name, fn) for name, fn in items if name not in self.journal.done]
        self.report.skipped = len(items) - len(todo)
        for i, (name, fn) in enumerate(todo):
            try:
                fn()
            except Unreachable as exc:
                self.report.error = str(exc)
                self.report.pending = len(todo) - i
                return self.report
            except Exception as exc:  # e.g. access denied: say so, keep the item for later
                log.warning("sync of %s failed: %s", name, exc)
                self.report.error = f"{name}: {type(exc).__name__}: {exc}"
                self.report.pending += 1
                continue
            self.journal.add(name)
        return self.report

    def _items(self) -> list[tuple[str, Callable[[], None]]]:
        items: list[tuple[str, Callable[[], None]]] = []
        for rec in records.scan("sources"):
            if rec.get("status") == sources.READY:
                items.append((f"source:{rec['id']}", lambda rec=rec: self._source(rec)))
        for rec in records.scan("choreographies"):
            if rec.get("video_key"):
                items.append((f"render:{rec['video_key']}", lambda key=rec["video_key"]: self._render(key)))
        return items

    def _source(self, rec: dict) -> None:
        sid = rec["id"]
        moves = records.query("moves", "source_id", sid, index="by_source")
        keys = {
            rec["upload_key"],
            *objects.list_keys(f"{sources.SOURCES.upload_prefix}{sid}/"),
            *objects.list_keys(f"sources/{sid}/"),
        }
        for move in moves:
            keys.update(objects.list_keys(f"moves/{move['id']}/"))
        for key in sorted(keys):
            self._object(key)
        for move in sorted(moves, key=lambda m: m["id"]):
            self._record("moves", move)
        self._record("sources", rec)  # last: the cloud sees the source only when all of it is there
        self.report.sources += 1

    def _render(self, key: str) -> None:
        self._object(key)
        self.report.renders += 1

    def _object(self, key: str) -> None:
        local = aws.client("s3").head_object(Bucket=bucket_name(), Key=key)
        size, etag = local["ContentLength"], local.get("ETag", "").strip('"')
        remote = self._retry(f"head {key}", lambda: self.cloud.head(key))
        if remote and remote["size"] == size and (remote["etag"] == etag or "-" in remote["etag"] + etag):
            return  # already there (a multipart ETag is not an MD5: size decides)
        with tempfile.TemporaryDirectory(prefix="choleor-sync-") as tmp:
            path = objects.download(key, Path(tmp) / "object")
            ctype = local.get("ContentType") or objects.content_type_for(key)
            self._retry(f"put {key}", lambda: self.cloud.put_file(key, path, ctype))
        self.report.objects += 1

    def _record(self, logical: str, item: dict) -> None:
        if self._retry(f"put {logical} {item['id']}", lambda: self.cloud.put_if_absent(logical, item)):
            self.report.records += 1


def sync_once(
    data_dir: Path, target: CloudTarget | None = None, backoff: Backoff | None = None
) -> SyncReport:
    target = target or CloudTarget.from_env()
    if target is None:
        return SyncReport(
            error="no cloud is configured (set CHOLEOR_CLOUD_S3_ENDPOINT, "
            "CHOLEOR_CLOUD_DYNAMODB_ENDPOINT or CHOLEOR_CLOUD_BUCKET)"
        )
    return Syncer(target, data_dir, backoff).run_pass()


def sync_forever(
    syncer: Syncer, stop: threading.Event, interval: float = 300.0, max_wait: float = 3600.0
) -> None:
    """The device's background loop: a pass every `interval`, backing off while the cloud is away."""
    failures = 0
    while not stop.is_set():
        try:
            report = syncer.run_pass()
            failures = failures + 1 if report.error else 0
            if report.uploaded or report.error:
                log.info("sync: %s", report.as_dict())
        except Exception as exc:  # local storage hiccup: try again later
            failures += 1
            log.warning("sync pass failed: %s", exc)
        wait = interval if failures == 0 else min(max_wait, interval * 2 ** min(failures - 1, 10))
        stop.wait(wait)

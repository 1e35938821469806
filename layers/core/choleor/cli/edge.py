"""`choleor edge run|send|sync`: Choleor on a device, driven over MQTT or Greengrass IPC."""

from __future__ import annotations

import json
import signal
import threading

from ..usecases import edge, system
from .output import emit, say


def run_device(args) -> int:
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    broker = None if args.ipc else args.broker
    with system.storage(args.data) as data:
        edge.run_device(
            args.device,
            data,
            stop,
            broker=broker,
            iot_core=not args.no_iot_core,
            workers=args.workers,
            sync_every=args.sync_every,
            say=lambda line: print(line, flush=True),
        )
    return 0


def run_send(args) -> int:
    out = edge.send(
        args.broker,
        args.device,
        args.kind,
        args.file,
        style=args.style,
        title=args.title,
        job_id=args.job_id,
        timeout=args.timeout,
        say=say,
    )
    result = out["result"]
    if args.json:
        emit({"job_id": out["job_id"], **(result if isinstance(result, dict) else {"result": result})})
    else:
        print(f"job {out['job_id']} done: {json.dumps(result)[:300]}")
    return 0


def run_sync(args) -> int:
    with system.storage(args.data) as data:
        report = edge.sync(data)
    if args.json:
        emit(report)
    else:
        print(
            f"synced {report['sources']} sources and {report['renders']} renders: {report['objects']} objects "
            f"and {report['records']} records uploaded, {report['skipped']} items already synced, "
            f"{report['pending']} left for later"
        )
    if report["error"]:
        say(f"choleor edge sync: {report['error']} (nothing lost: the next pass goes on)")
        return 1
    return 0

"""`choleor edge run|send|sync`: Choleor on a device, driven over MQTT or Greengrass IPC."""

from __future__ import annotations

import json
import signal
import threading

from ..usecases import edge, system
from .output import emit, say

DEFAULT_BROKER = "127.0.0.1:1883"


def register(sub) -> None:
    p = sub.add_parser(
        "edge",
        help="run Choleor on a device (Raspberry Pi, Greengrass) and talk to it",
        description="The device process, a client that sends it work, and the cloud sync.",
    )
    esub = p.add_subparsers(dest="edge_command", metavar="ACTION")
    esub.required = True

    run = esub.add_parser(
        "run",
        help="the device process: take jobs from the bus, publish events",
        description="Subscribe to choleor/<device>/jobs/+, run each job on this "
        "machine's local stack and publish choleor/<device>/events.",
    )
    run.add_argument("--device", required=True, help="device name (the Greengrass thing name)")
    bus = run.add_mutually_exclusive_group()
    bus.add_argument("--broker", default=None, help=f"MQTT broker host:port (default {DEFAULT_BROKER})")
    bus.add_argument("--ipc", action="store_true", help="use Greengrass v2 IPC (inside a component)")
    run.add_argument(
        "--no-iot-core",
        action="store_true",
        help="with --ipc: local pub/sub only, not AWS IoT Core through the MQTT proxy",
    )
    run.add_argument(
        "--workers",
        type=int,
        default=1,
        help="jobs at once (default 1: a Pi has 4 cores and an ingest uses 2)",
    )
    run.add_argument(
        "--sync-every",
        type=float,
        default=300.0,
        help="seconds between cloud sync passes when a cloud is configured (0: never)",
    )
    run.set_defaults(func=run_device)

    send = esub.add_parser(
        "send",
        help="send a file and a job to a device and wait for the result",
        description="For source.ingest FILE is the video (sent to the device in "
        "chunks first); for other kinds FILE is a JSON file of params.",
    )
    send.add_argument("--device", required=True)
    send.add_argument("--broker", default=DEFAULT_BROKER, help=f"host:port (default {DEFAULT_BROKER})")
    send.add_argument("kind", metavar="KIND", help="job kind, e.g. source.ingest")
    send.add_argument("file", metavar="FILE")
    send.add_argument("--style", default="unknown", help="dance style of an ingested video")
    send.add_argument("--title", help="title of an ingested video")
    send.add_argument(
        "--job-id",
        help="job id (default: derived from the kind and the file, so "
        "sending the same thing again is the same job)",
    )
    send.add_argument("--timeout", type=float, default=1800.0, help="seconds to wait (default 1800)")
    send.add_argument("--json", action="store_true", help="print the result as one JSON object")
    send.set_defaults(func=run_send)

    sync = esub.add_parser("sync", help="one pass of the cloud sync (counts what it uploaded)")
    sync.add_argument("--json", action="store_true")
    sync.set_defaults(func=run_sync)


def run_device(args) -> int:
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    broker = None if args.ipc else (args.broker or DEFAULT_BROKER)
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

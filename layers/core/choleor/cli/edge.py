"""`choleor edge run|send|sync`: Choleor on a device, driven over MQTT or Greengrass IPC."""

from __future__ import annotations

import hashlib
import json
import signal
import sys
import threading
import time
from pathlib import Path

from .. import config
from ..stack import session

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


def _host_port(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    return (host or "127.0.0.1"), int(port or 1883)


def run_device(args) -> int:
    from ..edge.bus import IpcBus, MqttBus
    from ..edge.cloud import CloudTarget
    from ..edge.device import Device
    from ..edge.sync import Syncer, sync_forever

    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    data = config.data_dir(args.data)
    with session.storage(data):
        if args.ipc:
            bus, where = IpcBus(iot_core=not args.no_iot_core), "Greengrass IPC"
        else:
            host, port = _host_port(args.broker or DEFAULT_BROKER)
            bus = MqttBus(host, port, client_id=f"choleor-device-{args.device}", persistent=True)
            bus.connect(timeout=60)
            where = f"mqtt://{host}:{port}"
        device = Device(bus, args.device, data, workers=args.workers).start()
        target = CloudTarget.from_env()
        if target and args.sync_every > 0:
            threading.Thread(
                target=sync_forever,
                args=(Syncer(target, data), stop, args.sync_every),
                name="edge-sync",
                daemon=True,
            ).start()
        print(f"device {args.device} listening on {where} (Ctrl-C to stop)", flush=True)
        stop.wait()
        device.stop()
        if not args.ipc:
            bus.close()
    return 0


def default_job_id(kind: str, digest: str, style: str) -> str:
    return f"{kind.replace('.', '-')}-{hashlib.sha1(f'{kind}|{digest}|{style}'.encode()).hexdigest()[:16]}"


def run_send(args) -> int:
    from ..edge import events_topic, jobs_topic
    from ..edge.bus import MqttBus
    from ..edge.files import send_file
    from . import emit

    path = Path(args.file)
    if not path.is_file():
        print(f"choleor edge send: no such file: {path}", file=sys.stderr)
        return 1
    host, port = _host_port(args.broker)
    try:
        bus = MqttBus(host, port).connect()
    except ConnectionError as exc:
        print(f"choleor edge send: {exc}", file=sys.stderr)
        return 1
    deadline = time.monotonic() + args.timeout
    try:
        if args.kind == "source.ingest":

            def sent(i: int, n: int) -> None:
                if i == n or i % 64 == 0:
                    print(f"sending {path.name}: {i}/{n} chunks", file=sys.stderr, flush=True)

            file_id = send_file(bus, args.device, path, timeout=args.timeout, progress=sent)
            params = {"file_id": file_id, "style": args.style, "filename": path.name}
            if args.title:
                params["title"] = args.title
            digest = file_id
        else:
            params = json.loads(path.read_text())
            digest = hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()
        job_id = args.job_id or default_job_id(args.kind, digest, args.style)
        final = _await_job(bus, args.device, args.kind, job_id, params, deadline, jobs_topic, events_topic)
    except TimeoutError as exc:
        print(f"choleor edge send: {exc}", file=sys.stderr)
        return 1
    finally:
        bus.close()
    if final is None:
        print(
            f"choleor edge send: no result from device {args.device} within {args.timeout:.0f} s",
            file=sys.stderr,
        )
        return 1
    if final["status"] != "done":
        print(f"choleor edge send: {final.get('error') or 'the job failed'}", file=sys.stderr)
        return 1
    if args.json:
        emit(
            {
                "job_id": job_id,
                **(
                    final.get("result")
                    if isinstance(final.get("result"), dict)
                    else {"result": final.get("result")}
                ),
            }
        )
    else:
        print(f"job {job_id} done: {json.dumps(final.get('result'))[:300]}")
    return 0


def _await_job(
    bus, device: str, kind: str, job_id: str, params: dict, deadline: float, jobs_topic, events_topic
) -> dict | None:
    """Publish the job and print its progress until its final event (or the deadline)."""
    final: dict = {}
    ended = threading.Event()

    def on_event(topic: str, ev: dict) -> None:
        if ev.get("job_id") != job_id:
            return
        if ev.get("status") in ("done", "failed"):
            final.update(ev)
            ended.set()
        else:
            print(
                f"{float(ev.get('progress') or 0) * 100:5.1f}%  {ev.get('message', '')}",
                file=sys.stderr,
                flush=True,
            )

    bus.subscribe(events_topic(device), on_event)
    bus.publish(jobs_topic(device, kind), {"job_id": job_id, "params": params})
    ended.wait(max(0.0, deadline - time.monotonic()))
    return final or None


def run_sync(args) -> int:
    from ..edge.sync import sync_once
    from . import emit

    data = config.data_dir(args.data)
    with session.storage(data):
        report = sync_once(data)
    if args.json:
        emit(report.as_dict())
    else:
        print(
            f"synced {report.sources} sources and {report.renders} renders: {report.objects} objects "
            f"and {report.records} records uploaded, {report.skipped} items already synced, "
            f"{report.pending} left for later"
        )
    if report.error:
        print(f"choleor edge sync: {report.error} (nothing lost: the next pass goes on)", file=sys.stderr)
        return 1
    return 0

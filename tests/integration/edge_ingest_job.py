"""One edge ingest, as a script: the device process of `choleor edge run` on the in-memory bus.

    python edge_ingest_job.py VIDEO JOB_ID

A `Device` subscribes to its job topic; the edge client's `await_job` sends it a `source.ingest`
job for VIDEO (by path, as `choleor edge send` does after the file's chunks have arrived) and waits
for the final event. The job runs with the core's runner against the storage the environment names
(AWS_ENDPOINT_URL_*), and ingests with the pose model CHOLEOR_POSE_VARIANT names. Prints one JSON
line: the machine it ran on, the seconds from send to final event, and that event.

The arm64 test runs this inside the arm64 Lambda image under qemu, and on this machine for reference.
"""

from __future__ import annotations

import json
import platform
import sys
import tempfile
import time
from pathlib import Path

from choleor.edge.bus import MemoryBus
from choleor.edge.client import await_job
from choleor.edge.device import Device


def main(video: str, job_id: str) -> int:
    bus = MemoryBus()
    with tempfile.TemporaryDirectory(prefix="choleor-device-") as data:
        device = Device(bus, "pi", Path(data), poll=0.5, sweep_interval=0).start()
        start = time.perf_counter()
        params = {"path": video, "style": "salsa", "filename": Path(video).name}
        final = await_job(bus, "pi", "source.ingest", job_id, params, time.monotonic() + 3000, print)
        seconds = time.perf_counter() - start
        device.stop()
    print(json.dumps({"machine": platform.machine(), "seconds": round(seconds, 1), "event": final}))
    return 0 if final and final["status"] == "done" else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))

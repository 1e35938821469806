"""The edge: Choleor's jobs on a device (a Raspberry Pi under AWS IoT Greengrass v2).

`bus` is the pub/sub port (in-memory, Greengrass IPC, MQTT), `device` the
long-running process that takes jobs from the bus and runs them with the core's
own runner on the device's local stack, `files` moves videos over the bus in
chunks, `handler` is the Greengrass v1-style Lambda entry point, and `sync`
copies finished work to the cloud when it can be reached (`cloud` holds the
second set of boto3 clients that sync needs).

Topics (device = the Greengrass thing name or `--device`):
    choleor/<device>/jobs/<kind>      {"job_id", "params"}                 client -> device
    choleor/<device>/files/<file_id>  chunks of a file, then a final message  client -> device
    choleor/<device>/events           job and file events                  device -> client
"""

from __future__ import annotations


def jobs_topic(device: str, kind: str = "+") -> str:
    return f"choleor/{device}/jobs/{kind}"


def files_topic(device: str, file_id: str = "+") -> str:
    return f"choleor/{device}/files/{file_id}"


def events_topic(device: str) -> str:
    return f"choleor/{device}/events"

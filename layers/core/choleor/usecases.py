"""The use cases: what a person (or the library admin) can do.

Every face calls these functions and only translates their arguments and
results; none of them knows about HTTP, Lambda events or MQTT.
"""

from __future__ import annotations

from .errors import ChoreError
from .jobs import dispatch
from .storage import objects, records


def health() -> dict:
    """State of DynamoDB, S3 and the job workers, as a person would want to read it."""
    out: dict = {}
    for name, ping in (("dynamodb", records.ping), ("s3", objects.ping)):
        try:
            ping()
            out[name] = {"ok": True}
        except ChoreError as exc:
            out[name] = {"ok": False, "error": exc.message}
        except Exception as exc:  # health must answer even when storage is broken
            out[name] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    out["workers"] = dispatch.current().status()
    out["ok"] = all(v.get("ok") for v in out.values())
    return out

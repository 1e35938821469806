"""Job kinds used only by the tests (loaded through CHOLEOR_JOB_MODULES)."""

import time

from choleor.errors import BadInput
from choleor.jobs.registry import register
from choleor.storage import objects, records


@register("test.slow_effect")
def slow_effect(params: dict, report) -> dict:
    """Works for a while, then has one idempotent effect keyed by its token."""
    steps = int(params.get("steps", 10))
    for i in range(steps):
        report(i / steps, f"step {i + 1} of {steps}")
        time.sleep(float(params.get("delay", 0.05)))
    objects.put_bytes(f"test-effects/{params['token']}", b"done")
    # A counter that is NOT idempotent: it shows how many times the effect ran to the end.
    records.update("jobs", {"id": f"counter-{params['token']}"}, add={"runs": 1})
    return {"token": params["token"], "steps": steps}


@register("test.bad_input")
def bad_input(params: dict, report) -> None:
    raise BadInput("the file is not a song")


@register("test.flaky")
def flaky(params: dict, report) -> str:
    key = {"id": f"counter-{params['token']}"}
    runs = records.update("jobs", key, add={"runs": 1})["runs"]
    if runs < int(params["fail_times"]):
        raise RuntimeError("transient failure")
    return "ok"

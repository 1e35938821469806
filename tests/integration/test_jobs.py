"""Jobs against the real local servers: leases, idempotence, retries, crash recovery."""

import os
import signal
import subprocess
import sys
import time
import uuid

import pytest

from choleor.errors import Conflict
from choleor.jobs import dispatch, runner, store
from choleor.storage import objects, records
from tests.paths import ROOT

os.environ.setdefault("CHOLEOR_JOB_MODULES", "tests.integration.jobkinds")


def token() -> str:
    return uuid.uuid4().hex


def runs(tok: str) -> int:
    rec = records.get("jobs", {"id": f"counter-{tok}"})
    return rec["runs"] if rec else 0


def test_job_runs_and_reports(local_stack):
    tok = token()
    job = store.create("test.slow_effect", {"token": tok, "steps": 3, "delay": 0.01})
    assert job.status == store.QUEUED and job.progress == 0
    done = runner.run_job(job.id)
    assert done.status == store.DONE and done.progress == 1.0
    assert done.result == {"token": tok, "steps": 3} and done.attempts == 1
    assert objects.exists(f"test-effects/{tok}")


def test_running_a_finished_job_again_changes_nothing(local_stack):
    tok = token()
    job = store.create("test.slow_effect", {"token": tok, "steps": 1, "delay": 0})
    runner.run_job(job.id)
    again = runner.run_job(job.id)  # a redelivered event
    assert again.status == store.DONE and again.attempts == 1
    assert runs(tok) == 1


def test_creating_the_same_job_id_twice_returns_the_first(local_stack):
    jid = f"test-{token()}"
    a = store.create("test.slow_effect", {"token": "a"}, job_id=jid)
    b = store.create("test.slow_effect", {"token": "b"}, job_id=jid)
    assert b.params == a.params == {"token": "a"}


def test_a_job_held_by_a_live_worker_is_left_alone(local_stack):
    job = store.create("test.slow_effect", {"token": token()})
    assert store.claim(job.id, "worker-a", lease=30) is not None
    assert store.claim(job.id, "worker-b", lease=30) is None
    assert runner.run_job(job.id, owner="worker-b").status == store.RUNNING


def test_an_expired_lease_is_taken_over_and_the_old_owner_cannot_finish(local_stack):
    job = store.create("test.slow_effect", {"token": token()})
    store.claim(job.id, "worker-a", lease=0.2)
    time.sleep(0.4)
    assert [j.id for j in store.recoverable() if j.id == job.id] == [job.id]
    assert store.claim(job.id, "worker-b", lease=30).attempts == 2
    with pytest.raises(Conflict):
        store.complete(job.id, "worker-a", "stale result")
    assert store.get(job.id).owner == "worker-b"


def test_a_clear_error_fails_the_job_with_its_message(local_stack):
    job = store.create("test.bad_input", {})
    out = runner.run_job(job.id)
    assert out.status == store.FAILED and out.error == "the file is not a song"


def test_unexpected_errors_are_retried_then_fail(local_stack):
    tok = token()
    job = store.create("test.flaky", {"token": tok, "fail_times": 2})
    assert runner.run_job(job.id).status == store.QUEUED  # first try failed, back in the queue
    assert runner.run_job(job.id).status == store.DONE
    tok = token()
    job = store.create("test.flaky", {"token": tok, "fail_times": 99})
    statuses = [runner.run_job(job.id).status for _ in range(store.MAX_ATTEMPTS)]
    assert statuses[-1] == store.FAILED and "transient failure" in store.get(job.id).error


def test_unknown_kind_fails_clearly(local_stack):
    job = store.create("no.such.kind", {})
    assert "unknown job kind" in runner.run_job(job.id).error


def test_thread_dispatcher_runs_submitted_jobs(local_stack):
    workers = dispatch.ThreadDispatcher(workers=2, sweep_interval=60).start()
    try:
        toks = [token() for _ in range(4)]
        jobs = [store.create("test.slow_effect", {"token": t, "steps": 2, "delay": 0.01}) for t in toks]
        for j in jobs:
            workers.submit(j.id)
            workers.submit(j.id)  # a duplicate submission
        deadline = time.time() + 30
        while time.time() < deadline and any(store.get(j.id).status != store.DONE for j in jobs):
            time.sleep(0.1)
        assert all(store.get(j.id).status == store.DONE for j in jobs)
        assert [runs(t) for t in toks] == [1, 1, 1, 1]
        assert workers.status()["alive"] == 3  # two workers and one for a person's jobs
    finally:
        workers.stop()


def test_a_persons_job_starts_while_background_work_fills_the_workers(local_stack):
    """Two workers busy with long background jobs, more background queued: a job a person waits
    for starts at once (on the foreground worker), and the queued background waits its turn."""
    workers = dispatch.ThreadDispatcher(
        workers=2, sweep_interval=60, background_kinds=frozenset({"test.slow_effect"})
    ).start()
    try:
        long = [
            store.create("test.slow_effect", {"token": token(), "steps": 40, "delay": 0.05}) for _ in range(4)
        ]
        for j in long:
            workers.submit(j.id)
        deadline = time.time() + 10
        while time.time() < deadline and sum(store.get(j.id).status == store.RUNNING for j in long) < 2:
            time.sleep(0.05)
        person = store.create("test.flaky", {"token": token(), "fail_times": 0})
        workers.submit(person.id)
        deadline = time.time() + 10
        while time.time() < deadline and store.get(person.id).status != store.DONE:
            time.sleep(0.05)
        assert store.get(person.id).status == store.DONE
        # the person's job did not wait for the background ones: two are still running, two queued
        states = sorted(store.get(j.id).status for j in long)
        assert states == [store.QUEUED, store.QUEUED, store.RUNNING, store.RUNNING], states
    finally:
        workers.stop()


def _worker(env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "choleor.cli", "worker", "--workers", "1", "--lease", "1.5", "--sweep", "0.3"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def test_a_worker_killed_mid_job_is_replaced_and_the_effect_happens_once(local_stack):
    tok = token()
    job = store.create("test.slow_effect", {"token": tok, "steps": 30, "delay": 0.1})
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CHOLEOR_JOB_MODULES": "tests.integration.jobkinds"}
    first = _worker(env)
    try:
        deadline = time.time() + 60
        while time.time() < deadline and store.get(job.id).progress < 0.2:
            time.sleep(0.05)
        assert store.get(job.id).status == store.RUNNING
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        half = store.get(job.id)
        assert half.status == store.RUNNING and 0.2 <= half.progress < 1.0
        assert runs(tok) == 0

        second = _worker(env)
        try:
            deadline = time.time() + 60
            while time.time() < deadline and store.get(job.id).status != store.DONE:
                time.sleep(0.1)
        finally:
            second.send_signal(signal.SIGINT)
            second.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
    done = store.get(job.id)
    assert done.status == store.DONE and done.attempts == 2
    assert runs(tok) == 1
    assert objects.list_keys(f"test-effects/{tok}") == [f"test-effects/{tok}"]


def test_a_failure_message_shows_no_internal_address():
    from choleor.jobs.runner import scrub

    text = scrub(
        'Could not connect to the endpoint URL: "http://127.0.0.1:48491/" (10.0.0.7:8000, localhost:9)'
    )
    assert (
        "127.0.0.1" not in text and "http" not in text and "10.0.0.7" not in text and "localhost" not in text
    )

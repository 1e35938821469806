"""The edge device over a real MQTT broker (amqtt), driven by `choleor edge send`, on the test's stack."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

import pytest

from tests.cli import argv
from tests.paths import ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, proc: subprocess.Popen, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the broker exited at start"
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError(f"nothing listens on {port}")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def broker(tmp_path_factory):
    """amqtt on a free loopback port, anonymous, as a child process."""
    port = free_port()
    cfg = tmp_path_factory.mktemp("broker") / "broker.yaml"
    cfg.write_text(
        f"listeners:\n  default:\n    type: tcp\n    bind: 127.0.0.1:{port}\n"
        "plugins:\n  amqtt.plugins.authentication.AnonymousAuthPlugin:\n    allow_anonymous: true\n"
    )
    amqtt = os.path.join(os.path.dirname(sys.executable), "amqtt")
    proc = subprocess.Popen([amqtt, "-c", str(cfg)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_port(port, proc)
        yield f"127.0.0.1:{port}"
    finally:
        stop(proc)


@pytest.fixture(scope="module")
def device(local_stack, broker, tmp_path_factory):
    """`choleor edge run` as its own process, on the test's local stack."""
    env = {
        **os.environ,
        **local_stack.env(),
        "CHOLEOR_DATA": str(tmp_path_factory.mktemp("device")),
        "PYTHONPATH": str(ROOT),
    }
    proc = subprocess.Popen(
        argv("edge", "run", "--device", "test", "--broker", broker),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    line = proc.stdout.readline()
    assert "listening" in line, line + proc.stdout.read() if proc.poll() is not None else line
    yield proc
    stop(proc)


def send(broker: str, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        argv("edge", "send", "--device", "test", "--broker", broker, *args),
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def test_an_ingest_sent_over_mqtt_reports_progress_and_returns_moves_once(device, broker, tmp_path):
    from choleor.jobs import store
    from choleor.storage import records
    from tests.media import dance_video

    video = dance_video(tmp_path, "salsa", 12)
    first = send(broker, "source.ingest", str(video), "--style", "salsa", "--json")
    assert first.returncode == 0, first.stderr
    assert "sending salsa-12s.mp4" in first.stderr
    progress = [ln for ln in first.stderr.splitlines() if "%" in ln]
    assert len(progress) >= 3, first.stderr
    result = json.loads(first.stdout)
    assert result["moves"] and result["fps"] == 30
    sid = result["source_id"]

    second = send(broker, "source.ingest", str(video), "--style", "salsa", "--json")
    assert second.returncode == 0, second.stderr
    assert json.loads(second.stdout) == result
    assert "sending" not in second.stderr  # the device already holds the file
    job = store.get(result["job_id"])
    assert job.status == store.DONE and job.attempts == 1
    stored = records.query("moves", "source_id", sid, index="by_source")
    assert sorted(m["id"] for m in stored) == sorted(m["move_id"] for m in result["moves"])
    edge_sources = [s for s in records.scan("sources") if s.get("job_id") == result["job_id"]]
    assert [s["id"] for s in edge_sources] == [sid] and edge_sources[0]["status"] == "ready"


def test_a_failing_job_exits_non_zero_with_one_line(device, broker, tmp_path):
    text = tmp_path / "notes.mp4"
    text.write_text("this is not a video\n" * 50)
    out = send(broker, "source.ingest", str(text))
    assert out.returncode == 1
    (line,) = out.stderr.strip().splitlines()[-1:]
    assert line.startswith("choleor edge send: ") and "video" in line


def test_no_device_means_a_timeout_not_a_hang(broker, tmp_path):
    params = tmp_path / "params.json"
    params.write_text("{}")
    out = subprocess.run(
        argv(
            "edge",
            "send",
            "--device",
            "nobody",
            "--broker",
            broker,
            "--timeout",
            "3",
            "song.analyze",
            str(params),
        ),
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert out.returncode == 1 and "within 3 s" in out.stderr

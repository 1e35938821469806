"""The app under the real AWS SAM CLI on this machine: every function in its Lambda container.

podman serves the Docker API that SAM speaks (`podman system service`); the SAM CLI lives in
its own virtualenv (.sam-venv). Lambda containers cannot reach the host's loopback, so the
local stack listens on the podman bridge's address, and `sam local start-lambda` too (the API's
containers invoke job functions through it). `sam local start-api` serves the API and the front
end to the browser on the loopback.

- start-api keeps one warm container per function (`--warm-containers LAZY`): a call takes
  tens of milliseconds once the container runs;
- start-lambda starts a fresh container per invocation, as Lambda does under concurrency: the
  pieces of a video render in parallel containers.

Tables and buckets are the local stack's (provisioned from template.yaml); --env-vars gives the
functions their names and the endpoints (only variables the template declares can be set so).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from ..config import TABLES, repo_root
from ..errors import Unavailable
from . import template as tpl
from .servers import S3RVER_KEY, LocalStack, answers, free_port

PODMAN_SOCKET = Path("/run/podman/podman.sock")
LIGHT_IMAGE = "localhost/choleor-light:latest"
STACK_NAME = "local"  # what `sam local` resolves ${AWS::StackName} to
_PR_SET_PDEATHSIG = 1


class SamError(Unavailable):
    """SAM, podman or the images are not ready; the message says what to run."""


def root() -> Path:
    path = repo_root()
    if path is None:
        raise SamError("SAM runs from a checkout of the repository (template.yaml is needed)")
    return path


def sam_bin() -> Path:
    path = root() / ".sam-venv" / "bin" / "sam"
    if not path.exists():
        raise SamError(f"the SAM CLI is not installed at {path}: run `make sam-setup`")
    return path


def _podman_answers(sock: Path) -> bool:
    if not sock.exists():
        return False
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(2)
        try:
            s.connect(str(sock))
            s.sendall(b"GET /_ping HTTP/1.0\r\n\r\n")
            return b"OK" in s.recv(256)
        except OSError:
            return False


def podman_service(sock: Path = PODMAN_SOCKET, timeout: float = 20.0) -> str:
    """DOCKER_HOST of podman's Docker API, starting the service (detached, like dockerd) if needed."""
    if _podman_answers(sock):
        return f"unix://{sock}"
    if not shutil.which("podman"):
        raise SamError("podman is not installed: run `make sam-setup`")
    sock.parent.mkdir(parents=True, exist_ok=True)
    sock.unlink(missing_ok=True)
    log = open(sock.parent / "podman-service.log", "ab")
    subprocess.Popen(
        ["podman", "system", "service", "--time=0", f"unix://{sock}"],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + timeout
    while not _podman_answers(sock):
        if time.monotonic() > deadline:
            raise SamError(f"podman's API service did not answer on {sock} (log: {log.name})")
        time.sleep(0.2)
    return f"unix://{sock}"


def _has_address(addr: str) -> bool:
    with socket.socket() as s:
        try:
            s.bind((addr, 0))
        except OSError:
            return False
    return True


def bridge_address() -> str:
    """The podman bridge's gateway address on this host (the bridge comes up with a first container)."""
    out = subprocess.run(
        ["podman", "network", "inspect", "podman"], capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        raise SamError(f"podman has no default network: {out.stderr.strip()} (run `make sam-setup`)")
    nets = json.loads(out.stdout)
    gateway = nets[0]["subnets"][0]["gateway"]
    if not _has_address(gateway):
        subprocess.run(
            ["podman", "run", "--rm", "--entrypoint", "/bin/true", LIGHT_IMAGE],
            capture_output=True,
            check=False,
        )
    if not _has_address(gateway):
        raise SamError(f"the podman bridge's address {gateway} is not up on this host")
    return gateway


def sam_env(docker_host: str) -> dict[str, str]:
    """The SAM CLI's own environment: podman's socket, and the local stack's credentials, which SAM
    hands to every container (s3rver accepts only its own key)."""
    return {
        **os.environ,
        "DOCKER_HOST": docker_host,
        "SAM_CLI_TELEMETRY": "0",
        "AWS_ACCESS_KEY_ID": S3RVER_KEY,
        "AWS_SECRET_ACCESS_KEY": S3RVER_KEY,
        "AWS_REGION": os.environ.get("AWS_REGION", "us-east-1"),
        "AWS_DEFAULT_REGION": os.environ.get("AWS_REGION", "us-east-1"),
    }


def function_env(stack: LocalStack, lambda_url: str, admin_key: str | None) -> dict[str, str]:
    """Values for every variable template.yaml declares, pointing at the local stack."""
    declared = tpl.load()["Globals"]["Function"]["Environment"]["Variables"]
    values = {var: logical for var, logical in TABLES.values()}
    values |= {
        "CHOLEOR_BUCKET": os.environ.get("CHOLEOR_BUCKET", "choleor-media"),
        "CHOLEOR_JOB_FUNCTION_PREFIX": f"{STACK_NAME}-",
        "CHOLEOR_ADMIN_KEY": admin_key or "",
        "AWS_ENDPOINT_URL_DYNAMODB": stack.dynamodb_url,
        "AWS_ENDPOINT_URL_S3": stack.s3_url,
        "AWS_ENDPOINT_URL_LAMBDA": lambda_url,
    }
    return {var: values.get(var, value if isinstance(value, str) else "") for var, value in declared.items()}


def build(docker_host: str, arch: str = "x86_64", python: str = "python3") -> None:
    """Base images (cached by their locks), then `sam build` (the functions' thin images)."""
    here = root()
    base = [python, str(here / "infra" / "lambda" / "build.py"), "--arch", arch, "--latest"]
    subprocess.run(base, check=True)
    cmd = [str(sam_bin()), "build", "--parameter-overrides", f"Architecture={arch}"]
    subprocess.run(cmd, cwd=here, env=sam_env(docker_host), check=True, stdout=subprocess.DEVNULL)


def _die_with_parent() -> None:
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass
    os.setsid()


@dataclass
class SamLocal:
    """`sam local start-lambda` on the bridge and `sam local start-api` on the loopback."""

    stack: LocalStack
    logs: Path
    api_port: int = 3000
    api_host: str = "127.0.0.1"
    admin_key: str | None = None
    docker_host: str = f"unix://{PODMAN_SOCKET}"
    lambda_port: int = 0
    procs: list[subprocess.Popen] = field(default_factory=list)

    @property
    def lambda_url(self) -> str:
        return f"http://{self.stack.host}:{self.lambda_port}"

    @property
    def api_url(self) -> str:
        return f"http://{self.api_host}:{self.api_port}"

    def start(self, timeout: float = 120.0) -> SamLocal:
        self.lambda_port = self.lambda_port or free_port(self.stack.host)
        self.logs.mkdir(parents=True, exist_ok=True)
        env_file = self.logs / "sam-env.json"
        env_file.write_text(
            json.dumps({"Parameters": function_env(self.stack, self.lambda_url, self.admin_key)}, indent=1)
        )
        built = root() / ".aws-sam" / "build" / "template.yaml"
        if not built.exists():
            raise SamError("the functions are not built: run `make sam-build`")
        common = ["--template", str(built), "--env-vars", str(env_file), "--skip-pull-image"]
        deadline = time.monotonic() + timeout
        # start-api only once start-lambda answers: a request that queues a job needs it.
        self._spawn(
            ["start-lambda", "--host", self.stack.host, "--port", str(self.lambda_port), *common],
            self.logs / "sam-lambda.log",
        )
        self._wait_until_up(deadline)
        self._spawn(
            [
                "start-api",
                "--host",
                self.api_host,
                "--port",
                str(self.api_port),
                "--warm-containers",
                "LAZY",
                *common,
            ],
            self.logs / "sam-api.log",
        )
        self._wait_until_up(deadline)
        return self

    def _spawn(self, args: list[str], log: Path) -> None:
        with open(log, "ab") as out:
            self.procs.append(
                subprocess.Popen(
                    [str(sam_bin()), "local", *args],
                    cwd=root(),
                    env=sam_env(self.docker_host),
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    preexec_fn=_die_with_parent,
                )
            )

    def _wait_until_up(self, deadline: float) -> None:
        """Wait for the last process spawned to answer; on failure stop all of them."""
        url = (self.lambda_url, self.api_url)[len(self.procs) - 1]
        proc = self.procs[-1]
        while not answers(url):
            problem = None
            if proc.poll() is not None:
                problem = f"sam local exited with code {proc.returncode} (logs in {self.logs})"
            elif time.monotonic() > deadline:
                problem = f"sam local did not answer at {url} in time (logs in {self.logs})"
            if problem:
                self.stop()
                raise SamError(problem)
            time.sleep(0.2)

    def stop(self, timeout: float = 30.0) -> None:
        # On SIGTERM, SAM stops and removes the containers it started.
        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        self.procs.clear()


@contextmanager
def running(stack: LocalStack, logs: Path, **kwargs) -> Iterator[SamLocal]:
    sam = SamLocal(stack, logs, **kwargs).start()
    try:
        yield sam
    finally:
        sam.stop()


def invoke(lambda_url: str, function: str, event: object, timeout: float = 300.0) -> tuple[dict, bool]:
    """Invoke a function through start-lambda; returns (payload, whether the function errored)."""
    req = urllib.request.Request(
        f"{lambda_url}/2015-03-31/functions/{function}/invocations",
        data=json.dumps(event).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        payload = json.loads(resp.read() or b"null")
        return payload, bool(resp.headers.get("x-amz-function-error"))

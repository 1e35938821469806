"""The `choleor` command as a person runs it: a child process from the checkout."""

from __future__ import annotations

import subprocess
import sys

from tests.paths import ROOT


def argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "choleor.cli", *args]


def choleor(*args: str, timeout: float = 600, **kw) -> subprocess.CompletedProcess:
    """Run `choleor ARGS` to its end; stdout and stderr as text."""
    return subprocess.run(argv(*args), capture_output=True, text=True, cwd=ROOT, timeout=timeout, **kw)

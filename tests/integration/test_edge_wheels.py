"""Pi readiness: every runtime dependency has an aarch64 / CPython 3.11 wheel on PyPI."""

from __future__ import annotations

import re
import subprocess

from tests.paths import ROOT


def test_every_runtime_dependency_has_an_aarch64_wheel():
    out = subprocess.run(
        ["bash", str(ROOT / "edge_pi" / "check_wheels.sh")], capture_output=True, text=True, timeout=900
    )
    missing = re.findall(r"^NO WHEEL\s+(\S+)", out.stdout, re.M)
    assert not missing, f"no aarch64 wheel for: {', '.join(missing)}"
    assert out.returncode == 0, out.stderr[-2000:]
    assert "boto3==" in out.stdout and "numba==" in out.stdout and "llvmlite==" in out.stdout

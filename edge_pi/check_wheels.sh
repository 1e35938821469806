#!/usr/bin/env bash
# Pi readiness: does every runtime dependency have a binary wheel for 64-bit ARM Linux, Python 3.11?
#
# Checks the pins of pyproject.toml [project.dependencies], the edge component's own pins, and
# every package they pull in (at the versions installed in the venv: numba and llvmlite come
# with librosa, soxr with it too, awscrt with awsiotsdk). Each is fetched alone (--no-deps) so a
# failure names the package. Platform tags: manylinux2014 as asked, plus the newer manylinux_2_x
# tags up to glibc 2.36, which Raspberry Pi OS 64-bit (Debian 12) has; pure-Python wheels pass.
#
# Usage: edge_pi/check_wheels.sh            (exit 1 and "NO WHEEL name==version" lines if any lack one)
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY=${PYTHON:-$ROOT/.venv/bin/python}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# Runtime of the edge component beyond the core (keep in sync with recipe.yaml).
EDGE_PINS="paho-mqtt==2.2.0 awsiotsdk==1.31.0 awscrt==0.36.1"

PLATFORMS=(--platform manylinux2014_aarch64)
for v in 28 31 34 35 36; do PLATFORMS+=(--platform "manylinux_2_${v}_aarch64"); done

PINS=$("$PY" - "$ROOT/pyproject.toml" $EDGE_PINS <<'PYEOF'
"""Print name==version for the roots and their installed dependency closure (Linux, CPython 3.11)."""
import sys, tomllib
from importlib import metadata
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

roots = tomllib.load(open(sys.argv[1], "rb"))["project"]["dependencies"] + sys.argv[2:]
env = {"sys_platform": "linux", "platform_system": "Linux", "platform_machine": "aarch64",
       "python_version": "3.11", "implementation_name": "cpython", "extra": ""}
pins, todo = {}, [Requirement(r) for r in roots]
while todo:
    req = todo.pop()
    name = canonicalize_name(req.name)
    if name in pins or (req.marker and not req.marker.evaluate(env)):
        continue
    spec = [s for s in req.specifier if s.operator == "=="]
    try:
        dist = metadata.distribution(req.name)
        version = dist.version
        todo += [Requirement(r) for r in (dist.requires or [])
                 if not Requirement(r).marker or Requirement(r).marker.evaluate(env)]
    except metadata.PackageNotFoundError:  # not in this venv (device-only): its pin is what we have
        if not spec:
            continue
        version = spec[0].version
    pins[name] = spec[0].version if spec else version
print("\n".join(f"{n}=={v}" for n, v in sorted(pins.items())))
PYEOF
) || { echo "could not read the dependency list" >&2; exit 2; }

missing=()
for pin in $PINS; do
    if "$PY" -m pip download --quiet --only-binary=:all: "${PLATFORMS[@]}" --python-version 3.11 \
            --implementation cp --no-deps -d "$TMP/$pin" "$pin" >"$TMP/log" 2>&1; then
        printf 'ok        %-36s %s\n' "$pin" "$(ls "$TMP/$pin")"
    else
        printf 'NO WHEEL  %s\n' "$pin"
        missing+=("$pin")
    fi
done
if ((${#missing[@]})); then
    echo "no aarch64 wheel for: ${missing[*]}" >&2
    exit 1
fi
echo "all $(wc -w <<<"$PINS") runtime packages have wheels for aarch64 / CPython 3.11"

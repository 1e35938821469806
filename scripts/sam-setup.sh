#!/usr/bin/env bash
# System side of running the functions under the AWS SAM CLI (Debian/Ubuntu, as root or with sudo):
# podman (serves the Docker API SAM speaks), runc, mmdebstrap (builds the base images without any
# image registry), and podman's settings for this kind of machine. Idempotent: quick when done.
# Usage: scripts/sam-setup.sh [--arm64]   (--arm64 adds qemu-user-static, binfmt and arch-test:
# mmdebstrap runs the arm64 packages' install scripts emulated)
set -euo pipefail

need=()
for pkg in podman runc mmdebstrap; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ "${1:-}" = "--arm64" ]; then
  for pkg in qemu-user-static binfmt-support arch-test; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
  done
fi

if [ "$(id -u)" -eq 0 ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
  echo "error: need root (or sudo) to set up podman" >&2; exit 1
fi

if [ ${#need[@]} -gt 0 ]; then
  echo "installing system packages: ${need[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# runc, not crun (crun fails under cgroups v1/hybrid); cgroupfs without systemd; events to a file;
# explicit ulimits (podman's defaults are refused with EPERM in a container-hosted machine).
conf=/etc/containers/containers.conf.d/50-choleor.conf
want='# Written by Choleor'"'"'s scripts/sam-setup.sh: podman settings that work on this kind of machine.
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1000:1000"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"'
if [ ! -f "$conf" ] || [ "$(cat "$conf")" != "$want" ]; then
  $SUDO mkdir -p "$(dirname "$conf")"
  printf '%s\n' "$want" | $SUDO tee "$conf" >/dev/null
  echo "wrote $conf"
fi

# arm64 images run emulated (a correctness check): register qemu with binfmt_misc.
if [ "${1:-}" = "--arm64" ]; then
  if [ ! -e /proc/sys/fs/binfmt_misc/register ]; then
    $SUDO mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
  fi
  if [ ! -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]; then
    $SUDO update-binfmts --enable qemu-aarch64 >/dev/null 2>&1 || true
  fi
  [ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] || { echo "error: qemu-aarch64 is not registered with binfmt_misc" >&2; exit 1; }
fi

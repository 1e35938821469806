"""Build the Lambda base images locally, from Debian packages and PyPI (no image registry).

    python infra/lambda/build.py [--arch x86_64|arm64] [--flavor light|heavy] [--engine podman|docker]

Two flavours, both `ENTRYPOINT python3 -m awslambdaric`:
- localhost/choleor-light: Debian minbase + Python 3.11 + light.lock (boto3, Chalice's routing);
- localhost/choleor-heavy: the same + ffmpeg + heavy.lock (the whole core) + the pose and beat models.

Each is tagged `<arch>-<key>`, where the key hashes everything that goes in (this recipe, the
Debian package list, the lock, the model checksums); a build whose key exists already only moves
the `<arch>` tag (and `latest`), so a rebuild with nothing changed takes about a second.
The functions' Dockerfiles start `FROM ...:latest`, so `latest` is what `sam build` builds on: an
x86_64 build moves it (the local runs' architecture); an arm64 build moves it only with `--latest`
(`sam build` for arm64 passes it), so that building the arm64 images to run them emulated leaves
the local x86_64 functions as they were.
The Debian root filesystem is cached under .cache/lambda/<arch>/<flavour>/, the wheels in pip's cache.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))
from lock import pip_target_args  # noqa: E402

CACHE = ROOT / ".cache" / "lambda"
SUITE = "bookworm"
MIRRORS = [
    f"deb http://deb.debian.org/debian {SUITE} main",
    f"deb http://deb.debian.org/debian {SUITE}-updates main",
    f"deb http://deb.debian.org/debian-security {SUITE}-security main",
]
PACKAGES = {
    "light": ["python3", "ca-certificates"],
    "heavy": ["python3", "ca-certificates", "ffmpeg"],
}
# Leave out what no function reads: docs, man pages, translations, and the GPU drivers that
# ffmpeg's libraries can dlopen (mesa's dri modules and the LLVM they need, ~170 MB).
DPKG_EXCLUDE = [
    "/usr/share/doc/*",
    "/usr/share/man/*",
    "/usr/share/info/*",
    "/usr/share/locale/*",
    "/usr/lib/*/dri/*",
    "/usr/lib/*/libLLVM*",
    "/usr/lib/*/libz3*",
]
DPKG_INCLUDE = ["/usr/share/doc/*/copyright"]  # licences stay
MODELS = {
    "pose": ROOT / "layers" / "pose_model",
    "beat": ROOT / "layers" / "beat_model",
}
DEBIAN_ARCH = {"x86_64": "amd64", "arm64": "arm64"}
WHEEL_ARCH = {"x86_64": "x86_64", "arm64": "aarch64"}


def sha(*parts: bytes | str) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p.encode() if isinstance(p, str) else p)
        h.update(b"\0")
    return h.hexdigest()


def rootfs_key(flavor: str, arch: str) -> str:
    return sha(arch, SUITE, *MIRRORS, *PACKAGES[flavor], *DPKG_EXCLUDE, *DPKG_INCLUDE)[:16]


def image_key(flavor: str, arch: str) -> str:
    parts: list[bytes | str] = [
        rootfs_key(flavor, arch),
        (HERE / "Containerfile").read_bytes(),
        (HERE / f"{flavor}.lock").read_bytes(),
        Path(__file__).read_bytes(),
    ]
    if flavor == "heavy":
        parts += [(d / "onnx.sha256").read_bytes() for d in MODELS.values()]
    return sha(*parts)[:16]


def run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=True, **kw)


def image_exists(engine: str, ref: str) -> bool:
    return (
        subprocess.run(
            [engine, "image", "exists" if engine == "podman" else "inspect", ref], capture_output=True
        ).returncode
        == 0
    )


def build_rootfs(flavor: str, arch: str, ctx: Path) -> None:
    """ctx/rootfs.tar, rebuilt only when its package list or mirrors changed."""
    out, stamp = ctx / "rootfs.tar", ctx / "rootfs.key"
    key = rootfs_key(flavor, arch)
    if out.exists() and stamp.exists() and stamp.read_text() == key:
        return
    ctx.mkdir(parents=True, exist_ok=True)
    stamp.unlink(missing_ok=True)
    cmd = ["mmdebstrap", "--variant=minbase", f"--architectures={DEBIAN_ARCH[arch]}", "--quiet"]
    cmd += [f"--include={','.join(PACKAGES[flavor])}", '--aptopt=Acquire::Retries "3"']
    cmd += [f"--dpkgopt=path-exclude={p}" for p in DPKG_EXCLUDE]
    cmd += [f"--dpkgopt=path-include={p}" for p in DPKG_INCLUDE]
    cmd += [SUITE, str(out), *MIRRORS]
    print(f"  mmdebstrap {flavor} {arch} ...", flush=True)
    run(cmd, stdout=subprocess.DEVNULL)
    stamp.write_text(key)


def stage(flavor: str, arch: str) -> Path:
    """The build context: root filesystem (cached), installed packages, models, recipe."""
    ctx = CACHE / arch / flavor
    build_rootfs(flavor, arch, ctx)
    for old in ("site-packages", "models"):
        shutil.rmtree(ctx / old, ignore_errors=True)
    shutil.copy(HERE / "Containerfile", ctx / "Containerfile")
    site = ctx / "site-packages"
    cmd = [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-compile", "--target", str(site)]
    cmd += [*pip_target_args(WHEEL_ARCH[arch]), "-r", str(HERE / f"{flavor}.lock")]
    run(cmd)
    shutil.rmtree(site / "bin", ignore_errors=True)
    # Compiled here (same CPython 3.11 bytecode on every architecture): Lambda's file system is
    # read-only, so a function could never cache its own .pyc files.
    run(
        [
            sys.executable,
            "-m",
            "compileall",
            "-q",
            "-j",
            "0",
            "--invalidation-mode",
            "unchecked-hash",
            str(site),
        ],
        stdout=subprocess.DEVNULL,
    )
    models = ctx / "models"
    models.mkdir()
    if flavor == "heavy":
        for name, src in MODELS.items():
            cache = src / "cache"
            if not any(cache.glob("*.onnx")):
                raise SystemExit(f"{cache} holds no model: run `make pose-model beat-model` first")
            shutil.copytree(cache, models / name)
    return ctx


def build(flavor: str, arch: str, engine: str, latest: bool) -> str:
    key = image_key(flavor, arch)
    name = f"localhost/choleor-{flavor}"
    ref = f"{name}:{arch}-{key}"
    start = time.monotonic()
    if image_exists(engine, ref):
        how = "cached"
    else:
        ctx = stage(flavor, arch)
        platform = "linux/amd64" if arch == "x86_64" else "linux/arm64"
        run(
            [
                engine,
                "build",
                "--quiet",
                "--platform",
                platform,
                "--label",
                f"choleor.key={key}",
                "-t",
                ref,
                str(ctx),
            ],
            stdout=subprocess.DEVNULL,
        )
        for staged in ("site-packages", "models"):
            shutil.rmtree(ctx / staged)
        how = "built"
    for tag in (arch, "latest") if latest else (arch,):
        run([engine, "tag", ref, f"{name}:{tag}"])
    print(f"{name}:{arch} {how} in {time.monotonic() - start:.1f} s ({ref})", flush=True)
    return ref


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--arch", choices=sorted(DEBIAN_ARCH), default="x86_64")
    ap.add_argument("--flavor", choices=sorted(PACKAGES), action="append")
    ap.add_argument("--engine", default=os.environ.get("CONTAINER_ENGINE", "podman"))
    ap.add_argument("--latest", action="store_true", help="also tag an arm64 build `latest`")
    args = ap.parse_args()
    for flavor in args.flavor or sorted(PACKAGES):
        build(flavor, args.arch, args.engine, latest=args.arch == "x86_64" or args.latest)
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env bash
# Build the beat-activation ONNX model into layers/beat_model/cache/ from the pinned PyPI
# wheel BeatNet==1.1.3 (its weights are CC BY 4.0). No-op when the cache already holds the
# pinned output. See README.md.
#
#   layers/beat_model/build.sh
#   PYTHON=/path/to/python layers/beat_model/build.sh
#   BEAT_MODEL_RECORD=1 layers/beat_model/build.sh   # rewrite onnx.sha256 (after a converter change)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
WHEEL="BeatNet-1.1.3-py3-none-any.whl"
BUILD="$HERE/build"
CACHE="$HERE/cache"
if [[ -z "${PYTHON:-}" ]]; then
    if [[ -x "$REPO/.venv/bin/python" ]]; then PYTHON="$REPO/.venv/bin/python"; else PYTHON=python3; fi
fi

outputs_valid() {
    [[ -f "$CACHE/beatnet_model2.onnx" ]] && (cd "$CACHE" && sha256sum --check --quiet --status "$HERE/onnx.sha256")
}

if [[ "${BEAT_MODEL_RECORD:-0}" != 1 ]] && outputs_valid; then
    echo "beat model: cache up to date ($CACHE)"
    exit 0
fi

# 1. Input: the wheel (not installed: it would pull madmom and torch), checked by sha256.
mkdir -p "$BUILD"
if ! (cd "$BUILD" && sha256sum --check --quiet --status "$HERE/wheel.sha256" 2>/dev/null); then
    echo "beat model: downloading $WHEEL into $BUILD"
    "$PYTHON" -m pip download --quiet --no-deps --only-binary=:all: -d "$BUILD" "beatnet==1.1.3"
    (cd "$BUILD" && sha256sum --check --quiet "$HERE/wheel.sha256") || {
        echo "beat model: the downloaded wheel does not match wheel.sha256" >&2
        exit 1
    }
fi

# 2. Convert model 2's state dict (no PyTorch needed).
if ! "$PYTHON" -c "import onnx" 2>/dev/null; then
    echo "beat model: the build needs 'pip install onnx==1.23.2' for $PYTHON" >&2
    exit 1
fi
mkdir -p "$CACHE"
tmp="$(mktemp -d "$CACHE/.tmp.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
"$PYTHON" -c "import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extract('BeatNet/models/model_2_weights.pt', sys.argv[2])" \
    "$BUILD/$WHEEL" "$tmp"
"$PYTHON" "$HERE/pt_to_onnx.py" "$tmp/BeatNet/models/model_2_weights.pt" "$tmp/beatnet_model2.onnx"
rm -r "$tmp/BeatNet"

# 3. Output: check (or record) the pinned checksum, then publish atomically.
if [[ "${BEAT_MODEL_RECORD:-0}" == 1 ]]; then
    (cd "$tmp" && sha256sum beatnet_model2.onnx) > "$HERE/onnx.sha256"
    echo "beat model: recorded a new checksum in onnx.sha256"
elif ! (cd "$tmp" && sha256sum --check --quiet "$HERE/onnx.sha256"); then
    echo "beat model: the converted file differs from onnx.sha256 (converter or onnx version changed?)." >&2
    echo "            Check parity with PyTorch (README.md), then rerun with BEAT_MODEL_RECORD=1." >&2
    exit 1
fi
cp "$HERE/LICENSE-BeatNet.txt" "$HERE/NOTICE" "$tmp/"
mv -f "$tmp"/* "$CACHE/"
echo "beat model: built beatnet_model2.onnx in $CACHE"

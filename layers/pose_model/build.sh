#!/usr/bin/env bash
# Build the BlazePose ONNX models into layers/pose_model/cache/ from the
# pinned npm package @mediapipe/pose (Apache-2.0). No-op when the cache
# already holds the pinned outputs. See README.md.
#
#   layers/pose_model/build.sh            # build if needed
#   PYTHON=/path/to/python layers/pose_model/build.sh
#   POSE_MODEL_RECORD=1 layers/pose_model/build.sh   # rewrite onnx.sha256 (after a converter change)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
NPM_PACKAGE="@mediapipe/pose@0.5.1675469404"
BUILD="$HERE/build"
CACHE="$HERE/cache"
ASSETS="$BUILD/node_modules/@mediapipe/pose"
if [[ -z "${PYTHON:-}" ]]; then
    if [[ -x "$REPO/.venv/bin/python" ]]; then PYTHON="$REPO/.venv/bin/python"; else PYTHON=python3; fi
fi

outputs_valid() {
    [[ -f "$CACHE/pose_detection.onnx" ]] && (cd "$CACHE" && sha256sum --check --quiet --status "$HERE/onnx.sha256")
}

if [[ "${POSE_MODEL_RECORD:-0}" != 1 ]] && outputs_valid; then
    echo "pose model: cache up to date ($CACHE)"
    exit 0
fi

# 1. Inputs: the npm package, checked against pinned sha256 sums.
if ! (cd "$ASSETS" 2>/dev/null && sha256sum --check --quiet --status "$HERE/tflite.sha256"); then
    echo "pose model: installing $NPM_PACKAGE into $BUILD"
    mkdir -p "$BUILD"
    npm install --prefix "$BUILD" --no-audit --no-fund --loglevel=error "$NPM_PACKAGE"
    (cd "$ASSETS" && sha256sum --check --quiet "$HERE/tflite.sha256") || {
        echo "pose model: the downloaded TFLite files do not match tflite.sha256" >&2
        exit 1
    }
fi

# 2. Convert. The packed assets file is exactly pose_detection.tflite.
if ! "$PYTHON" -c "import tflite, onnx" 2>/dev/null; then
    echo "pose model: the build needs 'pip install tflite==2.18.0 onnx==1.23.2' for $PYTHON" >&2
    exit 1
fi
mkdir -p "$CACHE"
tmp="$(mktemp -d "$CACHE/.tmp.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
convert() {  # SOURCE NAME [--drop OUTPUT]...
    local source="$1" name="$2"; shift 2
    "$PYTHON" "$HERE/tflite_to_onnx.py" "$ASSETS/$source" "$tmp/$name.onnx" --graph-name "$name" "$@"
}
convert pose_solution_packed_assets.data pose_detection
# Identity_2 is the segmentation mask: unused, and it would double the cost.
convert pose_landmark_full.tflite pose_landmark_full --drop Identity_2
convert pose_landmark_lite.tflite pose_landmark_lite --drop Identity_2

# 3. Outputs: check (or record) the pinned checksums, then publish atomically.
if [[ "${POSE_MODEL_RECORD:-0}" == 1 ]]; then
    (cd "$tmp" && sha256sum pose_detection.onnx pose_landmark_full.onnx pose_landmark_lite.onnx) > "$HERE/onnx.sha256"
    echo "pose model: recorded new checksums in onnx.sha256"
elif ! (cd "$tmp" && sha256sum --check --quiet "$HERE/onnx.sha256"); then
    echo "pose model: converted files differ from onnx.sha256 (converter or onnx version changed?)." >&2
    echo "            Check parity (tests/integration/test_pose_model.py), then rerun with POSE_MODEL_RECORD=1." >&2
    exit 1
fi
cp "$HERE/LICENSE-mediapipe.txt" "$HERE/NOTICE" "$tmp/"
mv -f "$tmp"/* "$CACHE/"
echo "pose model: built $(ls "$CACHE"/*.onnx | xargs -n1 basename | tr '\n' ' ')in $CACHE"

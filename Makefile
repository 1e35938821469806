# Two commands a new user needs: `make run` and `make test`. Everything else here serves them.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip

SAM_VENV := .sam-venv
ARCH     ?= x86_64

.PHONY: run test bench lint setup setup-test system-deps pose-model beat-model clean-data
.PHONY: sam sam-setup sam-images sam-build test-arm64

run: setup
	$(VENV)/bin/choleor serve $(ARGS)

# setup-test builds the Lambda images, so here the SAM tests run (elsewhere they skip, saying why).
# The arm64 test runs emulated for minutes and needs its own image: `make test-arm64` runs it.
test: setup-test lint
	CHOLEOR_REQUIRE_SAM=1 $(PY) -m pytest -m 'not arm64' $(PYTEST_ARGS)

# The arm64 heavy image (qemu-user-static registered with binfmt_misc, mmdebstrap's arm64 root
# filesystem, aarch64 wheels), then the edge ingest in it under qemu, checked against this machine's.
test-arm64: ARCH = arm64
test-arm64: sam-setup pose-model beat-model $(VENV)/.installed-test
	$(PY) infra/lambda/build.py --arch arm64 --flavor heavy
	$(PY) -m pytest -m arm64 -v -s tests/integration/test_edge_arm64.py $(PYTEST_ARGS)

# Every benchmark, one after another: each prints its table of ratios measured side by side in one run,
# and fails when a ratio passes its guard (room for noise included). Not part of `make test`.
bench: setup-test
	$(PY) -m pytest tests/bench -o python_files='bench_*.py' -v -s -p no:cacheprovider $(PYTEST_ARGS)

# ruff (config in pyproject.toml): lint, and the format the code is kept in.
lint: $(VENV)/.installed-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

setup: system-deps $(VENV)/.installed infra/node_modules/.installed pose-model beat-model

# The end-to-end tests drive Debian's chromium through Playwright (no browser download); the
# beat tests make speech with espeak-ng; the export tests open PDFs with poppler-utils; the SAM
# tests run the functions' images under the SAM CLI.
setup-test: EXTRA_DEBIAN = chromium espeak-ng poppler-utils
setup-test: setup $(VENV)/.installed-test sam-images

system-deps:
	@scripts/system-deps.sh $(EXTRA_DEBIAN)

$(VENV)/bin/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "error: $(PYTHON) is needed (Python 3.11)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python
	$(PIP) install -q -e '.[model]'
	@touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(PIP) install -q -e '.[model,test]'
	@touch $@

infra/node_modules/.installed: infra/package.json infra/package-lock.json
	cd infra && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# BlazePose ONNX files, converted from the pinned npm package (no-op when cached and valid).
pose-model: $(VENV)/.installed
	@PYTHON=$(abspath $(PY)) bash layers/pose_model/build.sh

# BeatNet's beat/downbeat network as ONNX, converted from the pinned PyPI wheel (no-op when cached).
beat-model: $(VENV)/.installed
	@PYTHON=$(abspath $(PY)) bash layers/beat_model/build.sh

# The whole app under the real AWS SAM CLI, every function in its Lambda container (docs/DEPLOY.md).
# `make run` stays the quick in-process way; this one is true to Lambda.
sam: sam-setup pose-model beat-model
	$(PY) scripts/sam_local.py --arch $(ARCH) $(ARGS)

# podman, runc, mmdebstrap and podman's settings (root), and the SAM CLI in its own virtualenv.
sam-setup: setup $(SAM_VENV)/.installed
	@scripts/sam-setup.sh $(if $(filter arm64,$(ARCH)),--arm64)

$(SAM_VENV)/.installed: infra/lambda/sam-cli.txt
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "error: $(PYTHON) is needed (Python 3.11)"; exit 1; }
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install -q -r infra/lambda/sam-cli.txt
	@touch $@

# The Lambda base images, from Debian packages and PyPI (seconds when their locks did not change).
# ARCH=arm64 builds them for arm64 (Graviton, the Pi) and sets up qemu to run them emulated.
sam-images: sam-setup pose-model beat-model
	$(PY) infra/lambda/build.py --arch $(ARCH)

# The functions' images, as `sam build` makes them.
sam-build: sam-images
	$(PY) scripts/sam_local.py --arch $(ARCH) --build-only

clean-data:
	rm -rf .choleor

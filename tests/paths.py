"""Where the checkout, its shipped data and the test artifacts are."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
ARTIFACTS = ROOT / "test-artifacts"

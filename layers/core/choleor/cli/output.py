"""What commands print: one JSON object on stdout for programs, progress lines on stderr for people."""

from __future__ import annotations

import json
import sys


def emit(obj) -> None:
    json.dump(obj, sys.stdout, indent=None, separators=(",", ":"))
    sys.stdout.write("\n")


def say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def progress(fraction: float, message: str = "") -> None:
    say(f"{fraction * 100:5.1f}%  {message}")

"""The command line answers --help for itself and every command."""

import subprocess
import sys

from choleor.cli import build_parser


def commands() -> list[str]:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    return list(sub.choices)


def test_help_lists_every_command():
    out = subprocess.run([sys.executable, "-m", "choleor.cli", "--help"], capture_output=True, text=True)
    assert out.returncode == 0
    for name in commands():
        assert name in out.stdout
    assert {"serve", "worker"} <= set(commands())


def test_every_command_has_help():
    for name in commands():
        out = subprocess.run(
            [sys.executable, "-m", "choleor.cli", name, "--help"], capture_output=True, text=True
        )
        assert out.returncode == 0 and "usage: choleor" in out.stdout, name

"""The command line answers --help for itself and every command."""

import subprocess
import sys

from choleor.cli.parser import build_parser


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


def test_global_options_come_before_or_after_the_command():
    parser = build_parser()
    for argv in (
        ["--data", "D", "-v", "serve", "--port", "9"],
        ["serve", "--port", "9", "--data", "D", "-v"],
        ["-v", "serve", "--data", "D", "--port", "9"],
    ):
        args = parser.parse_args(argv)
        assert (args.data, args.verbose, args.port) == ("D", True, 9), argv
    # nested commands too, at either level
    for argv in (["library", "--data", "D", "stats"], ["library", "stats", "--data", "D"]):
        assert parser.parse_args(argv).data == "D", argv
    plain = parser.parse_args(["serve"])
    assert (plain.data, plain.verbose) == (None, False)


def test_data_after_the_command_reaches_the_command(tmp_path):
    """`choleor analyze FILE --data DIR` fails on the missing file, not on the option."""
    out = subprocess.run(
        [sys.executable, "-m", "choleor.cli", "analyze", str(tmp_path / "nope.mp3"), "--data", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert "unrecognized arguments" not in out.stderr
    assert out.returncode != 0 and "choleor analyze" in out.stderr

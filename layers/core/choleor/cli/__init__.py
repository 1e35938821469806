"""The `choleor` command line: a face over the core, like the HTTP API.

Errors a person can act on print one line to stderr and exit non-zero;
results meant for programs go to stdout as JSON with --json.
"""

from __future__ import annotations

import argparse
import logging
import sys

from ..errors import ChoreError
from . import commands


def _global_options(parser: argparse.ArgumentParser, default) -> None:
    """--data and -v: the main parser holds the defaults; every subcommand takes them too, with
    SUPPRESS as its default so that it only overrides what was really given after it."""
    parser.add_argument(
        "--data",
        metavar="DIR",
        default=default,
        help="data directory shared by serve and every command "
        "(default: $CHOLEOR_DATA, else .choleor/ in the checkout)",
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", default=default or False, help="log what happens"
    )


def _subparsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    """Every subcommand's parser, nested ones (`edge send`) included."""
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                found += [child, *_subparsers(child)]
    return found


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="choleor",
        description="Make new choreography to music from a library of real dance moves. "
        "--data and -v may come before or after the command.",
    )
    _global_options(parser, None)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for register in commands.REGISTRARS:
        register(sub)
    for child in _subparsers(parser):
        _global_options(child, argparse.SUPPRESS)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    try:
        return int(args.func(args) or 0)
    except ChoreError as exc:
        action = getattr(args, f"{args.command}_command", None)  # e.g. `edge send`
        print(f"choleor {args.command}{' ' + action if action else ''}: {exc.message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())

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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="choleor", description="Make new choreography to music from a library of real dance moves."
    )
    parser.add_argument(
        "--data",
        metavar="DIR",
        help="data directory shared by serve and every command "
        "(default: $CHOLEOR_DATA, else .choleor/ in the checkout)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for register in commands.REGISTRARS:
        register(sub)
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

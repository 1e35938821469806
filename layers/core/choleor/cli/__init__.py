"""The `choleor` command line: a face over the core, like the HTTP API.

Errors a person can act on print one line to stderr and exit non-zero;
results meant for programs go to stdout as JSON with --json.
"""

from __future__ import annotations

import logging
import sys

from ..errors import ChoreError
from .parser import build_parser


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

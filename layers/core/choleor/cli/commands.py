"""Every subcommand's `register(subparsers)`, in the order `--help` lists them."""

from . import serve

REGISTRARS = [serve.register]

"""Every subcommand's `register(subparsers)`, in the order `--help` lists them."""

from . import serve, worker

REGISTRARS = [serve.register, worker.register]

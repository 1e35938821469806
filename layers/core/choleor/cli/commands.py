"""Every subcommand's `register(subparsers)`, in the order `--help` lists them."""

from . import analyze, compose, edge, library, pose, serve, worker

REGISTRARS = [
    serve.register,
    worker.register,
    analyze.register,
    pose.register,
    library.register,
    compose.register,
    edge.register,
]

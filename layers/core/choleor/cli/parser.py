"""The command line's grammar: every command, its arguments and the handler that runs it.

Handlers live in the module named after their command (`cli.analyze.run`, ...); they only
translate between arguments and the use cases.
"""

from __future__ import annotations

import argparse

from . import analyze, compose, edge, library, pose, serve, worker

DEFAULT_BROKER = "127.0.0.1:1883"


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
    for register in (_serve, _worker, _analyze, _pose, _library, _compose, _edge):
        register(sub)
    for child in _subparsers(parser):
        _global_options(child, argparse.SUPPRESS)
    return parser


def _song_args(p) -> None:
    p.add_argument("song", help="song file (anything ffmpeg reads)")
    p.add_argument("--start", type=float, help="start of the interval in seconds (default: the beginning)")
    p.add_argument("--end", type=float, help="end of the interval in seconds (default: the end)")
    p.add_argument("--json", action="store_true", help="print one JSON object to stdout")


def _serve(sub) -> None:
    p = sub.add_parser(
        "serve",
        help="run the whole app on this machine (local servers, API, front end)",
        description="Start the local stack, the job workers and the web app; Ctrl-C stops all.",
    )
    p.add_argument("--port", type=int, default=8000, help="port of the web app (default 8000)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--workers", type=int, default=2, help="job worker threads (default 2)")
    p.add_argument(
        "--no-seed",
        action="store_true",
        help="do not build the default dance library (or add the shipped dancers it lacks)",
    )
    p.set_defaults(func=serve.run)


def _worker(sub) -> None:
    p = sub.add_parser(
        "worker",
        help="run job workers against the shared storage",
        description="Run job workers (and the sweeper that takes up jobs left by a dead "
        "process) until Ctrl-C.",
    )
    p.add_argument("--workers", type=int, default=2, help="worker threads (default 2)")
    p.add_argument(
        "--lease",
        type=float,
        default=60.0,
        help="seconds a job stays claimed without a heartbeat (default 60)",
    )
    p.add_argument("--sweep", type=float, default=10.0, help="seconds between sweeps (default 10)")
    p.set_defaults(func=worker.run)


def _analyze(sub) -> None:
    p = sub.add_parser(
        "analyze",
        help="beats, downbeats and 8-beat segments of a song file",
        description="Analyse a song file (anything ffmpeg reads) and print its beat grid "
        "and the 8-beat segments of [--start, --end] (else of the whole song).",
    )
    p.add_argument("file", help="audio or video file")
    p.add_argument("--start", type=float, help="start of the interval to dance, in seconds")
    p.add_argument("--end", type=float, help="end of the interval, in seconds")
    p.add_argument("--json", action="store_true", help="print one JSON object to stdout")
    p.set_defaults(func=analyze.run)


def _pose(sub) -> None:
    p = sub.add_parser(
        "pose",
        help="per-frame poses of the dancer in a video, as .npz",
        description="Find the dancer's pose in every frame (BlazePose under onnxruntime) and "
        "write keypoints (frames x 17 x 2, COCO-17, pixels), scores (frames x 17) "
        "and fps to an .npz file.",
    )
    p.add_argument("video", help="video file")
    p.add_argument("-o", "--output", required=True, help="where to write the .npz")
    p.add_argument("--model", choices=["full", "lite"], default="full", help="pose model (default full)")
    p.add_argument("--frames", metavar="START:END", help="only this frame range, e.g. 0:300")
    p.set_defaults(func=pose.run)


def _library(sub) -> None:
    p = sub.add_parser(
        "ingest",
        help="add a dance video to the library (poses, beats, 8-beat moves)",
        description="Find the dancer's pose in every frame, the beats of the video's own "
        "music, and cut it into described 8-beat moves (plus mirrored twins).",
    )
    p.add_argument("video", help="dance video with its music")
    p.add_argument("--style", default="unknown", help="dance style label (e.g. salsa)")
    p.add_argument("--title", help="title shown in the library (default: the file name)")
    p.add_argument("--json", action="store_true", help="print one JSON object to stdout")
    p.set_defaults(func=library.run_ingest)

    lib = sub.add_parser(
        "library",
        help="the dance library: stats, seed the default library",
        description="Inspect or build the dance library.",
    )
    lsub = lib.add_subparsers(dest="library_command", metavar="ACTION")
    lsub.required = True
    stats = lsub.add_parser("stats", help="how many sources and moves the library holds")
    stats.add_argument(
        "--json",
        action="store_true",
        help="print one JSON object to stdout (with the tempo histogram, soundtracks, build time)",
    )
    stats.set_defaults(func=library.run_stats)
    seed = lsub.add_parser(
        "seed",
        help="build the default library from the shipped dance motion capture",
        description="Render the shipped CMU dance takes as dance videos with music and "
        "add them through the normal ingest. Takes already added are skipped.",
    )
    seed.add_argument("--limit", type=int, help="only the first N takes of the build order")
    seed.add_argument("--seconds", type=float, help="only the first S seconds of each take")
    seed.add_argument("--jobs", type=int, default=2, help="takes drawn in parallel (default 2)")
    seed.add_argument("--json", action="store_true", help="print one JSON object to stdout")
    seed.set_defaults(func=library.run_seed)
    acc = lsub.add_parser("accuracy", help="pose model error on the seeded takes vs their true joints")
    acc.add_argument("--json", action="store_true", help="print JSON to stdout")
    acc.set_defaults(func=library.run_accuracy)


def _compose(sub) -> None:
    p = sub.add_parser(
        "compose",
        help="pick a move for every 8-beat segment of a song (and render it)",
        description="Choose the best sequence of moves from the library for [--start, --end] "
        "of a song file and print the plan.",
    )
    _song_args(p)
    p.add_argument("--auto", action="store_true", help="let Choleor pick every segment (the default)")
    p.add_argument("--plan-only", action="store_true", help="print the plan without rendering a video")
    p.add_argument("-o", "--output", help="render the video to this .mp4 file")
    p.add_argument(
        "--cut",
        choices=("hard", "soft"),
        default="hard",
        help="hard cuts on the beat (default) or soft half-beat crossfades",
    )
    p.set_defaults(func=compose.run_compose)

    e = sub.add_parser(
        "evaluate",
        help="quality of our picks vs random picks and the 2020 scoring",
        description="Compose the interval with our ranking, with random picks (averaged over "
        "20 seeds) and with the 2020 scoring, and print each one's metrics.",
    )
    _song_args(e)
    e.set_defaults(func=compose.run_evaluate)


def _edge(sub) -> None:
    p = sub.add_parser(
        "edge",
        help="run Choleor on a device (Raspberry Pi, Greengrass) and talk to it",
        description="The device process, a client that sends it work, and the cloud sync.",
    )
    esub = p.add_subparsers(dest="edge_command", metavar="ACTION")
    esub.required = True

    device = esub.add_parser(
        "run",
        help="the device process: take jobs from the bus, publish events",
        description="Subscribe to choleor/<device>/jobs/+, run each job on this "
        "machine's local stack and publish choleor/<device>/events.",
    )
    device.add_argument("--device", required=True, help="device name (the Greengrass thing name)")
    bus = device.add_mutually_exclusive_group()
    bus.add_argument(
        "--broker", default=DEFAULT_BROKER, help=f"MQTT broker host:port (default {DEFAULT_BROKER})"
    )
    bus.add_argument("--ipc", action="store_true", help="use Greengrass v2 IPC (inside a component)")
    device.add_argument(
        "--no-iot-core",
        action="store_true",
        help="with --ipc: local pub/sub only, not AWS IoT Core through the MQTT proxy",
    )
    device.add_argument(
        "--workers",
        type=int,
        default=1,
        help="jobs at once (default 1: a Pi has 4 cores and an ingest uses 2)",
    )
    device.add_argument(
        "--sync-every",
        type=float,
        default=300.0,
        help="seconds between cloud sync passes when a cloud is configured (0: never)",
    )
    device.set_defaults(func=edge.run_device)

    send = esub.add_parser(
        "send",
        help="send a file and a job to a device and wait for the result",
        description="For source.ingest FILE is the video (sent to the device in "
        "chunks first); for other kinds FILE is a JSON file of params.",
    )
    send.add_argument("--device", required=True)
    send.add_argument("--broker", default=DEFAULT_BROKER, help=f"host:port (default {DEFAULT_BROKER})")
    send.add_argument("kind", metavar="KIND", help="job kind, e.g. source.ingest")
    send.add_argument("file", metavar="FILE")
    send.add_argument("--style", default="unknown", help="dance style of an ingested video")
    send.add_argument("--title", help="title of an ingested video")
    send.add_argument(
        "--job-id",
        help="job id (default: derived from the kind and the file, so "
        "sending the same thing again is the same job)",
    )
    send.add_argument("--timeout", type=float, default=1800.0, help="seconds to wait (default 1800)")
    send.add_argument("--json", action="store_true", help="print the result as one JSON object")
    send.set_defaults(func=edge.run_send)

    sync = esub.add_parser("sync", help="one pass of the cloud sync (counts what it uploaded)")
    sync.add_argument("--json", action="store_true")
    sync.set_defaults(func=edge.run_sync)

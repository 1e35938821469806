"""Render one mocap take into a dance video with music, plus the true 2D keypoints.

Output: an H.264 (yuv420p) + AAC mp4 fed with raw frames through ffmpeg, and next to it
`<name>.truth.npz` with the projection of the true joints per output frame (COCO-17 order,
pixels), the dancer's standing height in pixels per frame, the fps and the music's beat grid, so
the pose model and the beat tracker can be measured against it.

Command line (renders takes in parallel processes):
    python -m choleor.mocap.render_take OUT_DIR data/mocap/*.bvh [--seconds S] [--jobs N]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import ffmpeg
import numpy as np

from choleor.errors import BadInput
from choleor.keypoints import COCO17
from choleor.mocap.camera import Camera, body_height_px, place_camera
from choleor.mocap.mannequin import draw_frame, prepare_figure, studio_background
from choleor.mocap.music import (
    MovementTempo,
    Soundtrack,
    build_soundtrack,
    estimate_movement_tempo,
    write_wav,
)
from choleor.mocap.skeleton import BodyTrack, hold, load_body_track, resample

MOCAP_CREDIT = (
    "The data used in this project was obtained from mocap.cs.cmu.edu. "
    "The database was created with funding from NSF EIA-0196217."
)


@dataclass
class RenderedTake:
    video_path: Path
    truth_path: Path
    source: str
    fps: float
    frame_count: int
    width: int
    height: int
    tempo: MovementTempo
    music_file: str
    music_license: str
    music_credit: str
    beat_times: np.ndarray = field(repr=False)
    render_seconds: float = 0.0
    held_s: tuple[float, float] = (0.0, 0.0)  # first pose held before, last pose held after

    @property
    def duration_s(self) -> float:
        return self.frame_count / self.fps


def truth_path_for(out_mp4: str | Path) -> Path:
    out = Path(out_mp4)
    return out.with_name(out.stem + ".truth.npz")


def render_take(
    bvh_path: str | Path,
    out_mp4: str | Path,
    *,
    fps: int = 30,
    width: int = 1280,
    height: int = 720,
    seconds: float | None = None,
    music_clip: str | None = None,
    encoder_threads: int = 0,
    min_beats: int = 0,
    preset: str = "veryfast",
) -> RenderedTake:
    """Render a take (or its first `seconds`) to `out_mp4` and its true keypoints beside it.

    A take shorter than `min_beats` at its movement tempo is drawn with its first pose held
    before it (a whole number of beats, so the dance stays on the music's beat) and its last
    pose held after it, so that a short phrase still fills one 8-beat move.
    """
    started = time.perf_counter()
    out_mp4 = Path(out_mp4)
    out_mp4.parent.mkdir(parents=True, exist_ok=True)
    capture = load_body_track(bvh_path)
    # camera and tempo come from the whole take, so a short render matches the full one
    camera = place_camera(capture, width, height)
    tempo = estimate_movement_tempo(capture.points, capture.fps)
    track = resample(capture, fps, seconds)
    if track.frame_count < 2:
        raise BadInput(f"{bvh_path}: nothing to render")
    before, after = _holds(track.frame_count, fps, tempo.bpm, min_beats)
    track = hold(track, before, after)
    soundtrack = build_soundtrack(
        tempo.bpm, track.frame_count / fps, first_beat_s=tempo.first_beat_s + before / fps,
        clip=music_clip, tie_key=Path(bvh_path).name,
    )  # fmt: skip
    with tempfile.TemporaryDirectory() as scratch:
        wav = Path(scratch) / "music.wav"
        write_wav(soundtrack, wav)
        _encode(track, camera, wav, out_mp4, fps, encoder_threads, preset)
    truth = truth_path_for(out_mp4)
    _write_truth(truth, track, camera, soundtrack, capture.source)
    return RenderedTake(
        out_mp4, truth, capture.source, float(fps), track.frame_count, width, height, tempo,
        soundtrack.clip_file, soundtrack.clip_license, soundtrack.credit(), soundtrack.beat_times,
        time.perf_counter() - started, (before / fps, after / fps),
    )  # fmt: skip


def _holds(frames: int, fps: float, bpm: float, min_beats: int) -> tuple[int, int]:
    """Frames to hold before and after a take so that it lasts `min_beats`; the lead is whole
    beats (about half the shortfall), the rest goes after."""
    beat = 60.0 / bpm
    short = min_beats * beat - frames / fps
    if short <= 0:
        return 0, 0
    before = int(round(np.ceil(short / 2 / beat) * beat * fps))
    return before, max(0, int(np.ceil(min_beats * beat * fps)) - frames - before)


def _encode(
    track: BodyTrack,
    camera: Camera,
    wav: Path,
    out_mp4: Path,
    fps: int,
    threads: int,
    preset: str = "veryfast",
) -> None:
    video = ffmpeg.input(
        "pipe:", format="rawvideo", pix_fmt="bgr24", s=f"{camera.width}x{camera.height}", r=fps
    )
    audio = ffmpeg.input(str(wav))
    process = (
        ffmpeg.output(
            video,
            audio,
            str(out_mp4),
            vcodec="libx264",
            pix_fmt="yuv420p",
            preset=preset,
            crf=20,
            acodec="aac",
            audio_bitrate="128k",
            movflags="+faststart",
            shortest=None,
            threads=threads,
        )  # fmt: skip
        .overwrite_output()
        .global_args("-loglevel", "error")
        .run_async(pipe_stdin=True, pipe_stderr=True)
    )
    figure = prepare_figure(track, camera)
    background = studio_background(camera)
    try:
        for i in range(figure.frame_count):
            process.stdin.write(draw_frame(background, figure, i).tobytes())
    finally:
        process.stdin.close()
        errors = process.stderr.read().decode(errors="replace")
        process.wait()
    if process.returncode != 0:
        raise RuntimeError(f"ffmpeg failed writing {out_mp4}: {errors.strip()}")


def _write_truth(path: Path, track: BodyTrack, camera: Camera, soundtrack: Soundtrack, source: str) -> None:
    keypoints, depth = camera.project(track.coco17())
    np.savez_compressed(
        path,
        keypoints=keypoints.astype(np.float32),  # (F, 17, 2) pixels, x right, y down
        depth=depth.astype(np.float32),  # (F, 17) distance along the camera axis, body heights
        body_height_px=body_height_px(camera, track).astype(np.float32),  # (F,) standing height
        keypoint_names=np.array(COCO17),
        fps=np.float32(track.fps),
        width=np.int32(camera.width),
        height=np.int32(camera.height),
        bpm=np.float32(soundtrack.bpm),
        beat_times=soundtrack.beat_times.astype(np.float32),
        downbeat_times=soundtrack.downbeat_times.astype(np.float32),
        music_file=np.array(soundtrack.clip_file),
        music_credit=np.array(soundtrack.credit()),
        source=np.array(source),
        mocap_credit=np.array(MOCAP_CREDIT),
    )


def _render_one(job: tuple[str, str, float | None]) -> RenderedTake:
    cv2.setNumThreads(1)
    bvh, out, seconds = job
    return render_take(bvh, out, seconds=seconds, encoder_threads=1)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Render CMU mocap takes into dance videos with music")
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("bvh", nargs="+")
    parser.add_argument("--seconds", type=float, default=None, help="render only the first S seconds")
    parser.add_argument("--jobs", type=int, default=2, help="takes rendered in parallel (one core each)")
    args = parser.parse_args(argv)
    jobs = [(b, str(args.out_dir / (Path(b).stem + ".mp4")), args.seconds) for b in args.bvh]
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        for take in pool.map(_render_one, jobs):
            print(
                f"{take.source}: {take.frame_count} frames, {take.duration_s:.1f} s, "
                f"{take.frame_count / take.render_seconds:.1f} frames/s, tempo {take.tempo.bpm:.1f} BPM, "
                f"music {take.music_file} ({take.music_license.split(' ')[0]})"
            )
    print(f"total {time.perf_counter() - started:.1f} s wall")


if __name__ == "__main__":
    main()

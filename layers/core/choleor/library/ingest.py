"""Ingest one dance video: poses, the beats of its own music, described 8-beat moves.

Pure computation over a local file; `library.sources` stores what this returns.
Pose estimation is split into frame ranges run side by side (onnxruntime
releases the GIL), which is also how a long video is fanned out on AWS.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import BadInput
from ..recommend.features import MoveFeatures, mirror, motion_energy, pose_terms
from . import motion

Progress = Callable[[float, str], None]
MIN_PRESENT = 0.8  # share of a move's frames that must show the dancer


@dataclass
class Move:
    """A cut move: its features plus what the renderer and the front end need."""

    features: MoveFeatures
    start: float  # s in the source video
    end: float
    box_start: np.ndarray  # (4,) dancer's box (x0, y0, x1, y1) in pixels at the first beat
    box_end: np.ndarray
    body_height: float  # median dancer box height in pixels over the move
    thumbnail_time: float
    counting: int = 1  # source beats per counted beat: 2 = the dance counted in half time


@dataclass
class IngestResult:
    fps: float
    frames: int
    width: int
    height: int
    duration: float
    tempo: float
    moves: list[Move] = field(default_factory=list)  # originals and mirrored twins
    track: object | None = None  # the PoseTrack


def _estimate_poses(path: Path, n_frames: int, variant: str, workers: int, progress: Progress):
    from ..pose.estimate import PoseTrack, estimate_video

    workers = max(1, min(workers, n_frames // 150 or 1))
    bounds = np.linspace(0, n_frames, workers + 1).astype(int)
    done = np.zeros(workers)

    def part(i: int) -> PoseTrack:
        def report(count: int, expected: int | None) -> None:
            done[i] = count
            progress(min(1.0, done.sum() / max(n_frames, 1)), "finding the dancer in every frame")

        end = int(bounds[i + 1]) if i < workers - 1 else None
        try:
            return estimate_video(path, variant=variant, frame_range=(int(bounds[i]), end), progress=report)
        except BadInput as exc:
            if "no person" in exc.message:
                return None  # this stretch has nobody; the whole video is judged below
            raise

    with ThreadPoolExecutor(workers) as pool:
        parts = list(pool.map(part, range(workers)))
    found = [p for p in parts if p is not None]
    if not found:
        raise BadInput("no person found in the video: Choleor needs one dancer in view")
    ref = found[0]
    kps, scores, present, boxes = [], [], [], []
    for i, p in enumerate(parts):
        if p is None:  # keep frame numbering: an empty stretch of the right length
            n = int(bounds[i + 1] - bounds[i]) if i < workers - 1 else max(0, n_frames - int(bounds[i]))
            kps.append(np.zeros((n, 17, 2), np.float32))
            scores.append(np.zeros((n, 17), np.float32))
            present.append(np.zeros(n, bool))
            boxes.append(np.zeros((n, 4), np.float32))
        else:
            kps.append(p.keypoints), scores.append(p.scores), present.append(p.present), boxes.append(p.boxes)
    return PoseTrack(
        keypoints=np.concatenate(kps),
        scores=np.concatenate(scores),
        present=np.concatenate(present),
        boxes=np.concatenate(boxes),
        fps=ref.fps,
        width=ref.width,
        height=ref.height,
        start_frame=0,
    )


def cut_moves(
    track,
    grid_segments,
    unit_music: np.ndarray,
    unit_energy: np.ndarray,
    *,
    source_id: str,
    style: str,
    counting: int = 1,
) -> list[Move]:
    """One move per full 8-beat unit where the dancer is in view, plus its mirrored twin.
    `counting` 2: the units are 16 source beats counted in half time (ids `<source>-hNNN`)."""
    fps = float(track.fps)
    kp = motion.fill_gaps(track.keypoints.astype(np.float64), track.present)
    prefix = "h" if counting == 2 else ""
    moves: list[Move] = []
    for seg, music, energy in zip(grid_segments, unit_music, unit_energy):
        beats = np.asarray(seg.beats, dtype=float)
        f0, f1 = int(round(beats[0] * fps)), int(round(beats[-1] * fps))
        if f1 >= len(kp) or f1 - f0 < 8:
            continue
        if track.present[f0 : f1 + 1].mean() < MIN_PRESENT:
            continue
        scale = float(np.median(motion.torso_length(kp[f0 : f1 + 1])))
        traj = motion.normalise(motion.resample_on_beats(kp, fps, beats), scale)
        terms = pose_terms(traj)
        feats = MoveFeatures(
            id=f"{source_id}-{prefix}{seg.index:03d}",
            source_id=source_id,
            style=style,
            mirrored=False,
            tempo=float(60.0 * 8 / (beats[-1] - beats[0])),
            beats=beats,
            music=np.asarray(music, np.float32),
            music_energy=np.asarray(energy, np.float32),
            motion_energy=motion_energy(traj).astype(np.float32),
            trajectory=traj.astype(np.float32),
            **{k: v.astype(np.float32) for k, v in terms.items()},
        )
        heights = track.boxes[f0 : f1 + 1, 3] - track.boxes[f0 : f1 + 1, 1]
        move = Move(
            features=feats,
            start=float(beats[0]),
            end=float(beats[-1]),
            box_start=track.boxes[f0].astype(float),
            box_end=track.boxes[f1].astype(float),
            body_height=float(np.median(heights[track.present[f0 : f1 + 1]])),
            # the same frame as the 8-beat move from this bar: one thumbnail for both
            thumbnail_time=float(beats[2 // counting]),
            counting=counting,
        )
        twin = mirror(feats)
        # Boxes stay in source pixels for the twin too: the renderer flips the frame and its box.
        moves += [
            move,
            Move(
                features=twin,
                start=move.start,
                end=move.end,
                box_start=move.box_start,
                box_end=move.box_end,
                body_height=move.body_height,
                thumbnail_time=move.thumbnail_time,
                counting=counting,
            ),
        ]
    return moves


def bar_units(grid, beats_per_unit: int = 8, step: int = 4, counting: int = 1) -> list:
    """Every window of 8 counted beats that starts on a downbeat (one per bar, so windows overlap).

    A dance phrase can start on any bar; offering both halves doubles what a video gives the
    library. Index 2k is the song-grid unit k, 2k+1 the window one bar later.
    counting 2: 16 beats counted in half time (every other beat), so a dance at 160 bpm is
    also offered as an 8-beat move at 80 bpm, at its own speed, for slower songs.
    """
    from ..audio.segments import Segment

    beats = np.asarray(grid.beats, float)
    first = int(grid.first_downbeat)
    span = beats_per_unit * counting
    out = []
    for j, i in enumerate(range(first, len(beats) - span, step)):
        b = beats[i : i + span + 1 : counting]
        out.append(Segment(index=j, start=float(b[0]), end=float(b[-1]), beats=b.copy()))
    return out


def ingest_file(
    path: str | Path,
    *,
    source_id: str,
    style: str = "unknown",
    variant: str = "full",
    workers: int = 2,
    progress: Progress | None = None,
    max_seconds: float = 900.0,
) -> IngestResult:
    """Video in, described moves out (no storage)."""
    from ..audio import decode
    from ..audio.analysis import analyze_array
    from ..audio.descriptors import segment_descriptors
    from ..pose.video import probe as probe_video

    progress = progress or (lambda f, m="": None)
    path = Path(path)
    info = decode.probe(path)
    if not info.has_video:
        raise BadInput("the file has no video stream: upload a video of a dancer")
    if not info.has_audio:
        raise BadInput("the video has no sound: Choleor needs its music to find the beats")
    if info.duration and info.duration > max_seconds:
        raise BadInput(
            f"the video is {info.duration / 60:.0f} minutes long; at most "
            f"{max_seconds / 60:.0f} minutes can be added at once"
        )
    progress(0.02, "listening for the beat")
    sr = 22050
    y = decode.load_mono(path, sr=sr, max_seconds=max_seconds, what="video")
    too_short = BadInput("the video is too short for a single 8-beat move")
    try:
        song = analyze_array(y, sr)
    except BadInput:
        # Fewer than 9 beats is what "no steady beat" means in a clip this short.
        if len(y) / sr < 8 * 60 / 80:
            raise too_short from None
        raise
    if not song.segments:
        raise too_short
    units, halves = bar_units(song.grid), bar_units(song.grid, counting=2)
    vectors, energy = segment_descriptors(y, sr, song.grid, units + halves)
    vinfo = probe_video(str(path))
    n_frames = vinfo.frame_count or int(round((vinfo.duration or info.duration) * vinfo.fps))
    track = _estimate_poses(path, n_frames, variant, workers, lambda f, m: progress(0.1 + 0.8 * f, m))
    progress(0.92, "cutting moves on the beat")
    n = len(units)
    moves = cut_moves(track, units, vectors[:n], energy[:n], source_id=source_id, style=style)
    moves += cut_moves(track, halves, vectors[n:], energy[n:], source_id=source_id, style=style, counting=2)
    if not moves:
        raise BadInput("the dancer is not in view long enough for a single 8-beat move")
    return IngestResult(
        fps=float(track.fps),
        frames=len(track.keypoints),
        width=track.width,
        height=track.height,
        duration=float(song.duration),
        tempo=float(song.grid.tempo),
        moves=moves,
        track=track,
    )


def thumbnails(path: str | Path, times: list[float], width: int = 320) -> dict[float, bytes]:
    """JPEGs of the frames at `times` (seconds), `width` pixels wide, in one decoding pass.

    One ffmpeg process per picture costs about 0.2 s each (start, seek, decode from the
    previous keyframe); a video gives dozens of moves. Streams PyAV does not decode exactly as
    ffmpeg would (rotated, other pixel formats) take that slower path.
    """
    import av
    import cv2

    from ..pose.video import in_process
    from ..pose.video import probe as probe_video

    wanted = sorted(set(float(t) for t in times))
    info = probe_video(str(path))
    if not wanted or not in_process(info):
        return {t: thumbnail(path, t, width) for t in wanted}
    half_frame = 0.5 / info.fps
    out: dict[float, bytes] = {}
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for frame in container.decode(stream):
            if frame.time is None or frame.time < wanted[len(out)] - half_frame:
                continue
            image = frame.to_ndarray(format="bgr24")
            height = int(round(image.shape[0] * width / image.shape[1] / 2)) * 2
            small = cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)
            jpeg = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, 85])[1].tobytes()
            while len(out) < len(wanted) and frame.time >= wanted[len(out)] - half_frame:
                out[wanted[len(out)]] = jpeg
            if len(out) == len(wanted):
                break
    for t in wanted[len(out) :]:  # past the last decoded frame: as the one-off path would say
        out[t] = thumbnail(path, t, width)
    return out


def thumbnail(path: str | Path, t: float, width: int = 320) -> bytes:
    """A JPEG of the frame at `t` seconds, `width` pixels wide."""
    out = subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-ss",
            f"{t:.3f}",
            "-i",
            str(path),
            "-frames:v",
            "1",
            "-vf",
            f"scale={width}:-2",
            "-f",
            "image2",
            "-c:v",
            "mjpeg",
            "-q:v",
            "4",
            "pipe:1",
        ],
        capture_output=True,
        check=False,
    )
    if out.returncode != 0 or not out.stdout:
        raise BadInput(f"could not read a frame at {t:.1f} s of the video")
    return out.stdout

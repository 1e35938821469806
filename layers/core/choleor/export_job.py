"""The `export` job: the cue sheet as a PDF (fpdf2) and the choreography as JSON (picks + poses).

Runs in a worker (numpy for the move poses, fpdf2 and Pillow for the PDF), never in the light API.
"""

from __future__ import annotations

import io
import json
import unicodedata

from . import choreography, cues, exports
from .errors import Conflict, NotFound
from .jobs.registry import register
from .keypoints import COCO17
from .storage import objects, records

FORMAT = "choleor-choreography"
VERSION = 1
SAMPLES_PER_BEAT = 8


# --- JSON ----------------------------------------------------------------------


def _trajectories(source_ids: set[str]) -> dict:
    """move id -> (65, 17, 2) normalised pose trajectory, for every move of these sources."""
    from .library import catalog  # numpy

    out = {}
    for sid in sorted(source_ids):
        try:
            for m in catalog.load_features(sid):
                out[m.id] = m.trajectory
        except NotFound:
            raise NotFound(f"the poses of dance video {sid} are missing from storage") from None
    return out


def choreography_json(rec: dict) -> dict:
    """The picks and, per part, the dancer's 2D pose 8 times per song beat (schema in docs/API.md)."""
    import numpy as np

    moves = {}
    for s in rec["segments"]:
        move = records.get("moves", {"id": s["move_id"]})
        if move is None:
            raise NotFound(f"move {s['move_id']} (part {s['index'] + 1}) is no longer in the library")
        moves[s["move_id"]] = move
    sheet = cues.sheet(rec, thumbnail_urls=False)
    poses = _trajectories({m["source_id"] for m in moves.values()})
    song = records.get("songs", {"id": rec["song_id"]}) or {}
    parts = []
    for k, (s, row) in enumerate(zip(rec["segments"], sheet["parts"])):
        move = moves[s["move_id"]]
        trajectory = poses.get(move["id"])
        if trajectory is None:
            raise NotFound(f"the poses of move {move['id']} (part {k + 1}) are missing")
        beats = np.asarray(s["beats"], float)
        steps = np.arange(len(trajectory)) / SAMPLES_PER_BEAT  # beats into the part: 0, 1/8, ... 8
        times = np.interp(steps, np.arange(len(beats)), beats)
        parts.append(
            {
                "part": k + 1,
                "counts": row["counts"],
                "start": round(float(s["start"]), 4),
                "end": round(float(s["end"]), 4),
                "beats": [round(float(b), 4) for b in beats],
                "move": {
                    "id": move["id"],
                    "title": row["move"]["title"],
                    "source_id": move["source_id"],
                    "source_title": row["move"]["source_title"],
                    "style": move.get("style") or "",
                    "mirrored": bool(move.get("mirrored")),
                    "counting": int(move.get("counting") or 1),
                    "source_start": round(float(move["start"]), 4),
                    "source_end": round(float(move["end"]), 4),
                    "source_beats": [round(float(b), 4) for b in move["beats"]],
                },
                "tags": row["tags"],
                "poses": [
                    {
                        "beat": round(8 * k + float(step), 4),
                        "time": round(float(t), 4),
                        "keypoints": np.round(np.asarray(kp, float), 4).tolist(),
                    }
                    for step, t, kp in zip(steps, times, trajectory)
                ],
            }
        )
    return {
        "format": FORMAT,
        "version": VERSION,
        "id": rec["id"],
        "song": {"id": rec["song_id"], "title": rec.get("song_title") or song.get("title") or ""},
        "start": round(float(rec["start"]), 4),
        "end": round(float(rec["end"]), 4),
        "tempo": sheet["tempo"],
        "keypoints": list(COCO17),
        "pose_space": "hip-centred, in torso lengths (shoulder centre to hip centre), x right, y down",
        "samples_per_beat": SAMPLES_PER_BEAT,
        "parts": parts,
    }


# --- PDF -----------------------------------------------------------------------

# column title, width (mm); A4 portrait with 10 mm margins leaves 190 mm
COLUMNS = (
    ("Part", 12),
    ("Counts", 18),
    ("Song time", 31),
    ("Move", 55),
    ("Picture", 24),
    ("Tags", 20),
    ("Notes", 30),
)
ROW_MM = 20.0


def _latin(text: str) -> str:
    """The PDF's core font speaks Latin-1: accents decomposed where they must be, the rest '?'."""
    text = str(text)
    try:
        text.encode("latin-1")
        return text
    except UnicodeEncodeError:
        flat = unicodedata.normalize("NFKD", text)
        return (
            "".join(c for c in flat if not unicodedata.combining(c))
            .encode("latin-1", "replace")
            .decode("latin-1")
        )


def _thumbnail(move_id: str, mirrored: bool):
    """The move's thumbnail as a Pillow image (flipped for a mirrored twin), or None."""
    from PIL import Image, ImageOps

    move = records.get("moves", {"id": move_id}) or {}
    if not move.get("thumb_key"):
        return None
    try:
        image = Image.open(io.BytesIO(objects.get_bytes(move["thumb_key"]))).convert("RGB")
    except (NotFound, OSError):
        return None
    return ImageOps.mirror(image) if mirrored else image


def _header(pdf) -> None:
    pdf.set_font("Helvetica", "B", 9)
    pdf.set_fill_color(235, 235, 235)
    for title, width in COLUMNS:
        pdf.cell(width, 7, title, border=1, fill=True)
    pdf.ln()
    pdf.set_font("Helvetica", "", 9)


def cues_pdf(sheet: dict) -> bytes:
    """The cue sheet as an A4 PDF: a title, then one row per part, the header on every page."""
    from fpdf import FPDF

    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_margins(10, 10, 10)
    pdf.set_auto_page_break(False)
    pdf.set_title(_latin(f"Cue sheet: {sheet['song_title']}"))
    pdf.set_creator("Choleor")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 15)
    pdf.cell(
        0, 9, _latin(f"Cue sheet: {sheet['song_title'] or 'choreography'}"), new_x="LMARGIN", new_y="NEXT"
    )
    pdf.set_font("Helvetica", "", 9)
    tempo = f", {sheet['tempo']:g} BPM" if sheet.get("tempo") else ""
    pdf.cell(
        0,
        6,
        _latin(
            f"{len(sheet['parts'])} parts of 8 counts, song time {cues.clock(sheet['start'])}-"
            f"{cues.clock(sheet['end'])}{tempo}"
        ),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(2)
    _header(pdf)
    bottom = pdf.h - 10
    for row in sheet["parts"]:
        if pdf.get_y() + ROW_MM > bottom:
            pdf.add_page()
            _header(pdf)
        x, y = pdf.get_x(), pdf.get_y()
        move = row["move"] or {}
        texts = [
            str(row["part"]),
            row["counts"],
            row["time"],
            f"{move.get('title', '(no move)')}\n{move.get('style', '')}",
            "",
            ", ".join(row["tags"]),
            "",
        ]
        left = x
        for (_, width), text in zip(COLUMNS, texts):
            pdf.rect(left, y, width, ROW_MM)
            pdf.set_xy(left + 1, y + 1.5)
            pdf.multi_cell(width - 2, 4.2, _latin(text), max_line_height=4.2)
            left += width
        if move:
            image = _thumbnail(move["id"], move.get("mirrored", False))
            if image is not None:
                picture_x = x + sum(w for _, w in COLUMNS[:4])
                box_w, box_h = COLUMNS[4][1] - 2, ROW_MM - 2
                scale = min(box_w / image.width, box_h / image.height)
                w, h = image.width * scale, image.height * scale
                pdf.image(image, x=picture_x + 1 + (box_w - w) / 2, y=y + 1 + (box_h - h) / 2, w=w, h=h)
        pdf.set_xy(x, y + ROW_MM)
    return bytes(pdf.output())


# --- the job -------------------------------------------------------------------


@register("export")
def export_job(params: dict, report) -> dict:
    rec = records.get("choreographies", {"id": params["choreo_id"]})
    if rec is None:
        raise NotFound(f"no choreography {params['choreo_id']}")
    if choreography.picks_signature(rec) != params["picks"]:
        raise Conflict("the picks changed while the export was being made; export again")
    kind = exports.check_kind(params["kind"])
    key = exports.key(rec, kind)
    if objects.exists(key):
        return {"key": key}
    report(0.1, f"making the {kind}")
    if kind == "cues.pdf":
        data = cues_pdf(cues.sheet(rec, thumbnail_urls=False))
    else:
        data = json.dumps(choreography_json(rec), separators=(",", ":")).encode()
    objects.put_bytes(key, data, exports.KINDS[kind][0])
    return {"key": key, "bytes": len(data)}

"""The renderer core: pieces of source video in, a cross-edited MP4 with the song out.

Pure and local: file paths in, a file out (no storage, no HTTP).
    plan = build_plan(pieces, song, start, end, RenderSettings())
    render_video(plan, "out.mp4")                # everything at once
    render_piece(plan, k, "k.mp4"); join_pieces(...)   # progressive
"""

from .align import Framing
from .draw import RenderResult, render_video
from .pieces import affected_pieces, join_pieces, render_piece
from .plan import CUT_STYLES, Clip, Layer, Piece, RenderPlan, RenderSettings, build_plan, settings_for

__all__ = [
    "CUT_STYLES",
    "Clip",
    "Framing",
    "Layer",
    "Piece",
    "RenderPlan",
    "RenderResult",
    "RenderSettings",
    "affected_pieces",
    "build_plan",
    "join_pieces",
    "render_piece",
    "render_video",
    "settings_for",
]

"""The table every bench prints: what was measured, its reference from the same run, their ratio
and the guard on it. Times on a shared machine swing with its load; a ratio of two things
measured side by side swings much less, so guards are ratios (with room for noise)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Row:
    what: str
    ours: float  # seconds (or what `unit` says)
    reference: float
    reference_is: str  # what the reference is
    guard: float | None = None  # ours / reference must stay at or under this
    target: float | None = None  # the goal, when it is tighter than the guard
    unit: str = "s"

    @property
    def ratio(self) -> float:
        return self.ours / self.reference

    @property
    def passed(self) -> bool:
        return self.guard is None or self.ratio <= self.guard


def table(rows: list[Row], notes: list[str] = ()) -> str:
    head = ("measure", "ours", "reference", "ratio", "guard", "target", "reference is")
    body = [
        (
            r.what,
            f"{r.ours:.3g} {r.unit}",
            f"{r.reference:.3g} {r.unit}",
            f"{r.ratio:.2f}",
            "-" if r.guard is None else f"<= {r.guard:g}" + ("" if r.passed else "  FAILED"),
            "-" if r.target is None else f"<= {r.target:g}",
            r.reference_is,
        )
        for r in rows
    ]
    widths = [max(len(line[i]) for line in (head, *body)) for i in range(len(head))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(line, widths)).rstrip() for line in (head, *body)]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join([*lines, *notes])


def failed(rows: list[Row]) -> list[str]:
    return [f"{r.what}: {r.ratio:.2f} > {r.guard:g}" for r in rows if not r.passed]

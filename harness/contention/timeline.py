"""A timeline of a contention run: per image, each actor's operations over
time and the datastore's file changes, violating deletes highlighted."""

from __future__ import annotations

import html
from pathlib import Path

from .checker import FileOp, Span, Violation
from .history import Event

ROW, LEFT, WIDTH = 22, 190, 1100
COLOURS = {"enlist": "#4a90d9", "age": "#999999", "fetch": "#8e44ad", "use": "#7cc576"}


def render(path: Path, title: str, events: list[Event], ops: list[FileOp], spans: list[Span],
           violations: list[Violation], start: int, end: int) -> Path:
    scale = WIDTH / max(end - start, 1)

    def x(t: int) -> float:
        return LEFT + (t - start) * scale

    actors = sorted({e.actor for e in events})
    images = sorted({o.image for o in ops} | {s.image for s in spans} |
                    {e.image for e in events if e.image})
    bad = {v.time for v in violations if v.invariant in ("I1", "I2")}
    svg: list[str] = []
    y = 30
    for image in images:
        svg.append(f'<text x="4" y="{y + 14}" font-weight="bold">{html.escape(image)}</text>')
        y += ROW
        for actor in actors:
            svg.append(f'<text x="14" y="{y + 14}">{html.escape(actor)}</text>')
            for s in spans:
                if s.actor == actor and s.image == image:
                    svg.append(_bar(x(s.start), x(s.end), y + 12, 6, COLOURS["use"],
                                    f"in use {(s.end - s.start) / 1e6:.0f} ms"))
            invokes: dict[str, int] = {}
            for e in events:
                if e.actor != actor or (e.image not in (image, None)):
                    continue
                if e.type == "invoke":
                    invokes[e.op] = e.t
                elif e.type in ("ok", "fail") and e.op in invokes:
                    colour = "#d9534f" if e.type == "fail" else COLOURS.get(e.op, "#555")
                    svg.append(_bar(x(invokes.pop(e.op)), x(e.t), y + 2, 9, colour,
                                    f"{e.op} {e.type} {e.detail}"))
            y += ROW
        svg.append(f'<text x="14" y="{y + 14}">datastore</text>')
        for o in ops:
            if o.image != image:
                continue
            if o.kind == "image-":
                stroke = ' stroke="#000" stroke-width="3"' if o.start in bad else ""
                svg.append(f'<rect x="{x(o.start):.1f}" y="{y + 2}" '
                           f'width="{max(x(o.end) - x(o.start), 3):.1f}" height="16" '
                           f'fill="#d9534f"{stroke}><title>delete image folder'
                           f'{" (VIOLATION)" if o.start in bad else ""}</title></rect>')
            else:
                colour = "#f0ad4e" if o.kind == "mark+" else "#5bc0de"
                svg.append(f'<rect x="{x(o.end):.1f}" y="{y + 2}" width="3" height="16" '
                           f'fill="{colour}"><title>{o.kind} {html.escape(o.name)}</title></rect>')
        y += ROW * 2
    seconds = (end - start) / 1e9
    for i in range(int(seconds) + 1):
        svg.append(f'<line x1="{x(start + i * 10**9):.1f}" y1="20" '
                   f'x2="{x(start + i * 10**9):.1f}" y2="{y}" stroke="#eee"/>'
                   f'<text x="{x(start + i * 10**9):.1f}" y="14" font-size="10">{i}s</text>')
    legend = ("enlist (blue), age pass (grey), fetch (purple), failed (red bar); in use (green); "
              "datastore: mark made (orange), mark removed (cyan), image deleted (red; "
              "outlined: a violation)")
    items = "".join(f"<li><b>{v.invariant}</b> {html.escape(v.message)}</li>" for v in violations)
    page = (f"<!doctype html><meta charset=utf-8><title>{html.escape(title)}</title>"
            f"<h1>{html.escape(title)}</h1><p>{legend}</p><ul>{items or '<li>no violation</li>'}"
            f'</ul><svg xmlns="http://www.w3.org/2000/svg" width="{LEFT + WIDTH + 20}" '
            f'height="{y + 10}" font-family="sans-serif" font-size="12">{"".join(svg)}</svg>\n')
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page)
    return path


def _bar(x1: float, x2: float, y: float, h: int, colour: str, title: str) -> str:
    return (f'<rect x="{x1:.1f}" y="{y}" width="{max(x2 - x1, 2):.1f}" height="{h}" '
            f'fill="{colour}"><title>{html.escape(title)}</title></rect>')

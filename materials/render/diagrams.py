"""Diagrams of the model, drawn once and labelled in each language: inline SVG made by the build.

Each diagram is one function that draws on a `Canvas` in a language-neutral geometry (a 16:9
view box, so that a diagram fills a slide's frame as well as a page's width); its words are
catalog messages (N_ below), translated like every template string, and its alt text is one
more. Labels are real text in the project's sans (Source Sans Pro), measured with the font's
own advance widths and wrapped to the room they have; a label too long even at the smallest
size is an error naming it, never a label running out of its shape.

Content places a diagram with `{{ diagram('five-roles') }}` on a line of its own (html.py puts
the SVG where the paragraph of that line was: trusted markup of our code, not raw HTML in content).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable

from markupsafe import Markup, escape

from materials.sources.catalogs import N_

WIDTH, HEIGHT = 640, 360  # the view box: 16:9
FONT = "Source Sans Pro"
MIN_SCALE = 0.72  # a label may shrink to this share of its size before it must wrap more or fail
LINE_HEIGHT = 1.15
INK, MUTED, ACCENT, ACCENT_2, TINT, RULE, PAPER = "#1d2326", "#5b6770", "#1f5c6b", "#b5523b", "#eef4f5", "#c9d6da", "#ffffff"
WEIGHT_FILES = {400: "Regular", 600: "Semibold", 700: "Bold"}


class LabelTooLong(ValueError):
    """A label that does not fit its room even at the smallest size and in its most lines."""


@lru_cache(maxsize=None)
def _metrics(weight: int) -> tuple[dict[int, int], int]:
    """The font's advance width of each character (font units) and its units per em."""
    from fontTools.ttLib import TTFont

    from materials.render.fonts import font_paths

    name = f"SourceSansPro-{WEIGHT_FILES[weight]}.ttf"
    path = next(p for p in font_paths() if p.name == name)
    font = TTFont(path, lazy=True)
    cmap, hmtx = font.getBestCmap(), font["hmtx"]
    widths = {code: hmtx[glyph][0] for code, glyph in cmap.items()}
    return widths, font["head"].unitsPerEm


def text_width(text: str, size: float, weight: int = 400) -> float:
    """How wide `text` is set at `size` (px) in the sans of `weight`, by the font's advances."""
    widths, upm = _metrics(weight)
    fallback = widths.get(ord("n"), upm // 2)
    return sum(widths.get(ord(c), fallback) for c in text) * size / upm


def wrap(text: str, width: float, size: float, weight: int, max_lines: int) -> tuple[float, list[str]]:
    """The size (at most `size`, at least MIN_SCALE of it) and the lines that set `text` within
    `width` in at most `max_lines` lines: the largest size that fits, each line filled greedily."""
    words = text.split()
    steps = 8
    for step in range(steps + 1):
        s = size * (1 - (1 - MIN_SCALE) * step / steps)
        lines: list[str] = []
        for word in words:
            if text_width(word, s, weight) > width:
                break
            if lines and text_width(f"{lines[-1]} {word}", s, weight) <= width:
                lines[-1] = f"{lines[-1]} {word}"
            else:
                lines.append(word)
        else:
            if len(lines) <= max_lines:
                return s, lines
    raise LabelTooLong(f"the diagram label \"{text}\" does not fit its room ({width:g} px, {max_lines} "
                       f"line{'s' if max_lines > 1 else ''}); shorten its translation")


@dataclass
class Canvas:
    """An SVG drawing in the view box; `tr` translates a catalog message."""

    tr: Callable[[str], str]
    parts: list[str] = field(default_factory=list)

    def add(self, svg: str) -> None:
        self.parts.append(svg)

    def circle(self, cx, cy, r, fill=TINT, stroke=ACCENT, width=2.0) -> None:
        self.add(f'<circle cx="{cx}" cy="{cy}" r="{r}" fill="{fill}" stroke="{stroke}" stroke-width="{width}"/>')

    def box(self, cx, cy, w, h, fill=PAPER, stroke=ACCENT, width=1.5, dash: str = "", radius=8) -> None:
        dashed = f' stroke-dasharray="{dash}"' if dash else ""
        self.add(f'<rect x="{cx - w / 2:g}" y="{cy - h / 2:g}" width="{w:g}" height="{h:g}" rx="{radius}" '
                 f'fill="{fill}" stroke="{stroke}" stroke-width="{width}"{dashed}/>')

    def line(self, x1, y1, x2, y2, stroke=MUTED, width=1.5, dash: str = "", heads: tuple[bool, bool] = (False, True)) -> None:
        """A line, with an arrowhead at its start and/or end (drawn as a triangle, no markers:
        no ids that two diagrams on one page could share)."""
        dashed = f' stroke-dasharray="{dash}"' if dash else ""
        self.add(f'<line x1="{x1:g}" y1="{y1:g}" x2="{x2:g}" y2="{y2:g}" stroke="{stroke}" stroke-width="{width}"{dashed}/>')
        for at, (fx, fy, tx, ty) in zip(heads, ((x2, y2, x1, y1), (x1, y1, x2, y2))):
            if at:
                self._head(fx, fy, tx, ty, stroke)

    def _head(self, fx, fy, tx, ty, fill, length=10.0, half=5.0) -> None:
        dx, dy = tx - fx, ty - fy
        n = (dx * dx + dy * dy) ** 0.5 or 1.0
        ux, uy = dx / n, dy / n
        bx, by = tx - ux * length, ty - uy * length
        points = [(tx, ty), (bx - uy * half, by + ux * half), (bx + uy * half, by - ux * half)]
        self.add('<polygon points="' + " ".join(f"{x:.1f},{y:.1f}" for x, y in points) + f'" fill="{fill}"/>')

    def text(self, message: str, x, y, width, size=15.0, weight=600, lines=2, fill=INK, anchor="middle",
             translated: bool = False, first: bool = False, capital: bool = False) -> float:
        """A label centred on (x, y) (or starting at x, anchor "start"; `first`: y is its first
        line's top), wrapped within `width`; returns the y below its last line. `translated`: the
        text is no catalog message (a formatted value)."""
        text = message if translated else self.tr(message)
        if capital:
            text = text[:1].upper() + text[1:]
        s, rows = wrap(text, width, size, weight, lines)
        step = s * LINE_HEIGHT
        top = y if first else y - step * len(rows) / 2
        spans = "".join(f'<tspan x="{x:g}" y="{top + step * i + s * 0.82:.1f}">{escape(row)}</tspan>'
                        for i, row in enumerate(rows))
        self.add(f'<text font-family="{FONT}" font-size="{s:.1f}" font-weight="{weight}" fill="{fill}" '
                 f'text-anchor="{anchor}">{spans}</text>')
        return top + step * len(rows)


# -- the diagrams --------------------------------------------------------------------------------

US, THEM, MIDDLE = N_("Us"), N_("Them"), N_("The middle")
ROLES = {
    "pusher": N_("Pusher"),
    "joiner": N_("Joiner"),
    "silent-middle": N_("Silent middle"),
    "bridge-builder": N_("Bridge builder"),
    "scapegoat": N_("Scapegoat"),
}
# Translators: the four game changers, named exactly so (the glossary's terms of the model).
GAME_CHANGERS = (
    (N_("change the target audience"), N_("from the pushers to the silent middle")),
    (N_("change the topic"), N_("from identity to shared concerns")),
    (N_("change your position"), N_("from between the poles into the middle")),
    (N_("change the tone"), N_("from judging to mediating")),
)


def poles(c: Canvas, fmt, sessions) -> None:
    for cx, name in ((118, US), (522, THEM)):
        c.circle(cx, 175, 84)
        c.text(N_("Pole"), cx, 142, 130, size=13, weight=400, lines=1, fill=MUTED)
        c.text(name, cx, 178, 140, size=26, weight=700, lines=1, fill=ACCENT)
    c.line(212, 175, 250, 175, stroke=RULE, width=2, heads=(True, False))
    c.line(390, 175, 428, 175, stroke=RULE, width=2, heads=(False, True))
    c.box(320, 175, 136, 110, fill=PAPER, stroke=RULE, width=1.5, dash="5 4", radius=14)
    c.text(MIDDLE, 320, 160, 120, size=17, weight=700, lines=2, fill=INK)
    c.text(N_("no side chosen"), 320, 200, 120, size=13, weight=400, lines=2, fill=MUTED)
    c.text(N_("A thought construct: us versus them"), 320, 40, 520, size=17, weight=600, lines=1, fill=ACCENT)
    # Fuel, below, feeds both poles: the arrows start above its label, however long it is.
    c.line(262, 312, 158, 266, stroke=ACCENT_2, width=1.5)
    c.line(378, 312, 482, 266, stroke=ACCENT_2, width=1.5)
    c.text(N_("Fuel feeds the poles"), 320, 332, 300, size=15, weight=600, lines=1, fill=ACCENT_2)


def five_roles(c: Canvas, fmt, sessions) -> None:
    left, right, y, r = 70, 570, 182, 60
    # The bridge builder, above, reaches for both poles; the scapegoat, below, is blamed by both.
    c.line(246, 52, left + 30, y - r + 8, stroke=ACCENT, dash="5 4", heads=(False, False))
    c.line(394, 52, right - 30, y - r + 8, stroke=ACCENT, dash="5 4", heads=(False, False))
    c.line(left + 34, y + r - 10, 246, 312, stroke=ACCENT_2)
    c.line(right - 34, y + r - 10, 394, 312, stroke=ACCENT_2)
    for cx, name in ((left, US), (right, THEM)):
        c.circle(cx, y, r)
        c.text(name, cx, y - 22, 100, size=12.5, weight=400, lines=1, fill=MUTED)
        c.text(ROLES["pusher"], cx, y + 8, 104, size=15, weight=700, lines=2, fill=ACCENT)
    for cx, pole_edge in ((195, left + r), (445, right - r)):
        c.box(cx, y, 98, 56, fill=PAPER, stroke=ACCENT)
        c.text(ROLES["joiner"], cx, y, 88, size=15, weight=600, lines=2)
        edge = cx - 49 if cx < 320 else cx + 49
        c.line(edge, y, pole_edge + 2, y, stroke=ACCENT)
    c.box(320, y, 122, 96, fill=TINT, stroke=RULE, dash="5 4", radius=14)
    c.text(ROLES["silent-middle"], 320, y, 110, size=15, weight=700, lines=3)
    c.box(320, 42, 150, 44, fill=PAPER, stroke=ACCENT)
    c.text(ROLES["bridge-builder"], 320, 42, 140, size=15, weight=600, lines=2)
    c.box(320, 318, 150, 44, fill=PAPER, stroke=ACCENT_2)
    c.text(ROLES["scapegoat"], 320, 318, 140, size=15, weight=600, lines=2, fill=ACCENT_2)


def game_changers(c: Canvas, fmt, sessions) -> None:
    cards = ((165, 92), (475, 92), (165, 268), (475, 268))
    for n, ((cx, cy), (name, turn)) in enumerate(zip(cards, GAME_CHANGERS), 1):
        c.box(cx, cy, 300, 160, fill=TINT, stroke=RULE, width=1.2, radius=10)
        x = cx - 135 if cx < 320 else cx - 95  # the text keeps clear of the middle's circle
        c.circle(x + 13, cy - 54, 14, fill=ACCENT, stroke=ACCENT, width=1)
        c.text(str(n), x + 13, cy - 54, 20, size=15, weight=700, lines=1, fill=PAPER, translated=True)
        below = c.text(name, x, cy - 32, 228, size=20, weight=700, lines=2, fill=ACCENT, anchor="start", first=True,
                       capital=True)
        c.text(turn, x, below + 4, 228, size=16, weight=400, lines=3, fill=INK, anchor="start", first=True)
    c.circle(320, 180, 46, fill=PAPER, stroke=ACCENT_2, width=2.5)
    c.text(MIDDLE, 320, 180, 80, size=14, weight=700, lines=2, fill=ACCENT_2)


def programme_steps(c: Canvas, fmt, sessions) -> None:
    """The steps' sessions by their names (catalog messages from project.yaml) and lengths."""
    xs, y = (110, 320, 530), 110
    c.line(xs[0] + 40, y, xs[1] - 42, y, stroke=ACCENT, width=2.5)
    c.line(xs[1] + 40, y, xs[2] - 42, y, stroke=ACCENT, width=2.5)
    steps = (
        (sessions["introductory-meeting"].name, [(fmt.duration(sessions["introductory-meeting"].minutes), True)]),
        (N_("Training"), [(sessions["training-day"].name, False), (sessions["in-depth-session"].name, False)]),
        (N_("Pool of specialists"), [(N_("Intervision meetings"), False)]),
    )
    for n, (x, (title, lines)) in enumerate(zip(xs, steps), 1):
        c.circle(x, y, 40, fill=ACCENT, stroke=ACCENT)
        c.text(str(n), x, y, 40, size=30, weight=700, lines=1, fill=PAPER, translated=True)
        below = c.text(title, x, y + 58, 196, size=21, weight=700, lines=2, fill=ACCENT, first=True)
        for text, done in lines:
            below = c.text(text, x, below + 6, 196, size=17, weight=400, lines=2, translated=done, first=True)
    c.text(N_("Each step builds on the one before"), 320, 36, 560, size=17, weight=600, lines=1, fill=MUTED)


@dataclass(frozen=True)
class Diagram:
    title: str
    alt: str
    draw: Callable
    height: int = HEIGHT  # of the view box (its width is WIDTH): 16:9 unless the drawing is flatter


DIAGRAMS = {
    "poles": Diagram(N_("The two poles and the middle"),
                     N_("Two circles, the poles “us” and “them”, with the middle between them, where people "
                        "choose no side; fuel feeds the poles."), poles),
    "five-roles": Diagram(N_("The five roles"),
                          N_("The pushers stand at the two poles, each with a joiner beside them; the silent middle "
                             "is between the poles, the bridge builder above it reaching for both poles, and the "
                             "scapegoat below it, blamed by both."), five_roles),
    "game-changers": Diagram(N_("The four game changers"),
                             N_("Four game changers around the middle: change the target audience, change the topic, "
                                "change your position and change the tone."), game_changers),
    "programme-steps": Diagram(N_("The programme in three steps"),
                               N_("A timeline of three steps: the introductory meeting; the training, a training day "
                                  "and an in-depth session; then a pool of specialists who meet for intervision."),
                               programme_steps, height=270),
}


def names() -> list[str]:
    return list(DIAGRAMS)


def svg(name: str, tr: Callable[[str], str], fmt, sessions: dict, uid: str) -> Markup:
    """The diagram `name` as inline SVG in the language `tr` translates into; `uid`: unique in
    its page (the id of its title); `sessions`: project.yaml's. A label that does not fit is LabelTooLong."""
    diagram = DIAGRAMS[name]
    canvas = Canvas(tr)
    diagram.draw(canvas, fmt, sessions)
    # The alt text is the title's: browsers name the image by it (aria-labelledby) and WeasyPrint
    # gives the PDF's Figure its /Alt from the <title> (an SVG has no alt attribute).
    alt = escape(f"{tr(diagram.title)}. {tr(diagram.alt)}")
    return Markup(
        f'<figure class="diagram diagram-{name}">'
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {diagram.height}" width="{WIDTH}" height="{diagram.height}" '
        f'role="img" aria-labelledby="{uid}-title"><title id="{uid}-title">{alt}</title>'
        + "".join(canvas.parts) + "</svg></figure>")

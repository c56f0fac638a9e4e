"""Slides set to fit their frames. WeasyPrint has no auto-fit, so the PDF's layout is measured.

A handout's slide is a frame of fixed size (`.slide`, 16:9, style.css); its own content
(`.slide-content`) must stay inside the frame's content box. A slide whose content reaches out is
laid out again smaller (`data-fit="1"` to `STEPS`, style.css; as many steps at once as its
overflow calls for, next_step); one that still reaches out at the smallest step is the author's
to shorten, named by its file and line. `settled` is the one loop of layouts: these rules and
lines.py's hyphenation rule share each layout.

A slide's notes stand beside it in a row of fixed height (`.slide-row`, three a page), so notes
too long for their row would run into the next slide's. The same is done for them: the row's
notes are set a step smaller (`data-notes-fit`), and notes that do not fit even then are the
author's to shorten.
"""

from __future__ import annotations

from pathlib import Path

from materials.errors import Problem, ProjectError
from materials.render import lines

FRAME, CONTENT = "slide", "slide-content"
ROW, NOTES = "slide-row", "notes"
STEPS = 3  # the font-size steps style.css has for a slide: .slide[data-fit="1"] .. "3"
SIZES = (11, 10, 9, 8)  # pt: .slide and its steps, as style.css sets them (a test compares)
NOTE_STEPS = 2  # and for a row's notes: .slide-row[data-notes-fit="1"] .. "2"
TOLERANCE = 0.01  # CSS px: rounding, not overflow


def _boxes(box, parent=None):
    """Each box with its parent, the page's first."""
    yield box, parent
    for child in box.all_children():
        yield from _boxes(child, box)


def _has_class(box, name: str) -> bool:
    return box.element is not None and name in (box.element.get("class") or "").split()


def _reach(box) -> tuple[float, float]:
    """The right and bottom edges (px) of the box's border box and of everything inside it."""
    right, bottom = box.border_box_x() + box.border_width(), box.border_box_y() + box.border_height()
    for child in box.all_children():
        r, b = _reach(child)
        right, bottom = max(right, r), max(bottom, b)
    return right, bottom


def frames(document):
    """(frame box, content box) for each slide of a laid-out document."""
    for page in document.pages:
        for frame, parent in _boxes(page._page_box):
            if _has_class(frame, FRAME) and _own(frame, parent):
                content = next((b for b, _ in _boxes(frame) if _has_class(b, CONTENT)), None)
                if content is not None:
                    yield frame, content


def overflows(document) -> list[tuple[object, float]]:
    """(the frame's HTML element, how far its content reaches: its height over the frame's) for
    each slide whose content reaches out of its frame's content box (at least 1: a slide too
    wide, not too tall)."""
    full = []
    for frame, content in frames(document):
        right, bottom = _reach(content)
        if (right > frame.content_box_x() + frame.width + TOLERANCE
                or bottom > frame.content_box_y() + frame.height + TOLERANCE):
            full.append((frame.element, max(1.0, (bottom - frame.content_box_y()) / frame.height) if frame.height else 1.0))
    return full


def _own(box, parent) -> bool:
    """An element's own box, not one of the anonymous boxes inside it that share its element."""
    return parent is None or parent.element is not box.element


def long_notes(document) -> list:
    """The rows (their HTML elements) whose notes reach below the row."""
    found = []
    for page in document.pages:
        for row, parent in _boxes(page._page_box):
            if _has_class(row, ROW) and _own(row, parent):
                notes = next((b for b, _ in _boxes(row) if _has_class(b, NOTES)), None)
                if notes is not None and _reach(notes)[1] > row.content_box_y() + row.height + TOLERANCE:
                    found.append(row.element)
    return found


def notes_problems(document, source: Path | None, name: str) -> list[Problem]:
    """A problem for each row whose notes do not fit it, naming the slide's line."""
    return [Problem(name, f"the notes of slide '{_row_title(e)}' do not fit beside it; shorten them",
                    heading_line(source, e.get("id") or "")) for e in long_notes(document)]


def next_step(step: int, reach: float) -> int:
    """The step to try for a slide at `step` whose content reaches `reach` times its frame's
    height: the largest font the overflow leaves room for, were the content's height to shrink
    with the cube of its size. A paragraph's height shrinks with about the square (its lines get
    shorter and fewer), more where a last word moves up a line; the cube is on the safe side of
    that, so that a step that would fit is not passed over (on our decks the steps chosen are
    exactly those of trying one step per layout), while a slide far too full takes its steps in
    one layout instead of one layout per step."""
    room = SIZES[step] / reach ** (1 / 3)
    return next((s for s in range(step + 1, STEPS + 1) if SIZES[s] <= room + 1e-9), STEPS)


def settled(render, source: Path | None, name: str, unbroken=None, keys: dict | None = None):
    """`render()` laid out again until nothing in it needs to change; each layout serves the
    three rules at once, since a slide's frame and a row's height are fixed, so that what one
    rule changes in a row moves nothing in another:
    - a slide too full for its frame is set smaller (`data-fit`, as many steps as next_step
      says); one still too full at the smallest step is the author's to shorten;
    - a row's notes too long for it are set a step smaller (`data-notes-fit`); notes that do not
      fit even then are the author's to shorten;
    - a paragraph with a third hyphenated line in a row loses the breaks of that word (lines.py);
      one inside a slide or notes set smaller in this round waits for the next layout.
    The problems are a ProjectError naming `name` (the content file, as the user knows it) and
    the line of the slide's heading in `source` (that file on disk). With `unbroken` (and the
    `keys` of the document's elements before anything was applied), what this document had to
    lose is learnt for the next ones (lines.Unbroken)."""
    lost: dict = {}
    document = render()
    for _ in range(STEPS + NOTE_STEPS + lines.ROUNDS):
        full = overflows(document)
        stuck = [e for e, _ in full if int(e.get("data-fit") or 0) >= STEPS]
        if stuck:
            raise ProjectError([Problem(name, f"slide '{_title(e)}' does not fit its frame; shorten it or split it",
                                        heading_line(source, _slide_id(e))) for e in stuck])
        notes = long_notes(document)
        if [e for e in notes if int(e.get("data-notes-fit") or 0) >= NOTE_STEPS]:
            raise ProjectError(notes_problems(document, source, name))
        changing = {el for e, _ in full for el in e.iter()} | {el for e in notes for el in e.iter()}
        broken = [(e, word) for e, word in lines.faults(document) if e not in changing]
        if not (full or notes or broken):
            break
        for element, reach in full:
            element.set("data-fit", str(next_step(int(element.get("data-fit") or 0), reach)))
        for element in notes:
            element.set("data-notes-fit", str(int(element.get("data-notes-fit") or 0) + 1))
        for element, word in broken:
            lines.unbreak(element, word)
            lost[element] = lost.get(element, frozenset()) | {word}
        document = None  # the old layout goes before the new one is made: one at a time in memory
        document = render()
    else:
        return document  # the rounds are bounded: what is left is what the last layout did
    if unbroken is not None and lost:
        unbroken.learn(keys or {}, lost)
    return document


def _row_title(row) -> str:
    frame = next((e for e in row.iter() if FRAME in (e.get("class") or "").split()), None)
    return _title(frame) if frame is not None else row.get("id") or ""


def _slide_id(frame) -> str:
    return (frame.get("aria-labelledby") or "").removesuffix("-h")


def _title(frame) -> str:
    heading = next((e for e in frame.iter() if e.get("id") == frame.get("aria-labelledby")), None)
    text = "".join(heading.itertext()) if heading is not None else _slide_id(frame)
    return " ".join(text.replace("\u00ad", "").split())


def heading_line(source: Path | None, section_id: str) -> int | None:
    """The line of the section's heading in the content file (None when it is not there: a draft
    can show a slide the translation lacks)."""
    from materials.sources.content import HEADING

    try:
        lines = source.read_text(encoding="utf-8").splitlines() if source else []
    except OSError:
        return None
    return next((n for n, line in enumerate(lines, 1) if (m := HEADING.match(line)) and m["id"] == section_id), None)

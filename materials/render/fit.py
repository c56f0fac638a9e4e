"""Slides set to fit their frames. WeasyPrint has no auto-fit, so the PDF's layout is measured.

A handout's slide is a frame of fixed size (`.slide`, 16:9, style.css); its own content
(`.slide-content`) must stay inside the frame's content box. A slide whose content reaches out is
laid out again a step smaller (`data-fit="1"` to `STEPS`, style.css); one that still reaches out
at the smallest step is the author's to shorten, named by its file and line.

A slide's notes stand beside it in a row of fixed height (`.slide-row`, three a page), so notes
too long for their row would run into the next slide's. The same is done for them: the row's
notes are set a step smaller (`data-notes-fit`), and notes that do not fit even then are the
author's to shorten.
"""

from __future__ import annotations

from pathlib import Path

from materials.errors import Problem, ProjectError

FRAME, CONTENT = "slide", "slide-content"
ROW, NOTES = "slide-row", "notes"
STEPS = 3  # the font-size steps style.css has for a slide: .slide[data-fit="1"] .. "3"
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


def too_full(document) -> list:
    """The frames (their HTML elements) whose content reaches out of their content box."""
    full = []
    for frame, content in frames(document):
        right, bottom = _reach(content)
        if (right > frame.content_box_x() + frame.width + TOLERANCE
                or bottom > frame.content_box_y() + frame.height + TOLERANCE):
            full.append(frame.element)
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


def _smaller(document, render, find, attribute: str, steps: int):
    """`document` laid out again (`render()`) with each element that `find` names set a step
    smaller (`attribute`), at most `steps` times, until `find` names none."""
    for _ in range(steps):
        found = find(document)
        if not found:
            break
        for element in found:
            element.set(attribute, str(int(element.get(attribute) or 0) + 1))
        document = render()
    return document


def fitted(render, source: Path | None, name: str):
    """`render()` laid out again, with each slide too full for its frame a step smaller, until
    every slide fits, then each row's notes too long for it a step smaller, until all fit. A
    slide (or notes) that does not fit at the smallest step is a ProjectError naming `name`
    (the content file, as the user knows it) and the line of the slide's heading in `source`
    (that file on disk)."""
    document = _smaller(render(), render, too_full, "data-fit", STEPS)
    full = too_full(document)
    if full:
        raise ProjectError([Problem(name, f"slide '{_title(e)}' does not fit its frame; shorten it or split it",
                                    heading_line(source, _slide_id(e))) for e in full])
    document = _smaller(document, render, long_notes, "data-notes-fit", NOTE_STEPS)
    problems = notes_problems(document, source, name)
    if problems:
        raise ProjectError(problems)
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

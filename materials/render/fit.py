"""Slides set to fit their frames. WeasyPrint has no auto-fit, so the PDF's layout is measured.

A handout's slide is a frame of fixed size (`.slide`, 16:9, style.css); its own content
(`.slide-content`) must stay inside the frame's content box. A slide whose content reaches out is
set smaller: the largest step (`data-fit="1"` to `STEPS`, style.css) at which it fits, found by
laying out only the slides that reach out, each a step smaller a round, in a small trial document
(smallest_steps); one that reaches out even at the smallest step is the author's to shorten,
named by its file and line. `settled` is the one loop of layouts of the document: these
rules and lines.py's hyphenation rule share each layout.

A slide's notes stand beside it in a row of fixed height (`.slide-row`, three a page), so notes
too long for their row would run into the next slide's. The same is done for them: the row's
notes are set a step smaller (`data-notes-fit`), and notes that do not fit even then are the
author's to shorten.

A handout's first page lists its slides, each with the page it stands on, as the template wrote
it (`data-page` on the entry's link, html.slide_page_numbers); where the layout puts a slide on
another page (a first page that ran long), the entry is given the true page (listed_pages).
"""

from __future__ import annotations

import copy
import xml.etree.ElementTree as ET
from pathlib import Path

from materials.errors import Problem, ProjectError
from materials.render import lines

FRAME, CONTENT = "slide", "slide-content"
ROW, NOTES = "slide-row", "notes"
LIST = "slide-list"  # a handout's list of its slides, each entry a link with the slide's page
STEPS = 3  # the font-size steps style.css has for a slide: .slide[data-fit="1"] .. "3"
TRIAL = "data-trial"  # on a trial copy of a slide: its place in the list of candidates
NOTE_STEPS = 2  # and for a row's notes: .slide-row[data-notes-fit="1"] .. "2"
TOLERANCE = 0.01  # CSS px: rounding, not overflow


def _boxes(box, parent=None):
    """Each box with its parent, the page's first."""
    yield box, parent
    for child in box.all_children():
        yield from _boxes(child, box)


def _classes(element) -> list[str]:
    return (element.get("class") or "").split()


def _has_class(box, name: str) -> bool:
    return box.element is not None and name in _classes(box.element)


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


def overflows(document) -> list:
    """The HTML element of each slide frame whose content reaches out of the frame's content box."""
    return [frame.element for frame, content in frames(document)
            if (edges := _reach(content))[0] > frame.content_box_x() + frame.width + TOLERANCE
            or edges[1] > frame.content_box_y() + frame.height + TOLERANCE]


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


def listed_pages(document) -> list:
    """(link, page) for each link of a list of slides (`.slide-list`) to a slide's row whose
    `data-page` is not the page the row stands on (or is missing: a template of the project's
    own from before the page was written)."""
    page_of, links = {}, {}
    for number, page in enumerate(document.pages, 1):
        for box, parent in _boxes(page._page_box):
            if box.element is None or not _own(box, parent):
                continue
            if _has_class(box, ROW):
                page_of.setdefault(box.element.get("id"), number)
            elif _has_class(box, LIST):
                links.update((id(a), a) for a in box.element.iter("a") if (a.get("href") or "").startswith("#"))
    return [(link, page_of[target]) for link in links.values()
            if (target := link.get("href")[1:]) in page_of and link.get("data-page") != str(page_of[target])]


def notes_problems(document, source: Path | None, name: str) -> list[Problem]:
    """A problem for each row whose notes do not fit it, naming the slide's line."""
    return [Problem(name, f"the notes of slide '{_row_title(e)}' do not fit beside it; shorten them",
                    heading_line(source, e.get("id") or "")) for e in long_notes(document)]


def smallest_steps(frames: list, trial) -> dict:
    """For each slide frame (an HTML element) that reaches out of its frame: the first step after
    its own at which its content fits. Each round lays out `trial(candidates)`, a small document
    holding a copy of each slide not yet placed at its next step (a (frame, step) candidate, the
    copy marked TRIAL="its index"): a slide's frame has a fixed size, so its content lays out the
    same alone as in its handout, and a few slides cost a small part of the handout's layout.
    A frame that reaches out even at the smallest step is left out."""
    steps: dict = {}
    candidates = [(frame, int(frame.get("data-fit") or 0) + 1) for frame in frames]
    while candidates := [(frame, step) for frame, step in candidates if step <= STEPS]:
        reaching = {int(copy.get(TRIAL)) for copy in overflows(trial(candidates))}
        steps.update((frame, step) for index, (frame, step) in enumerate(candidates) if index not in reaching)
        candidates = [(frame, step + 1) for index, (frame, step) in enumerate(candidates) if index in reaching]
    return steps


def trial_tree(root, candidates: list) -> ET.Element:
    """The trial document for smallest_steps: `root` (the handout's HTML element tree) with only
    its head and, in the list of slides, a copy of each candidate's row at the candidate's step,
    the slide alone in it (its notes and lines left out: the slide's frame has a fixed size, so
    they move nothing in it) and no ids (the copies would repeat them)."""
    parents = {child: parent for parent in root.iter() for child in parent}

    def row_of(frame):
        while frame is not None and ROW not in _classes(frame):
            frame = parents.get(frame)
        return frame

    path, holder = [], parents[row_of(candidates[0][0])]
    while holder is not None:
        path.append(holder)
        holder = parents.get(holder)
    trial = ET.Element(root.tag, dict(root.attrib))
    trial.extend(copy.deepcopy(child) for child in root if child.tag == "head")
    node = trial
    for element in reversed(path[:-1]):  # from the body down to the list of slides
        node = ET.SubElement(node, element.tag, dict(element.attrib))
    for index, (frame, step) in enumerate(candidates):
        row = row_of(frame)
        classes = [c for c in _classes(row) if c != "page-start"]
        slide = copy.deepcopy(frame)
        for element in slide.iter():
            element.attrib.pop("id", None)
        slide.set("data-fit", str(step))
        slide.set(TRIAL, str(index))
        ET.SubElement(node, row.tag, {"class": " ".join(classes)}).append(slide)
    return trial


def settled(render, trial, source: Path | None, name: str, unbroken=None, keys: dict | None = None):
    """`render()` laid out again until nothing in it needs to change; each layout serves the
    three rules at once, since a slide's frame and a row's height are fixed, so that what one
    rule changes in a row moves nothing in another:
    - a slide too full for its frame is set smaller (`data-fit`: the step smallest_steps finds
      with `trial`); one too full even at the smallest step is the author's to shorten;
    - a row's notes too long for it are set a step smaller (`data-notes-fit`); notes that do not
      fit even then are the author's to shorten;
    - a paragraph with a third hyphenated line in a row loses the breaks of that word (lines.py);
      one inside a slide or notes set smaller in this round waits for the next layout;
    - an entry of the list of slides that gives another page than its slide's is given that page.
    The problems are a ProjectError naming `name` (the content file, as the user knows it) and
    the line of the slide's heading in `source` (that file on disk). With `unbroken` (and the
    `keys` of the document's elements before anything was applied), what this document had to
    lose is learnt for the next ones (lines.Unbroken)."""
    lost: dict = {}
    document = render()
    for _ in range(STEPS + NOTE_STEPS + lines.ROUNDS):
        full = overflows(document)
        steps = smallest_steps(full, trial)
        stuck = [e for e in full if e not in steps]
        if stuck:
            raise ProjectError([Problem(name, f"slide '{_title(e)}' does not fit its frame; shorten it or split it",
                                        heading_line(source, _slide_id(e))) for e in stuck])
        notes = long_notes(document)
        if [e for e in notes if int(e.get("data-notes-fit") or 0) >= NOTE_STEPS]:
            raise ProjectError(notes_problems(document, source, name))
        changing = {el for e in full for el in e.iter()} | {el for e in notes for el in e.iter()}
        broken = [(e, word) for e, word in lines.faults(document) if e not in changing]
        mislisted = listed_pages(document)
        if not (full or notes or broken or mislisted):
            break
        for link, page in mislisted:
            link.set("data-page", str(page))
        for element, step in steps.items():
            element.set("data-fit", str(step))
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
    frame = next((e for e in row.iter() if FRAME in _classes(e)), None)
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

"""At most two hyphenated lines in a row, measured in the PDF's layout.

CSS says this with `hyphenate-limit-lines: 2`, which WeasyPrint does not support; so the laid-out
lines are read instead. Words break only at the soft hyphens typography.py put in, so a line
that ends broken is one whose last text ends with a soft hyphen. Where a paragraph has a third
such line in a row, the word broken there loses its soft hyphens, and the document is laid out
again, until no paragraph has one.

The same reading guards against a fault of WeasyPrint's: now and then, in a grid or beside a
float, a line that could break at a soft hyphen is set wider than its box (a word of it drawn
nowhere, the rest over the margin). A paragraph with such a line loses all its soft hyphens.
"""

from __future__ import annotations

import re

from materials.render.typography import SOFT_HYPHEN

MAX_HYPHENATED = 2  # lines in a row
ROUNDS = 12  # layouts at most; each removes the breaks of a word in every paragraph that needs it
WORD = re.compile(r"[\w\u00ad]+")
TOLERANCE = 0.5  # CSS px


def _line_boxes(box, found: dict):
    """Each block's line boxes, in order: {parent box: [line box, ...]}."""
    for child in box.all_children():
        if type(child).__name__ == "LineBox":
            found.setdefault(box, []).append(child)
        else:
            _line_boxes(child, found)
    return found


def _texts(box):
    if type(box).__name__ == "TextBox":
        yield box
    elif hasattr(box, "all_children"):
        for child in box.all_children():
            yield from _texts(child)


def broken_word(line, following) -> str | None:
    """The word broken at the end of `line` (its letters, no soft hyphens), or None."""
    texts = list(_texts(line))
    if not texts:
        return None
    last = texts[-1].text.removesuffix(texts[-1].style["hyphenate_character"])
    if not last.endswith(SOFT_HYPHEN):
        return None
    head = WORD.findall(last)
    tail = [WORD.match(t.text) for t in _texts(following)][:1]
    rest = tail[0].group() if tail and tail[0] else ""
    return (head[-1] if head else "").replace(SOFT_HYPHEN, "") + rest.replace(SOFT_HYPHEN, "")


def too_wide(block, line) -> bool:
    return line.position_x + line.width > block.content_box_x() + block.width + TOLERANCE


def faults(document) -> list[tuple[object, str | None]]:
    """(the paragraph's element, the word) for each line that would be the third hyphenated line
    in a row (or more) of its paragraph; (the element, None) for a paragraph with a line wider
    than its box. A paragraph's lines are counted across a page break, as a reader reads them:
    what is found depends on the paragraph's text and width, never on where a page ends."""
    found, paragraphs = [], {}
    for page in document.pages:
        for block, lines in _line_boxes(page._page_box, {}).items():
            if block.element is None:
                continue
            paragraph = paragraphs.setdefault(block.element, [False, []])
            paragraph[0] = paragraph[0] or any(too_wide(block, line) for line in lines)
            paragraph[1] += lines
    for element, (wide, lines) in paragraphs.items():
        if wide:
            found.append((element, None))
            continue
        run = 0
        for line, following in zip(lines, lines[1:]):
            word = broken_word(line, following)
            run = run + 1 if word else 0
            if run > MAX_HYPHENATED:
                found.append((element, word))
                run = 0  # laid out again, the rest of the paragraph changes
    return found


def unbreak(element, word: str | None) -> None:
    """Remove the soft hyphens of `word` (None: of every word) wherever it stands in the
    element's text."""
    def plain(text):
        if word is None:
            return text.replace(SOFT_HYPHEN, "")
        return WORD.sub(lambda m: word if m.group().replace(SOFT_HYPHEN, "") == word else m.group(), text)

    for el in element.iter():
        if el.text:
            el.text = plain(el.text)
        if el is not element and el.tail:
            el.tail = plain(el.tail)


class Unbroken:
    """What earlier documents of a run learned: the words each paragraph had to lose its breaks
    in, by the paragraph's document, place and markup. A pack run lays out the same paragraphs
    of an agenda for every municipality; applied before the first layout, what was learned
    spares those layouts again, and gives the same result, since what a paragraph must lose
    depends only on its text and its width (fixed by the stylesheet: flow-root columns, tables
    of fixed layout)."""

    LIMIT = 5000  # paragraphs kept; forgotten all at once beyond (memory stays flat)

    def __init__(self):
        self.words: dict[tuple, frozenset] = {}

    @staticmethod
    def keys(root, name: str) -> dict:
        """{element: key} for each element that holds a soft hyphen, as it stands now."""
        from xml.etree.ElementTree import tostring

        parents = {child: parent for parent in root.iter() for child in parent}
        keys = {}
        for element in root.iter():
            if not isinstance(element.tag, str) or element.tag in ("html", "body", "main", "head", "style"):
                continue
            markup = tostring(element, encoding="unicode")
            if SOFT_HYPHEN not in markup:
                continue
            place, up = [], parents.get(element)
            while up is not None:
                place.append((up.tag, up.get("class")))
                up = parents.get(up)
            keys[element] = (name, tuple(place), markup)
        return keys

    def apply(self, keys: dict) -> None:
        for element, key in keys.items():
            for word in self.words.get(key, ()):
                unbreak(element, word)

    def learn(self, keys: dict, lost: dict) -> None:
        if len(self.words) > self.LIMIT:
            self.words.clear()
        for element, words in lost.items():
            if element in keys:
                self.words[keys[element]] = self.words.get(keys[element], frozenset()) | words

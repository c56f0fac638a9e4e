"""A section as a reviewer reads it: blocks (heading, paragraph, list item, table row) of plain
text with their file lines, and the sentences of a block.

The reviewer's rules (review.py) align a translation with its source block by block and
sentence by sentence, and read each block's words for language and spelling; they need what
the reader reads, not the Markdown: link targets, template values, emphasis markers and ids are
taken out here, once.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from materials.sources.content import INTRO, NOTES_MARK, Section

ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
ROW_RULE = re.compile(r"^\|[\s:|-]+\|?$")
SUBHEADING = re.compile(r"^#{3,6}\s+")
# What a reader does not read as words: images, link targets, autolinks, code, HTML tags,
# attribute lists ({#id}, {: .class}); template values read as one neutral word ("0": no letters).
IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
AUTOLINK = re.compile(r"<(?:https?|mailto):[^>]*>")
CODE = re.compile(r"`[^`]*`")
TAG = re.compile(r"</?[A-Za-z][^>]*>")
ATTRS = re.compile(r"\s*\{[:#.][^}]*\}")
VALUE = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.S)
EMPHASIS = re.compile(r"(?<![\w\\])(\*{1,3}|_{1,3})(?=\S)|(?<=\S)(\*{1,3}|_{1,3})(?![\w])")

# A sentence ends at . ! ? … (and the closing quotes or brackets after it) before a capital or a
# digit; not after an abbreviation, nor after a Finnish or Dutch ordinal ("1. osa": a small letter follows).
END = re.compile(r"(?<=[.!?…])[\"”’»)\]]*\s+(?=[\"“”‘’„«(\[]*[A-ZÅÄÖÜÉ0-9])")
ABBREVIATIONS = {
    "en": {"e.g.", "i.e.", "etc.", "vs.", "cf.", "approx.", "no.", "dr.", "mr.", "mrs.", "ms."},
    "fi": {"esim.", "mm.", "ns.", "n.", "ks.", "jne.", "yms.", "ym.", "ts.", "vrt.", "klo.", "nk."},
    "nl": {"bijv.", "bv.", "o.a.", "d.w.z.", "ca.", "z.o.z.", "nr.", "m.b.t.", "i.p.v.", "enz.", "resp."},
}


@dataclass(frozen=True)
class Block:
    """One unit a translation keeps: a heading, a paragraph, a list item or a table row."""

    kind: str  # heading, paragraph, item, row
    part: str  # slide or notes (a handout's slide and its notes after ???); body elsewhere
    line: int  # the file's line where it starts
    text: str  # plain text, as a reader reads it


def plain(markdown: str) -> str:
    """A line (or lines) of Markdown as plain text on one line."""
    text = VALUE.sub(" 0 ", markdown)
    text = IMAGE.sub(" ", text)
    text = LINK.sub(r"\1", text)
    text = AUTOLINK.sub(" ", text)
    text = CODE.sub(" ", text)
    text = TAG.sub(" ", text)
    text = ATTRS.sub("", text)
    text = EMPHASIS.sub("", text)
    text = text.replace("\\", "")
    return re.sub(r"\s+", " ", text).strip()


@dataclass(frozen=True)
class Span:
    """Where one block of a section's body is: its kind, its part, and its lines (indexes into
    `section.body.split("\n")`, `last` excluded). The one block splitter: the reviewer reads its
    plain text (blocks()), the translation exchange its Markdown (translators/exchange.py)."""

    kind: str  # paragraph, item, row, heading (a sub-heading)
    part: str  # slide or notes in a handout's section; body elsewhere
    first: int
    last: int


@functools.lru_cache(maxsize=4096)
def spans(section: Section) -> tuple[Span, ...]:
    """Each paragraph, list item, table row (not its rule) and sub-heading of the section's body, in order."""
    out: list[Span] = []
    part, kind, start = "body", "", 0
    fenced = False

    def close(end: int) -> None:
        nonlocal kind
        if kind:
            out.append(Span(kind, part, start, end))
        kind = ""

    for i, line in enumerate(section.body.split("\n")):
        s = line.strip()
        if s.startswith(("```", "~~~")):
            close(i)
            fenced = not fenced
            continue
        if fenced:
            continue
        if not s:
            close(i)
        elif s == NOTES_MARK:  # what came before is the slide
            close(i)
            out = [Span(b.kind, "slide", b.first, b.last) for b in out]
            part = "notes"
        elif SUBHEADING.match(s) or (s.startswith("|") and not ROW_RULE.match(s)):
            close(i)
            kind, start = ("heading" if SUBHEADING.match(s) else "row"), i
            close(i + 1)
        elif s.startswith("|"):
            close(i)
        elif ITEM.match(line):
            close(i)
            kind, start = "item", i
        elif not kind:
            kind, start = "paragraph", i
    close(len(section.body.split("\n")))
    return tuple(out)


def span_words(span: Span, lines: list[str]) -> str:
    """A span's Markdown on one line, its marker (list item, sub-heading, table bars) taken off."""
    first = lines[span.first]
    if span.kind == "heading":
        return SUBHEADING.sub("", first.strip())
    if span.kind == "row":
        return " ".join(c.strip() for c in first.strip().strip("|").split("|"))
    head = ITEM.sub("", first) if span.kind == "item" else first.strip()
    return " ".join([head] + [line.strip() for line in lines[span.first + 1:span.last]])


@functools.lru_cache(maxsize=4096)
def blocks(section: Section) -> tuple[Block, ...]:
    """The section's heading (not the introduction's), then each paragraph, list item and table
    row of its body, in order."""
    out: list[Block] = []
    if section.id != INTRO and section.title:
        out.append(Block("heading", "body", section.line, plain(section.title)))
    lines = section.body.split("\n")
    for span in spans(section):
        text = plain(span_words(span, lines))
        if text:
            out.append(Block(span.kind, span.part, section.body_line + span.first, text))
    return tuple(out)


@functools.lru_cache(maxsize=16384)
def sentences(text: str, lang: str) -> tuple[str, ...]:
    """A block's sentences (a heading or list item is one, or a few)."""
    out: list[str] = []
    start = 0
    abbreviations = ABBREVIATIONS.get(lang, set()) | ABBREVIATIONS["en"]
    for m in END.finditer(text):
        last = text[start:m.start()].rsplit(" ", 1)[-1].lower().lstrip("(\"“‘")
        if last in abbreviations:
            continue
        out.append(text[start:m.start()].strip())
        start = m.end()
    rest = text[start:].strip()
    if rest:
        out.append(rest)
    return tuple(out)

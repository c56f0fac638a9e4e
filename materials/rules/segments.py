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


@functools.lru_cache(maxsize=4096)
def blocks(section: Section) -> tuple[Block, ...]:
    """The section's heading (not the introduction's), then each paragraph, list item and table
    row of its body, in order."""
    out: list[Block] = []
    if section.id != INTRO and section.title:
        out.append(Block("heading", "body", section.line, plain(section.title)))
    part = "body"
    kind, start, buf = "", 0, []
    fenced = False

    def close() -> None:
        nonlocal kind, buf
        text = plain(" ".join(buf))
        if kind and text:
            out.append(Block(kind, part, start, text))
        kind, buf = "", []

    for offset, line in enumerate(section.body.split("\n")):
        lineno = section.body_line + offset
        s = line.strip()
        if s.startswith(("```", "~~~")):
            close()
            fenced = not fenced
            continue
        if fenced:
            continue
        if not s:
            close()
        elif s == NOTES_MARK:  # what came before is the slide
            close()
            out = [b if b.line == section.line and b.kind == "heading" else Block(b.kind, "slide", b.line, b.text)
                   for b in out]
            part = "notes"
        elif SUBHEADING.match(s):
            close()
            kind, start, buf = "heading", lineno, [SUBHEADING.sub("", s)]
            close()
        elif s.startswith("|"):
            close()
            if not ROW_RULE.match(s):
                kind, start, buf = "row", lineno, [" ".join(c.strip() for c in s.strip("|").split("|"))]
                close()
        elif ITEM.match(line):
            close()
            kind, start, buf = "item", lineno, [ITEM.sub("", line)]
        else:
            if not kind:
                kind, start = "paragraph", lineno
            buf.append(s)
    close()
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

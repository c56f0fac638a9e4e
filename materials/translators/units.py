"""A document as translation units: each front matter field, section title, paragraph, list item,
sub-heading, table cell and slide note, keyed by its section id and its position there.

Units are cut from the loader's sections along the one block splitter (rules/segments.py
`spans`), so a unit is exactly what `check` aligns. Each unit knows where its text lives in the
lines of its section (`Place`), so that an import writes a changed text back there and touches
no other byte, and knows its state against the stamp (sources/stamps.py):

- current: the translation was confirmed against this source text (in an outdated section, a
  unit whose own source text reads as it did is current too);
- outdated: the source text changed since it was confirmed; `previous` is the text confirmed;
- unconfirmed: translated, but its section was never confirmed;
- missing: the translation has no text for it.

A translated section whose blocks are not the source's (a paragraph more or less, a list
item for a paragraph) cannot be paired unit by unit: its body is then one unit (`<id>/body`).
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from dataclasses import dataclass

import yaml

from materials.rules.segments import ITEM, SUBHEADING, spans
from materials.sources import stamps
from materials.sources.content import INTRO, ContentFile, Section
from materials.sources.glossary import Glossary, contains_term, tokens

CURRENT, OUTDATED, UNCONFIRMED, MISSING = "current", "outdated", "unconfirmed", "missing"
STATES = (CURRENT, OUTDATED, UNCONFIRMED, MISSING)
META = stamps.META
KINDS = {"paragraph": "paragraph", "item": "list item", "row": "table cell", "heading": "sub-heading"}
CELL = re.compile(r"(?:\\.|[^|\\])+")  # a table cell between bars (an escaped \| stays inside)


@dataclass(frozen=True)
class Place:
    """Where a unit's text is in its section's body lines: lines[first:last], after `prefix`
    (a list marker, a sub-heading's hashes), continuation lines after `indent`; a table cell is
    the columns [start:end] of line `first`."""

    first: int
    last: int
    prefix: str = ""
    indent: str = ""
    cell: tuple[int, int] | None = None


@dataclass(frozen=True)
class Piece:
    """A unit as one side (source, translation or stamp) has it."""

    key: str  # within the section: title, 3, 3.2 (a table cell), body
    kind: str  # title, paragraph, list item, table cell, sub-heading, body, field
    part: str  # body; slide or notes in a handout
    text: str
    place: Place | None = None  # None: the section's title or a front matter field
    line: int = 0  # the line in the section's body (0 for a title or field)


@dataclass(frozen=True)
class Unit:
    key: str  # <section id>/<position>: where-it-starts/2, aim/3, front-matter/title
    section: str
    kind: str
    part: str
    source: str  # the English now
    target: str  # the translation now ("" when missing)
    state: str
    previous: str | None = None  # the English the translator last confirmed (outdated units)
    line: int | None = None  # the translation's line (the source's when it is missing)
    title: str = ""  # the section's title in the source

    @property
    def words(self) -> int:
        return len(re.findall(r"[^\W\d_]+", PROTECTED.sub(" ", self.source)))

    @property
    def fuzzy(self) -> bool:
        return self.state in (OUTDATED, UNCONFIRMED)


def pieces(section: Section) -> list[Piece]:
    """The section's title (none for the introduction), then a piece per block of its body, a
    table row giving one per cell."""
    out = [] if section.id == INTRO else [Piece("title", "title", "body", section.title)]
    lines = section.body.split("\n")
    for n, span in enumerate(spans(section), 1):
        first = lines[span.first]
        if span.kind == "row":
            for c, m in enumerate(CELL.finditer(first), 1):
                text = m.group().strip()
                lead = len(m.group()) - len(m.group().lstrip())
                start = m.start() + lead
                out.append(Piece(f"{n}.{c}", "table cell", span.part, text,
                                 Place(span.first, span.first + 1, cell=(start, start + len(text))), span.first))
            continue
        if span.kind == "item":
            prefix = ITEM.match(first).group()
        elif span.kind == "heading":
            lead = first[: len(first) - len(first.lstrip())]
            prefix = lead + SUBHEADING.match(first.lstrip()).group()
        else:
            prefix = first[: len(first) - len(first.lstrip())]
        rest = lines[span.first + 1:span.last]
        indent = rest[0][: len(rest[0]) - len(rest[0].lstrip())] if rest else (
            " " * len(prefix) if span.kind == "item" else prefix)
        text = "\n".join([first[len(prefix):]] + [line.lstrip() for line in rest])
        out.append(Piece(str(n), KINDS[span.kind], span.part, text, Place(span.first, span.last, prefix, indent), span.first))
    return out


def whole_body(section: Section) -> list[Piece]:
    """The section as its title and one unit of its whole body (blocks that do not pair)."""
    lines = section.body.split("\n")
    head = [] if section.id == INTRO else [Piece("title", "title", "body", section.title)]
    return head + [Piece("body", "body", "body", section.body, Place(0, len(lines)))]


def shape(ps: list[Piece]) -> list[tuple[str, str, str]]:
    return [(p.key, p.kind, p.part) for p in ps]


def replace(lines: list[str], changes: list[tuple[Place, str]]) -> list[str]:
    """Body lines with each place's text replaced; places are applied last first, so that a
    text of more or fewer lines leaves the others where they are."""
    lines = list(lines)
    for place, text in sorted(changes, key=lambda c: (c[0].first, c[0].cell or (0, 0)), reverse=True):
        if place.cell:
            line = lines[place.first]
            lines[place.first] = line[: place.cell[0]] + text + line[place.cell[1]:]
            continue
        new = text.split("\n")
        lines[place.first:place.last] = [place.prefix + new[0]] + [place.indent + t for t in new[1:]]
    return lines


def section_of(sid: str, text: str) -> Section:
    """A section again from its text as a stamp keeps it (heading and body, or the body alone)."""
    if sid == INTRO or not text.startswith("## "):
        return Section(sid, "", text, 1)
    title, _, body = text.partition("\n")
    return Section(sid, title[3:], body.strip("\n"), 1)


def section_text(sid: str, title: str, body: str) -> str:
    return Section(sid, title, body, 1).text


def meta_of(text: str | None) -> dict:
    try:
        value = yaml.safe_load(text or "")
    except yaml.YAMLError:
        return {}
    return value if isinstance(value, dict) else {}


def meta_text(meta: dict) -> str:
    """The front matter as a stamp keeps it (as stamps.source_texts writes it)."""
    return yaml.safe_dump(meta, allow_unicode=True, sort_keys=True).strip()


def paired(old: list[Piece], new: list[Piece]) -> dict[str, Piece]:
    """The stamp's pieces by the key of the source piece they were (by position where the blocks
    are the same, else along the longest runs of the same kinds)."""
    if shape(old) == shape(new):
        return {n.key: o for o, n in zip(old, new)}
    out = {}
    kinds = lambda ps: [(p.kind, p.part) for p in ps]
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, kinds(old), kinds(new), autojunk=False).get_opcodes():
        if tag == "equal":
            out.update({new[j].key: old[i] for i, j in zip(range(i1, i2), range(j1, j2))})
    return out


@dataclass
class SectionUnits:
    """A section's units with where each is on both sides: what export writes and import needs."""

    id: str
    title: str
    source: list[Piece]
    translation: list[Piece] | None  # None: the section is not translated
    section: Section | None  # the translation's section
    source_section: Section
    units: list[Unit]


def document_units(src: ContentFile, tr: ContentFile | None, stamped: dict[str, stamps.Confirmed]) -> list[SectionUnits]:
    """Every unit of a document, in the source's order: the front matter first, then each section."""
    out = [_front_matter(src, tr, stamped.get(META))]
    for s in src.sections:
        t = tr.section(s.id) if tr else None
        out.append(_section(s, t, stamped.get(s.id)))
    return out


def _state(target: str, source: str, confirmed: stamps.Confirmed | None, current: bool,
           previous: str | None) -> tuple[str, str | None]:
    if not target.strip():
        return MISSING, None
    if confirmed is None:
        return UNCONFIRMED, None
    if current or (previous is not None and stamps.same(previous, source)):
        return CURRENT, None
    return OUTDATED, previous


def _front_matter(src: ContentFile, tr: ContentFile | None, confirmed: stamps.Confirmed | None) -> SectionUnits:
    current = stamps.is_current(confirmed, stamps.source_texts(src)[META])
    old = meta_of(confirmed.source) if confirmed else {}
    units = []
    for key, value in src.meta.items():
        target = str(tr.meta.get(key, "")) if tr else ""
        previous = str(old[key]) if key in old else None
        state, previous = _state(target, str(value), confirmed, current, previous)
        units.append(Unit(f"{META}/{key}", META, f"front matter: {key}", "front matter", str(value), target, state, previous,
                          tr.meta_line(key) if tr and key in tr.meta else src.meta_line(key), "Front matter"))
    ps = [Piece(key, "field", "front matter", str(v)) for key, v in src.meta.items()]
    tps = [Piece(key, "field", "front matter", str(v)) for key, v in tr.meta.items()] if tr else None
    return SectionUnits(META, "Front matter", ps, tps, None, None, units)


def _section(s: Section, t: Section | None, confirmed: stamps.Confirmed | None) -> SectionUnits:
    src, trp = pieces(s), pieces(t) if t else None
    if trp is not None and shape(src) != shape(trp):
        src, trp = whole_body(s), whole_body(t)
    current = stamps.is_current(confirmed, s.text)
    old = {}
    if confirmed and not current:
        stamped = section_of(s.id, confirmed.source)
        old = paired(whole_body(stamped) if src[-1:] and src[-1].key == "body" else pieces(stamped), src)
    by_key = {p.key: p for p in trp or []}
    slides = any(p.part != "body" for p in src)

    def kind(p: Piece) -> str:
        if p.kind == "title":
            return "slide title" if slides else "title"
        return {"slide": "slide: ", "notes": "slide note: "}.get(p.part, "") + p.kind

    units = []
    for p in src:
        if not p.text.strip():
            continue  # an empty table cell: nothing to translate
        tp = by_key.get(p.key)
        previous = old[p.key].text if p.key in old else None
        state, previous = _state(tp.text if tp else "", p.text, confirmed, current, previous)
        if t is None:
            line = s.line if p.place is None else s.body_line + p.line
        else:
            line = t.line if tp is None or tp.place is None else t.body_line + tp.line
        units.append(Unit(f"{s.id}/{p.key}", s.id, kind(p), p.part,
                          p.text, tp.text if tp else "", state, previous, line, s.title or "Introduction"))
    return SectionUnits(s.id, s.title or "Introduction", src, trp, t, s, units)


# -- protected Markdown: what a translator keeps as it is -----------------------------------
EXPRESSION = r"\{\{.*?\}\}|\{%.*?%\}"
PROTECTED = re.compile(EXPRESSION + r"|\]\([^)]*\)|<(?:https?|mailto):[^>]*>|</?[A-Za-z][^>\n]*>|`[^`\n]*`"
                       r"|\{[:#.][^}]*\}", re.S)
LINK_TARGET = re.compile(r"\]\(([^)\s]*)[^)]*\)")


def protected(text: str) -> Counter:
    """The unit's placeholders as a translation must keep them: template expressions (their
    spacing aside), link targets (the site: a translation may link the site's page in its own
    language), image files, inline HTML, code and attribute lists."""
    from materials.rules.checks import link_site

    out: Counter = Counter()
    for m in PROTECTED.finditer(text):
        token = m.group()
        if token.startswith("{{") or token.startswith("{%"):
            out[re.sub(r"\s+", "", token)] += 1
        elif token.startswith("]("):
            target = LINK_TARGET.match(token)
            out["](" + link_site(target.group(1) if target else token) + ")"] += 1
        else:
            out[token] += 1
    return out


def placeholders(text: str) -> list[str]:
    """The placeholders as written, in order (for the PO flag and XLIFF's inline codes)."""
    return [m.group() for m in PROTECTED.finditer(text)]


def terms_in(text: str, glossary: Glossary, source_lang: str, lang: str) -> list[tuple[str, str]]:
    """The glossary terms a source text uses, with the translation the glossary requires."""
    words = tokens(re.sub(EXPRESSION, " ", text))
    return [(term.words[source_lang], term.words[lang]) for term in glossary.terms
            if term.words.get(source_lang) and term.words.get(lang) and contains_term(words, term.words[source_lang], source_lang)]


def findings_by_unit(sections: list[SectionUnits], findings) -> tuple[dict[str, list], list]:
    """The check's findings of one document, each beside the unit it is about (the unit at its
    line; an outdated section's finding beside each of its units that changed; a section-wide
    one, at the heading's line, beside the title), and those about no unit (a missing section)."""
    lines = sorted((u.line or 0, u.key) for s in sections for u in s.units if u.target)
    fuzzy_by_title = {u.line: [v.key for v in s.units if v.fuzzy] for s in sections for u in s.units if u.key.endswith("/title")}
    fuzzy_by_title[1] = [u.key for s in sections if s.id == META for u in s.units if u.fuzzy]  # (check names line 1)
    out: dict[str, list] = {u.key: [] for s in sections for u in s.units}
    loose = []
    for f in findings:
        at = (fuzzy_by_title.get(f.line) if f.code == "outdated" else None) or [key for line, key in lines if line <= (f.line or 0)][-1:]
        if not f.line or not at:
            loose.append(f)
        for key in at if f.line else ():
            out[key].append(f)
    return out, loose

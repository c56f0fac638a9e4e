"""Translation stamps: what both sides said when a translator last confirmed a section.

`locale/stamps/<lang>/<doc>.json` keeps, per section id, the source text the translator worked
from and the translation text they confirmed. A section is outdated when what a reader reads of
the source changed since (a rewrapped paragraph, curly quotes or `_em_` for `*em*` change
nothing); the word-level difference is exactly what the translator has to carry over. Because
the translation is kept too, confirming can tell a section the translator updated from one
nobody touched: only the first is confirmed, the second needs an explicit "unchanged".
No git history is needed.
"""

from __future__ import annotations

import difflib
import functools
import json
import re
import threading
from dataclasses import dataclass
from pathlib import Path

import yaml

from materials.output import write_atomic
from materials.sources.content import ContentFile

META = "front-matter"
FORMAT = 2  # 1: the source text only, per section; 2: source, translation and how it was confirmed


@dataclass(frozen=True)
class Confirmed:
    """One section as its translator confirmed it."""

    source: str  # the source's text, as written then
    translation: str | None  # the translation's text (None in a stamp of the first format)
    unchanged: bool = False  # confirmed with --unchanged: the source's change needed none here
    at: str | None = None  # the day it was confirmed (ISO); None in stamps older than the date

    def as_json(self) -> dict:
        out = {"source": self.source, "translation": self.translation, "unchanged": self.unchanged}
        return out | ({"confirmed": self.at} if self.at else {})


def path(root: Path, lang: str, doc_id: str) -> Path:
    return root / "locale" / "stamps" / lang / f"{doc_id}.json"


def source_texts(content: ContentFile) -> dict[str, str]:
    """Each section's text (heading and body) and the front matter, by id (source or translation)."""
    texts = {META: yaml.safe_dump(content.meta, allow_unicode=True, sort_keys=True).strip()}
    for s in content.sections:
        texts[s.id] = s.text
    return texts


QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "‟": '"', "«": '"', "»": '"', "‘": "'", "’": "'",
                        "‚": "'", "‛": "'", "\u00a0": " ", "\u202f": " "})


@functools.lru_cache(maxsize=4096)
def normalised(text: str) -> str:
    """What a reader reads of a section: its Markdown rendered (so wrapping, list markers and
    `*`/`_` do not count), quotation marks straight, white space collapsed."""
    html = _reader().reset().convert(text.translate(QUOTES))
    return re.sub(r"\s+", " ", html).strip()


_readers = threading.local()


def _reader():
    """A Markdown converter per thread, reset for each text: making one costs more than
    converting a section (its extensions are loaded and registered anew)."""
    if not hasattr(_readers, "md"):
        import markdown

        _readers.md = markdown.Markdown(extensions=["attr_list", "tables", "sane_lists"])
    return _readers.md


def same(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and normalised(a) == normalised(b)


def is_current(confirmed: Confirmed | None, source: str) -> bool:
    """The section's source reads as it did when the translation was confirmed."""
    return confirmed is not None and same(confirmed.source, source)


WORD = re.compile(r"\S+")
CONTEXT = 6  # words shown on each side of a change


def diff(old: str, new: str) -> str:
    """What changed between two texts, word by word: one line per changed line of `new`, the
    removed words as [-…-] and the added as {+…+} (git's plain word diff), far context elided.
    No line is wrapped, so it reads the same in a terminal, a pipe and a page."""
    old_lines, new_lines = old.split("\n"), new.split("\n")
    out = []
    blocks = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False).get_opcodes()
    for tag, i1, i2, j1, j2 in blocks:
        if tag == "equal":
            continue
        a, b = " ".join(old_lines[i1:i2]), " ".join(new_lines[j1:j2])
        out.append(_words(WORD.findall(a), WORD.findall(b)))
    return "\n".join(line for line in out if line)


def _words(a: list[str], b: list[str]) -> str:
    parts: list[str] = []
    ops = difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    for n, (tag, i1, i2, j1, j2) in enumerate(ops):
        if tag == "equal":
            words = a[i1:i2]
            first, last = n == 0, n == len(ops) - 1
            if len(words) > 2 * CONTEXT or (first and len(words) > CONTEXT) or (last and len(words) > CONTEXT):
                head = [] if first else words[:CONTEXT]
                tail = [] if last else words[-CONTEXT:]
                words = head + ["…"] + tail
            parts += words
            continue
        if i2 > i1:
            parts.append("[-" + " ".join(a[i1:i2]) + "-]")
        if j2 > j1:
            parts.append("{+" + " ".join(b[j1:j2]) + "+}")
    return " ".join(parts)


DIFF_PART = re.compile(r"\[-(.*?)-\]|\{\+(.*?)\+\}")


def diff_parts(line: str) -> list[tuple[str, str]]:
    """A diff line as (kind, text) pieces: "del", "add" or "same", for colour and for HTML."""
    pieces, at = [], 0
    for m in DIFF_PART.finditer(line):
        if m.start() > at:
            pieces.append(("same", line[at:m.start()]))
        pieces.append(("del", m.group(1)) if m.group(1) is not None else ("add", m.group(2)))
        at = m.end()
    if at < len(line):
        pieces.append(("same", line[at:]))
    return pieces


def load(root: Path, lang: str, doc_id: str) -> dict[str, Confirmed]:
    """A document's stamp (either format); {} when there is none or it cannot be read."""
    try:
        data = json.loads(path(root, lang, doc_id).read_text(encoding="utf-8"))
        sections = data.get("sections", {})
    except (OSError, ValueError, AttributeError):
        return {}
    out = {}
    for sid, value in sections.items() if isinstance(sections, dict) else ():
        if isinstance(value, str):  # the first format: the source only
            out[str(sid)] = Confirmed(value, None)
        elif isinstance(value, dict) and isinstance(value.get("source"), str):
            tr = value.get("translation")
            at = value.get("confirmed")
            out[str(sid)] = Confirmed(value["source"], tr if isinstance(tr, str) else None, value.get("unchanged") is True,
                                      at if isinstance(at, str) else None)
    return out


@dataclass
class Decision:
    """What confirming a document did, per section."""

    doc_id: str
    confirmed: list[str]  # the translation changed since its source changed, or never confirmed
    unchanged: list[str]  # confirmed with --unchanged
    refreshed: list[str]  # the source had not changed; the translation's own edit is recorded
    refused: list[str]  # the source changed, and the translation did not
    sections: dict[str, Confirmed]  # the stamp to write


def decide(src: ContentFile, tr: ContentFile, stamped: dict[str, Confirmed], unchanged: set[str]) -> Decision:
    """Which of a translation's sections a stamp may confirm now."""
    sources, translations = source_texts(src), source_texts(tr)
    day = today()
    d = Decision(src.doc_id, [], [], [], [], {})
    for sid, text in sources.items():
        if sid not in translations:
            continue  # not translated yet: nothing to confirm
        before, now = stamped.get(sid), Confirmed(text, translations[sid], at=day)
        if before is None:
            d.confirmed.append(sid)
        elif is_current(before, text):
            if before.translation is not None and not same(before.translation, now.translation):
                d.refreshed.append(sid)  # (a stamp of the first format just gains its translation)
            now = Confirmed(text, translations[sid], before.unchanged, before.at)
        elif sid in unchanged:
            d.unchanged.append(sid)
            now = Confirmed(text, translations[sid], True, day)
        elif before.translation is not None and not same(before.translation, now.translation):
            d.confirmed.append(sid)
        else:
            d.refused.append(sid)
            now = before
        d.sections[sid] = now
    return d


def today() -> str:
    """The day a confirmation records (MATERIALS_TODAY fixes it, as for packs)."""
    from materials.sources.municipality import today as day

    return day().isoformat()


def write(root: Path, lang: str, src: ContentFile, sections: dict[str, Confirmed]) -> None:
    data = {"format": FORMAT, "source": f"content/{src.lang}/{src.doc_id}.md",
            "sections": {sid: c.as_json() for sid, c in sections.items()}}
    write_atomic(path(root, lang, src.doc_id),
                 (json.dumps(data, indent=1, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8"))

"""Units as a gettext PO file (polib), the format Poedit, Weblate and Lokalize read, and back.

One entry per unit: msgctxt is the unit's key, msgid the English now, msgstr the translation.
An outdated unit is `#, fuzzy` with the English the translator last confirmed as `#| msgid`,
which Poedit and Weblate show as a word-level change. Placeholders stay verbatim in the text;
the entry's flags name them (Weblate's `placeholders:` flag, and `md-text` for its Markdown
checks), and the import refuses a unit that lost or changed one.
"""

from __future__ import annotations

from pathlib import Path

import polib

from materials.errors import Problem, ProjectError
from materials.translators.units import Unit, placeholders

DOCUMENT_HEADER = "X-Materials-Document"


def _flag(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write(units: list[Unit], notes: dict[str, list[str]], references: dict[str, str], lang: str, doc: str,
          source_lang: str, project_name: str) -> bytes:
    po = polib.POFile(wrapwidth=0)  # no wrapping: a long paragraph stays one line, as it is written
    po.metadata = {
        "Project-Id-Version": f"{project_name} {doc}",
        "Language": lang,
        "MIME-Version": "1.0",
        "Content-Type": "text/plain; charset=UTF-8",
        "Content-Transfer-Encoding": "8bit",
        "X-Source-Language": source_lang,
        DOCUMENT_HEADER: doc,
    }
    for u in units:
        flags = ["md-text"]
        found = [p for p in dict.fromkeys(placeholders(u.source)) if "," not in p]
        if found:
            flags.append("placeholders:" + ":".join(_flag(p) for p in found))
        if u.fuzzy:
            flags.insert(0, "fuzzy")
        entry = polib.POEntry(msgctxt=u.key, msgid=u.source, msgstr=u.target, flags=flags,
                              comment="\n".join(notes.get(u.key, [])),
                              occurrences=[(references[u.key], "")] if u.key in references else [])
        if u.previous is not None:
            entry.previous_msgid = u.previous
        po.append(entry)
    return str(po).encode("utf-8")


def read(path: Path, name: str):
    """The file's entries; a file polib cannot read is one line naming it."""
    from materials.translators.exchange import Entry, ExchangeFile

    try:
        po = polib.pofile(str(path), encoding="utf-8", wrapwidth=0)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise ProjectError(Problem(name, f"cannot be read as a PO file: {exc}"))
    entries = [Entry(e.msgctxt or "", e.msgid, e.msgstr, "fuzzy" in e.flags, e.linenum) for e in po if not e.obsolete]
    return ExchangeFile(path, name, po.metadata.get("Language", ""), po.metadata.get(DOCUMENT_HEADER, path.stem), entries)

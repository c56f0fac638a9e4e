"""Units as an XLIFF 1.2 file, and back.

XLIFF 1.2 rather than 2.x: 1.2 has a place for the English last confirmed (`<alt-trans>`), which
translate-toolkit (the reader Weblate uses) reads, as OmegaT's own XLIFF filter and Okapi read
1.2; translate-toolkit's reader of 2.0 (new in 3.x) has no such place (2.x keeps earlier
versions in its Change Tracking module, which it does not read). One `<trans-unit>` per unit, its id the unit's
key. A current unit is `approved="yes"`; an outdated one `state="needs-review-translation"`,
with the English last confirmed in `<alt-trans alttranstype="previous-version">`. Placeholders
are inline codes the tools protect: `<ph>` for a template expression, inline HTML, code or an
attribute list; `<bpt>`/`<ept>` pairs around a link's or an image's text and around emphasis.
Each code carries its Markdown as its content, so the Markdown is read back as it was.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from materials.errors import Problem, ProjectError
from materials.translators.units import PROTECTED, Unit

NS = "urn:oasis:names:tc:xliff:document:1.2"


def codes(text: str) -> list[tuple[str, str]]:
    """The text as (kind, Markdown) pieces: text, ph, bpt or ept; a pair of bpt and ept only
    where both ends are there (an opening bracket whose link closes, an emphasis that closes)."""
    out: list[tuple[str, str]] = []
    at = 0
    pattern = re.compile(PROTECTED.pattern + r"|!?\[|\*\*|__|\*|_", re.S)
    open_marks: list[tuple[int, str]] = []
    for m in pattern.finditer(text):
        token = m.group()
        if m.start() > at:
            out.append(("text", text[at:m.start()]))
        at = m.end()
        if token.startswith("]("):
            opener = next((i for i in range(len(open_marks) - 1, -1, -1) if open_marks[i][1] in ("[", "![")), None)
            if opener is not None:
                index, _ = open_marks.pop(opener)
                out[index] = ("bpt", out[index][1])
                out.append(("ept", token))
            else:
                out.append(("ph", token))
            continue
        if PROTECTED.fullmatch(token):
            out.append(("ph", token))
            continue
        if token in ("[", "!["):
            open_marks.append((len(out), token))
            out.append(("text", token))
            continue
        # an emphasis marker: it closes the last one of its kind, else it may open one
        same = next((i for i in range(len(open_marks) - 1, -1, -1) if open_marks[i][1] == token), None)
        before, after = text[m.start() - 1:m.start()], text[m.end():m.end() + 1]
        if same is not None and before.strip() and not (after.isalnum() and token.startswith("_")):
            index, _ = open_marks.pop(same)
            out[index] = ("bpt", token)
            out.append(("ept", token))
        elif after.strip() and not (before.isalnum() and token.startswith("_")):
            open_marks.append((len(out), token))
            out.append(("text", token))
        else:
            out.append(("text", token))
    if at < len(text):
        out.append(("text", text[at:]))
    return out


def _fill(element: ET.Element, text: str, ids: dict[tuple[str, str], list[str]] | None = None) -> dict:
    """`element` holding `text` with its inline codes; the ids are the source's where the same
    code is there (so a tool pairs them), new ones otherwise. Returns the ids given, by code."""
    given: dict[tuple[str, str], list[str]] = {}
    pool = {k: list(v) for k, v in (ids or {}).items()}
    counter = [len({i for v in (ids or {}).values() for i in v})]
    stack: list[str] = []
    last: ET.Element | None = None

    def new_id(kind: str, markdown: str) -> str:
        if pool.get((kind, markdown)):
            return pool[(kind, markdown)].pop(0)
        counter[0] += 1
        return str(counter[0])

    for kind, markdown in codes(text):
        if kind == "text":
            if last is None:
                element.text = (element.text or "") + markdown
            else:
                last.tail = (last.tail or "") + markdown
            continue
        if kind == "ept":
            code_id = stack.pop()
        else:
            code_id = new_id(kind, markdown)
            if kind == "bpt":
                stack.append(code_id)
        last = ET.SubElement(element, f"{{{NS}}}{kind}", {"id": code_id})
        last.text = markdown
        given.setdefault((kind, markdown), []).append(code_id)
    return given


def write(units: list[Unit], notes: dict[str, list[str]], references: dict[str, str], lang: str, doc: str,
          source_lang: str, project_name: str) -> bytes:
    root = ET.Element(f"{{{NS}}}xliff", {"version": "1.2"})
    file = ET.SubElement(root, f"{{{NS}}}file", {"original": f"content/{source_lang}/{doc}.md", "datatype": "x-markdown",
                                                 "source-language": source_lang, "target-language": lang,
                                                 "product-name": project_name})
    body = ET.SubElement(file, f"{{{NS}}}body")
    for u in units:
        attrs = {"id": u.key, "resname": u.key, "xml:space": "preserve"}
        if u.target:
            attrs["approved"] = "no" if u.fuzzy else "yes"
        unit = ET.SubElement(body, f"{{{NS}}}trans-unit", attrs)
        ids = _fill(ET.SubElement(unit, f"{{{NS}}}source"), u.source)
        if u.target:
            state = "needs-review-translation" if u.fuzzy else "translated"
            _fill(ET.SubElement(unit, f"{{{NS}}}target", {"state": state}), u.target, ids)
        if u.previous is not None:
            alt = ET.SubElement(unit, f"{{{NS}}}alt-trans", {"alttranstype": "previous-version", "origin": "last confirmed"})
            _fill(ET.SubElement(alt, f"{{{NS}}}source"), u.previous)
            _fill(ET.SubElement(alt, f"{{{NS}}}target"), u.target, ids)
        for note in notes.get(u.key, []):
            ET.SubElement(unit, f"{{{NS}}}note", {"from": "materials"}).text = note
        if u.key in references:
            group = ET.SubElement(unit, f"{{{NS}}}context-group", {"purpose": "location", "name": "where"})
            ET.SubElement(group, f"{{{NS}}}context", {"context-type": "sourcefile"}).text = references[u.key].rsplit(":", 1)[0]
            ET.SubElement(group, f"{{{NS}}}context", {"context-type": "linenumber"}).text = references[u.key].rsplit(":", 1)[1]
    _indent(root)
    # The prefix is registered now, not once at import: the registry is global, and another
    # library in the process can re-register the URI (the XLIFF then came out with "ns0:").
    # (ET.tostring's default_namespace cannot serve: it refuses the unqualified attributes.)
    ET.register_namespace("", NS)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="utf-8") + b"\n"


STRUCTURE = {f"{{{NS}}}{tag}" for tag in ("xliff", "file", "body", "trans-unit", "alt-trans", "context-group")}


def _indent(element: ET.Element, level: int = 0) -> None:
    """Indent the file's structure, never the inside of a text (ET.indent would add white space
    around inline codes)."""
    if element.tag not in STRUCTURE or not len(element):
        return
    element.text = "\n" + " " * (level + 1)
    for child in element:
        _indent(child, level + 1)
        child.tail = "\n" + " " * (level + 1)
    element[-1].tail = "\n" + " " * level


def text_of(element: ET.Element | None) -> str:
    """The Markdown an element holds: its text and its inline codes' content, in order."""
    if element is None:
        return ""
    out = [element.text or ""]
    for child in element:
        tag = child.tag.rsplit("}", 1)[-1]
        if tag in ("ph", "bpt", "ept", "it"):
            out.append("".join(child.itertext()))
        elif tag in ("g", "mrk"):
            out.append(text_of(child))
        # x, bx, ex: codes without content that no export of ours writes
        out.append(child.tail or "")
    return "".join(out)


def read(path: Path, name: str):
    from materials.translators.exchange import Entry, ExchangeFile

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ProjectError(Problem(name, f"cannot be read: {exc.strerror}"))
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise ProjectError(Problem(name, "has a DOCTYPE or entities, which an XLIFF file of ours never has; export it again"))
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise ProjectError(Problem(name, f"is not well-formed XML ({exc})", exc.position[0]))
    file = root.find(f"{{{NS}}}file")
    if root.tag != f"{{{NS}}}xliff" or file is None:
        raise ProjectError(Problem(name, "is not an XLIFF 1.2 file (an <xliff> with a <file> in its namespace)"))
    lines = _lines(data)
    entries = []
    for unit in file.iter(f"{{{NS}}}trans-unit"):
        target = unit.find(f"{{{NS}}}target")
        state = target.get("state", "") if target is not None else ""
        fuzzy = unit.get("approved") == "no" or state.startswith("needs-")
        key = unit.get("id", "")
        entries.append(Entry(key, text_of(unit.find(f"{{{NS}}}source")), text_of(target), fuzzy, lines.get(key)))
    doc = Path(file.get("original", path.stem)).stem
    return ExchangeFile(path, name, file.get("target-language", ""), doc, entries)


def _lines(data: bytes) -> dict[str, int]:
    """The line of each trans-unit, by id (for messages)."""
    out = {}
    for m in re.finditer(rb'<trans-unit\b[^>]*\bid="([^"]*)"', data):
        out[m.group(1).decode("utf-8", "replace")] = data.count(b"\n", 0, m.start()) + 1
    return out

"""`invoke i18n.export` and `i18n.import`: a document's units in a translator's own tool (PO or
XLIFF), and the translations back into content/<lang>/<doc>.md.

Export writes one file per document (build/translation/<lang>/<doc>.po or .xlf) from the
loaded sources. Import reads every file first, refuses the lot on any stale unit (its English is
not the source's now), damaged placeholder, unit still fuzzy that was changed, or text that would
change the document's structure, and only then writes: each content file atomically, then the
stamps. Only units whose text changed and that are not fuzzy are written and confirmed:

- a unit is confirmed by recording, in its section's stamp, its English as it is now;
- a section whose every unit is then current is confirmed whole (its stamp is the source now);
- a section with units still outdated keeps, for those, the English last confirmed: its stamp's
  source is the source now with those units as they were, so check still reports the section as
  outdated and its diff shows exactly the changes not yet carried over;
- a section never confirmed has no earlier English to keep: it is confirmed once every unit of
  it has been (until then its confirmed units are written, not stamped, and the import says so).

An untouched unit changes nothing, so importing an unedited export, or the same file twice,
writes no file at all.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from pathlib import Path

from materials.errors import Problem, ProjectError, relative
from materials.output import BuildLock, write_atomic
from materials.sources import stamps
from materials.sources.content import ContentFile, parse_content
from materials.sources.loader import Sources, load
from materials.translators import po, xliff
from materials.translators.translation import one_translation
from materials.translators.units import (CURRENT, META, MISSING, OUTDATED, UNCONFIRMED, SectionUnits, document_units,
                                         findings_by_unit, meta_text, protected, replace, section_text, terms_in)

FORMATS = {"po": (".po", po), "xliff": (".xlf", xliff)}
ONLY = {"all": None, "outdated": {OUTDATED, UNCONFIRMED}, "missing": {MISSING}}


@dataclass(frozen=True)
class Entry:
    """A unit as an exchange file has it."""

    key: str
    source: str
    target: str
    fuzzy: bool
    line: int | None = None


@dataclass(frozen=True)
class ExchangeFile:
    path: Path
    name: str
    lang: str
    doc: str
    entries: list[Entry]


@dataclass(frozen=True)
class Exported:
    path: Path
    doc: str
    units: int
    counts: dict[str, int]  # units by state


@dataclass
class Imported:
    name: str  # the exchange file
    doc: str
    content: str  # the content file written ("" when nothing changed)
    written: list[str] = field(default_factory=list)  # unit keys written into the content file
    confirmed: list[str] = field(default_factory=list)  # of those, the units the stamps now record as confirmed
    sections: list[str] = field(default_factory=list)  # sections whose stamp changed
    pending: list[str] = field(default_factory=list)  # sections still outdated or never confirmed


def units_of(sources: Sources, lang: str, doc: str) -> list[SectionUnits]:
    src = sources.content(sources.source, doc)
    if src is None:
        problems = [u.problem for u in sources.unreadable if u.code == "content" and u.doc == doc and u.lang == sources.source]
        raise ProjectError(problems or f"content/{sources.source}/{doc}.md is missing")
    if (lang, doc) not in sources.absent and sources.content(lang, doc) is None:
        raise ProjectError([u.problem for u in sources.unreadable if u.code == "content" and u.doc == doc and u.lang == lang])
    return document_units(src, sources.content(lang, doc), sources.stamps.get((lang, doc), {}))


def notes_for(sources: Sources, lang: str, doc: str, sections: list[SectionUnits], findings) -> dict[str, list[str]]:
    """Per unit: the document, the section's title, the glossary's terms and the check's findings."""
    title = str(sources.content(sources.source, doc).meta.get("title", doc))
    out: dict[str, list[str]] = {}
    for s in sections:
        for u in s.units:
            notes = [f"Document: {title} ({doc}). Section: {s.title}. {u.kind[:1].upper() + u.kind[1:]}."]
            if u.state == OUTDATED:
                notes.append("The English changed since this translation was confirmed: see the previous source.")
            elif u.state == UNCONFIRMED:
                notes.append("This translation was never confirmed against the English.")
            terms = terms_in(u.source, sources.glossary, sources.source, lang)
            if terms:
                notes.append("Glossary: " + "; ".join(f"{a} = {b}" for a, b in terms) + ".")
            out[u.key] = notes
    placed, _ = findings_by_unit(sections, [f for f in findings if f.doc == doc and f.lang == lang])
    for key, found in placed.items():
        out[key] += [f"check: {f.severity} {f.code}: {f.message}" for f in found]
    return out


def export(root: Path, lang: str, doc: str | None = None, format: str = "po", only: str = "all",
           out_dir: Path | None = None, sources: Sources | None = None) -> list[Exported]:
    """Write one exchange file per document of `lang` (or `doc`); returns what each holds."""
    from materials.rules.checks import run

    if format not in FORMATS:
        raise ProjectError(f"unknown format '{format}'; use po or xliff")
    if only not in ONLY:
        raise ProjectError(f"--only {only}: use outdated, missing or all")
    sources = sources or load(Path(root).resolve())
    lang = one_translation(sources.project, lang, "export", "exported")
    project = sources.project
    suffix, writer = FORMATS[format]
    out = Path(out_dir) if out_dir else project.root / "build" / "translation" / lang
    findings = run(sources, [lang]).findings
    done = []
    files = {}
    for d in project.select_documents(doc):
        sections = units_of(sources, lang, d)
        units = [u for s in sections for u in s.units if ONLY[only] is None or u.state in ONLY[only]]
        tr_name = relative(project.content_file(lang, d), project.root)
        src_name = relative(project.content_file(sources.source, d), project.root)
        references = {u.key: f"{tr_name if u.state != MISSING else src_name}:{u.line}" for u in units if u.line}
        data = writer.write(units, notes_for(sources, lang, d, sections, findings), references, lang, d,
                            sources.source, project.organisation)
        if units or only == "all":  # (with --only, a document with nothing of the kind gets no file)
            files[out / f"{d}{suffix}"] = data
        counts = {state: sum(u.state == state for u in units) for state in (CURRENT, OUTDATED, UNCONFIRMED, MISSING)}
        done.append(Exported(out / f"{d}{suffix}", d, len(units), counts))
    with BuildLock(project.root / "build") if not out_dir else contextlib.nullcontext():
        for path, data in files.items():
            write_atomic(path, data)
    return done


def read_exchange(path: Path, root: Path) -> ExchangeFile:
    name = relative(path, root)
    if not path.is_file():
        raise ProjectError(Problem(name, "no such file"))
    reader = xliff if path.suffix.lower() in (".xlf", ".xliff") else po
    return reader.read(path, name)


# -- import ------------------------------------------------------------------------------------

@dataclass
class Plan:
    """What importing one file would do."""

    file: ExchangeFile
    tr: ContentFile | None
    sections: list[SectionUnits]
    changed: dict[str, str]  # unit key -> its new text
    problems: list[Problem]


def plan(sources: Sources, f: ExchangeFile) -> Plan:
    project = sources.project
    where = lambda e, msg: Problem(f.name, f"unit {e.key}: {msg}", e.line)
    if not f.lang:
        return Plan(f, None, [], {}, [Problem(f.name, "names no language (a PO header's Language:, an XLIFF file's "
                                                        "target-language); is it a file of invoke i18n.export?")])
    if f.lang not in sources.translations:
        return Plan(f, None, [], {}, [Problem(f.name, f"its language '{f.lang}' is not a translation of the project "
                                                        f"({', '.join(sources.translations)})")])
    if f.doc not in project.documents:
        return Plan(f, None, [], {}, [Problem(f.name, f"'{f.doc}' is not a document of content/project.yaml")])
    sections = units_of(sources, f.lang, f.doc)
    units = {u.key: u for s in sections for u in s.units}
    tr = sources.content(f.lang, f.doc)
    problems, changed, seen = [], {}, set()
    for e in f.entries:
        u = units.get(e.key)
        if e.key in seen:
            problems.append(where(e, "appears twice in the file"))
            continue
        seen.add(e.key)
        if u is None:
            problems.append(where(e, f"is not a unit of content/{sources.source}/{f.doc}.md now: the file is an older "
                                     f"export; export again (invoke i18n.export --lang {f.lang} --doc {f.doc})"))
            continue
        if e.source != u.source:
            problems.append(where(e, f"its English is not the source's now (content/{sources.source}/{f.doc}.md changed "
                                     "since the export); export again and carry the translation over"))
            continue
        if e.target == u.target:
            continue  # untouched (an outdated unit left fuzzy stays as it was)
        if e.fuzzy:
            problems.append(where(e, "is still fuzzy (needs review); finish it and remove the fuzzy mark, or leave its "
                                     "translation as it was exported"))
            continue
        if not e.target.strip():
            problems.append(where(e, "has no translation, where the file has one; an import never deletes a translation"))
            continue
        if protected(e.target) != protected(u.source) and protected(e.target) != protected(u.target):
            problems.append(where(e, "a placeholder was changed, dropped or added (a {{ … }} value, a link's target, "
                                     "code or HTML); keep the source's"))
            continue
        if "\n" in e.target and (u.key.endswith("/title") or u.kind.endswith("table cell") or u.section == META):
            problems.append(where(e, "a line break in a title, table cell or front matter field; write it on one line"))
            continue
        changed[e.key] = e.target
    # A section (or document) the translation lacks is added whole: once every unit of it is translated.
    for su in sections:
        if su.translation is None and su.id != META and any(u.key in changed for u in su.units):
            left = [u.key for u in su.units if u.key not in changed]
            if left:
                problems.append(Problem(f.name, f"section '{su.id}' ({su.title}) is not in the translation yet, and "
                                                f"{len(left)} of its {len(su.units)} units have no translation here "
                                                f"({', '.join(left[:3])}{'…' if len(left) > 3 else ''}); an import adds a "
                                                "section once every unit of it is translated"))
    if tr is None and changed:
        needed = [k for k in ("title", "summary") if f"{META}/{k}" not in changed]
        if needed:
            problems.append(Problem(f.name, f"{relative(project.content_file(f.lang, f.doc), project.root)} does not exist "
                                            f"yet; to make it, translate its front matter's {' and '.join(needed)} too"))
    return Plan(f, tr, sections, changed, problems)


def new_text(p: Plan, original: str) -> str:
    """The content file with the plan's changed units written in, every other byte as it was;
    a section it lacked is added after the one before it in the source (a whole file, when
    there was none)."""
    from materials.sources.content import HEADING

    tr, changed = p.tr, p.changed
    if tr is None:
        return new_document(p)
    crlf = "\r\n" in original
    bom = original.startswith("\ufeff")
    lines = original.lstrip("\ufeff").replace("\r\n", "\n").split("\n")
    ops = []  # (line index, order at that index, what to do): done last first, so that earlier indexes hold

    def body(section, changes):
        start = section.body_line - 1
        ops.append((start, 2, lambda: lines.__setitem__(slice(start, start + len(section.body.split("\n"))),
                                                         replace(section.body.split("\n"), changes))))

    def title(section, text):
        at = section.line - 1
        m = HEADING.match(lines[at])
        ops.append((at, 1, lambda: lines.__setitem__(at, lines[at][: m.start("title")] + text + lines[at][m.end("title"):])))

    def insert(at, new_lines):
        ops.append((at, 0, lambda: lines.__setitem__(slice(at, at), new_lines)))

    for su in p.sections:
        if su.id == META:
            continue
        if su.section is not None:
            changes = [(piece.place, changed[f"{su.id}/{piece.key}"]) for piece in su.translation
                       if piece.place and f"{su.id}/{piece.key}" in changed]
            if changes:
                body(su.section, changes)
            if f"{su.id}/title" in changed:
                title(su.section, changed[f"{su.id}/title"])
        elif any(u.key in changed for u in su.units):
            later = [s for s in p.sections[p.sections.index(su) + 1:] if s.section is not None]
            text = skeleton(su, changed).split("\n")
            if later:
                insert(later[0].section.line - 1, text + [""])
            else:
                end = len(lines)
                while end > 0 and not lines[end - 1].strip():
                    end -= 1
                insert(end, [""] + text)
    close = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    for key in (k.split("/", 1)[1] for k in changed if k.startswith(META + "/")):
        value = f"{key}: {yaml_scalar(key, changed[META + '/' + key])}"
        if key not in tr.meta:
            insert(close, [value])
            continue
        at = tr.meta_line(key) - 1
        end = at + 1
        while end < len(lines) and lines[end].startswith((" ", "\t")):
            end += 1
        ops.append((at, 2, lambda at=at, end=end, value=value: lines.__setitem__(slice(at, end), [value])))
    for _, _, do in sorted(ops, key=lambda op: (op[0], op[1]), reverse=True):
        do()
    text = "\n".join(lines)
    return ("\ufeff" if bom else "") + (text.replace("\n", "\r\n") if crlf else text)


def skeleton(su: SectionUnits, changed: dict[str, str]) -> str:
    """A section the translation lacks, written as the source's with each unit's translation."""
    s = su.source_section
    changes = [(piece.place, changed[f"{s.id}/{piece.key}"]) for piece in su.source
               if piece.place and f"{s.id}/{piece.key}" in changed]
    body = "\n".join(replace(s.body.split("\n"), changes))
    return body if s.id == "intro" else f"## {changed[f'{s.id}/title']} {{#{s.id}}}\n\n{body}"


def new_document(p: Plan) -> str:
    """A translation file that was not there: the front matter and every section translated whole."""
    meta = [f"{piece.key}: {yaml_scalar(piece.key, p.changed[f'{META}/{piece.key}'])}" for piece in p.sections[0].source
            if f"{META}/{piece.key}" in p.changed]
    parts = [skeleton(su, p.changed) for su in p.sections[1:] if all(u.key in p.changed for u in su.units)]
    return "---\n" + "\n".join(meta) + "\n---\n\n" + "\n\n".join(parts) + "\n"


def yaml_scalar(key: str, value: str) -> str:
    """The value as YAML reads it back: plain where that is safe, a JSON string otherwise."""
    import json

    import yaml

    try:
        if value == value.strip() and yaml.safe_load(f"{key}: {value}") == {key: value}:
            return value
    except yaml.YAMLError:
        pass
    return json.dumps(value, ensure_ascii=False)


def stamp_of(su: SectionUnits, confirmed_keys: set[str], before: stamps.Confirmed | None, new_tr: ContentFile,
             day: str) -> stamps.Confirmed | None:
    """The section's stamp after the import confirmed `confirmed_keys` of its units (see the
    module's docstring); None: the stamp stays as it was."""
    if su.id == META:
        source_now = meta_text({k: v for k, v in su_meta(su).items()})
        translation = stamps.source_texts(new_tr)[META]
    else:
        source_now = su.source_section.text
        translation = new_tr.section(su.id).text
    pending = [u for u in su.units if u.fuzzy and u.key not in confirmed_keys]
    if not any(u.key in confirmed_keys for u in su.units):
        return None
    if all(u.state == CURRENT for u in su.units if u.target) and before is not None and stamps.is_current(before, source_now):
        return stamps.Confirmed(before.source, translation, before.unchanged, before.at)  # the translator's own edit
    if not pending:
        return stamps.Confirmed(source_now, translation, at=day)
    if before is None or any(u.previous is None for u in pending):
        return None  # nothing earlier to keep for what is still pending
    previous = {u.key: u.previous for u in pending}
    if su.id == META:
        meta = su_meta(su) | {u.key.split("/", 1)[1]: u.previous for u in pending}
        hybrid = meta_text(meta)
    else:
        s = su.source_section
        title = previous.get(f"{s.id}/title", s.title)
        changes = [(piece.place, previous[f"{s.id}/{piece.key}"]) for piece in su.source
                   if piece.place and f"{s.id}/{piece.key}" in previous]
        hybrid = section_text(s.id, title, "\n".join(replace(s.body.split("\n"), changes)))
    return stamps.Confirmed(hybrid, translation, at=before.at)


def su_meta(su: SectionUnits) -> dict:
    return {p.key: p.text for p in su.source}


def import_files(root: Path, files: list[Path]) -> list[Imported]:
    """Import every file, or none: each is read and checked before any content file or stamp is written."""
    root = Path(root).resolve()
    if not files:
        raise ProjectError("name the files to import: invoke i18n.import build/translation/fi/programme.po")
    sources = load(root)
    project = sources.project
    parsed, problems = [], []
    for path in files:
        try:
            parsed.append(read_exchange(Path(path).resolve() if not Path(path).is_absolute() else Path(path), root))
        except ProjectError as exc:
            problems += exc.problems
    docs = [(f.lang, f.doc) for f in parsed]
    problems += [Problem(f.name, f"{f.lang}/{f.doc} is in another file of this import too; import one file per document")
                 for f in parsed if docs.count((f.lang, f.doc)) > 1]
    plans = []
    for f in parsed:
        try:
            p = plan(sources, f)
        except ProjectError as exc:
            problems += exc.problems
            continue
        problems += p.problems
        plans.append(p)
    writes: dict[Path, bytes] = {}
    stamps_to_write = []
    results = []
    day = stamps.today()
    for p in plans:
        result = Imported(p.file.name, p.file.doc, "")
        results.append(result)
        if not p.changed or p.problems:
            continue
        path = project.content_file(p.file.lang, p.file.doc)
        name = relative(path, project.root)
        text = new_text(p, path.read_bytes().decode("utf-8") if p.tr else "")
        try:
            new_tr = parse_content(text, path, name, p.file.lang, p.file.doc)
        except ProjectError as exc:
            problems += [Problem(p.file.name, f"the translations would make {name} unreadable: {q}") for q in exc.problems]
            continue
        again = {u.key: u for s in document_units(sources.content(sources.source, p.file.doc), new_tr, {}) for u in s.units}
        def kept(key: str, text: str) -> bool:
            """The unit reads back as written (a section's whole body as that section's body: a
            translator may bring its blocks in line with the source's, and then it is units again)."""
            if key.endswith("/body"):
                section = new_tr.section(key.rsplit("/", 1)[0])
                return section is not None and section.body == text.strip("\n")
            return key in again and again[key].target == text

        broken = [k for k, v in p.changed.items() if not kept(k, v)]
        broken += [u.key for s in p.sections for u in s.units if u.target and u.key not in p.changed and not kept(u.key, u.target)]
        if broken:
            problems += [Problem(p.file.name, f"unit {k}: its translation would change the document's blocks (a blank "
                                              "line, a list marker, a heading or a table bar in it); write it as one block",
                                 next((e.line for e in p.file.entries if e.key == k), None)) for k in dict.fromkeys(broken)]
            continue
        writes[path] = text.encode("utf-8")
        result.content = name
        result.written = list(p.changed)
        stamped = dict(sources.stamps.get((p.file.lang, p.file.doc), {}))
        changed_stamp = False
        for su in p.sections:
            new = stamp_of(su, set(p.changed), stamped.get(su.id), new_tr, day)
            if new is not None:
                stamped[su.id] = new
                result.sections.append(su.id)
                result.confirmed += [u.key for u in su.units if u.key in p.changed]
                changed_stamp = True
            touched = any(u.key in p.changed for u in su.units)
            if touched and (new is None or any(u.fuzzy and u.key not in p.changed for u in su.units)):
                result.pending.append(su.id)
        if changed_stamp:
            stamps_to_write.append((p.file.lang, sources.content(sources.source, p.file.doc), stamped))
    if problems:
        raise ProjectError(problems)
    for path, data in writes.items():
        write_atomic(path, data)
    for lang, src, stamped in stamps_to_write:
        stamps.write(project.root, lang, src, stamped)
    return results

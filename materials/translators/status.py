"""`invoke i18n.status`: the translator's desk, how far each translation is.

Per translation and document it counts the source's sections that are current, outdated or
missing, by the same rules and stamps as `invoke check` (the front matter counts as one section,
as it does there), the words to translate (units missing) and to review (units outdated or never
confirmed; units as i18n.export has them, translators/units.py), the check's findings by level,
and per language the template strings of its catalog. It prints a table (or JSON) and writes
`build/status.html` with, per document, a side-by-side page: each section with when it was last
confirmed and the word diff of its source, each unit beside its translation and its findings.
A language is complete when nothing is to translate or review, check finds no error and its
catalog is translated.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from materials.errors import ProjectError, relative
from materials.output import BuildLock, write_atomic
from materials.sources import catalogs, stamps
from materials.sources.loader import Sources, load
from materials.sources.content import ContentFile
from materials.translators import units as exchange_units

CURRENT, OUTDATED, MISSING = "current", "outdated", "missing"
TO_TRANSLATE, TO_REVIEW = {exchange_units.MISSING}, {exchange_units.OUTDATED, exchange_units.UNCONFIRMED}


@dataclass(frozen=True)
class SectionStatus:
    id: str
    state: str  # current, outdated or missing
    source: str  # the source's text now (heading and body)
    translation: str  # the translation's text; empty when missing
    diff: str = ""  # stamped source -> current source; empty when never confirmed
    title: str = ""  # the source's title of the section ("introduction", "front matter")
    confirmed: str = ""  # the day it was last confirmed; "never", or "" when the stamp has no date
    units: tuple = ()  # (Unit, its findings) in the source's order


@dataclass(frozen=True)
class DocStatus:
    lang: str
    doc: str
    sections: tuple[SectionStatus, ...]
    problem: str = ""  # why a content file could not be read
    title: str = ""  # the source's title, as the dashboard names the document
    findings: tuple = ()  # every finding of check for this document
    loose: tuple = ()  # the findings beside no unit (a missing section, a whole document)
    built: tuple = ()  # (format, path relative to build/) of the built outputs there are

    def words(self, states: set[str]) -> int:
        return sum(u.words for s in self.sections for u, _ in s.units if u.state in states)

    @property
    def to_translate(self) -> int:
        return self.words(TO_TRANSLATE)

    @property
    def to_review(self) -> int:
        return self.words(TO_REVIEW)

    def level(self, severity: str) -> int:
        return sum(f.severity == severity for f in self.findings)

    @property
    def last_confirmed(self) -> str:
        return max((s.confirmed for s in self.sections if s.confirmed[:1].isdigit()), default="")

    @property
    def complete(self) -> bool:
        return not (self.outdated or self.missing or self.problem or self.to_translate or self.to_review
                    or self.level("error"))

    def as_json(self) -> dict:
        return {"document": self.doc, "title": self.title, "complete": self.complete,
                "sections": {"total": self.total, "current": self.current, "outdated": self.outdated, "missing": self.missing},
                "words": {"to_translate": self.to_translate, "to_review": self.to_review} | {
                    state: self.words({state}) for state in exchange_units.STATES},
                "findings": {"error": self.level("error"), "warning": self.level("warning")},
                "problem": self.problem,
                "section_states": [{"id": s.id, "title": s.title, "state": s.state, "confirmed": s.confirmed or None}
                                   for s in self.sections]}

    def _count(self, state: str) -> int:
        return sum(s.state == state for s in self.sections)

    @property
    def total(self) -> int:
        return len(self.sections)

    @property
    def current(self) -> int:
        return self._count(CURRENT)

    @property
    def outdated(self) -> int:
        return self._count(OUTDATED)

    @property
    def missing(self) -> int:
        return self._count(MISSING)


@dataclass(frozen=True)
class CatalogStatus:
    lang: str
    path: str
    total: int
    translated: int
    fuzzy: int
    missing: int
    problem: str = ""


@dataclass(frozen=True)
class LangStatus:
    lang: str
    name: str
    docs: tuple[DocStatus, ...]
    catalog: CatalogStatus
    findings: tuple = ()  # check's findings about no document (the catalog)

    def doc(self, doc_id: str) -> DocStatus:
        return next(d for d in self.docs if d.doc == doc_id)

    @property
    def complete(self) -> bool:
        c = self.catalog
        return (all(d.complete for d in self.docs) and not c.problem and c.fuzzy == c.missing == 0
                and not any(f.severity == "error" for f in self.findings))

    def as_json(self) -> dict:
        c = self.catalog
        return {"language": self.lang, "name": self.name, "complete": self.complete,
                "words": {"to_translate": sum(d.to_translate for d in self.docs), "to_review": sum(d.to_review for d in self.docs)},
                "catalog": {"path": c.path, "total": c.total, "translated": c.translated, "fuzzy": c.fuzzy,
                            "missing": c.missing, "problem": c.problem},
                "findings": {"error": sum(d.level("error") for d in self.docs) + sum(f.severity == "error" for f in self.findings),
                             "warning": sum(d.level("warning") for d in self.docs) + sum(f.severity == "warning" for f in self.findings)},
                "documents": [d.as_json() for d in self.docs]}


# -- counting ----------------------------------------------------------------------------------

def doc_status(stamped: dict[str, stamps.Confirmed], lang: str, src: ContentFile, tr: ContentFile | None,
               problem: str = "", findings: tuple = (), built: tuple = ()) -> DocStatus:
    """Each source section (in source order) as current, outdated or missing, as `check` sees it,
    with its units and the findings beside each."""
    translated = stamps.source_texts(tr) if tr else {}
    parts = {su.id: su for su in exchange_units.document_units(src, tr, stamped)}
    placed, loose = exchange_units.findings_by_unit(list(parts.values()), findings)
    sections = []
    for sid, text in stamps.source_texts(src).items():
        su = parts[sid]
        confirmed = stamped.get(sid)
        extra = dict(title=su.title, units=tuple((u, tuple(placed.get(u.key, ()))) for u in su.units),
                     confirmed=(confirmed.at or "") if confirmed else "never")
        if sid not in translated:
            sections.append(SectionStatus(sid, MISSING, text, "", **extra))
        elif stamps.is_current(confirmed, text):
            sections.append(SectionStatus(sid, CURRENT, text, translated[sid], **extra))
        else:
            diff = ""
            if confirmed:  # a section never confirmed has no earlier source to compare with
                diff = stamps.diff(confirmed.source, text)
            sections.append(SectionStatus(sid, OUTDATED, text, translated[sid], diff, **extra))
    return DocStatus(lang, src.doc_id, tuple(sections), problem, str(src.meta.get("title", "")), tuple(findings),
                     tuple(loose), built)


def catalog_status(sources: Sources, lang: str, template_ids: set) -> CatalogStatus:
    """Template strings of one catalog; strings of messages.pot absent from the .po count as missing."""
    project = sources.project
    name = relative(catalogs.po_path(project.locale_dir, lang), project.root)
    catalog = sources.catalogs.get(lang)
    if catalog is None:
        problem = "\n".join(str(u.problem) for u in sources.unreadable if u.code == "catalog" and u.lang == lang)
        return CatalogStatus(lang, name, len(template_ids), 0, 0, len(template_ids), problem)
    msgs = [m for m in catalog if m.id]
    states = [catalogs.state(m) for m in msgs]
    translated, fuzzy = states.count(catalogs.TRANSLATED), states.count(catalogs.FUZZY)
    total = len(msgs) + len(template_ids - {m.id for m in msgs})
    return CatalogStatus(lang, name, total, translated, fuzzy, total - translated - fuzzy)


def collect(root: Path, lang: str = "all", sources: Sources | None = None, built_dir: Path | None = None) -> list[LangStatus]:
    """The status of each selected translation (never the source language itself); `built_dir`:
    where the built HTML and PDF are looked for (root/build)."""
    sources = sources or load(root)
    built_dir = Path(built_dir) if built_dir else Path(root) / "build"
    project = sources.project
    source = project.source_language
    langs = [l for l in project.select_languages(lang) if l != source]
    if not langs:
        others = ", ".join(l for l in project.languages if l != source)
        raise ProjectError(f"{source} is the source language; choose a translation ({others}) or all")
    template_ids = {m.id for m in sources.template if m.id} if sources.template else set()

    def problem(l: str, doc_id: str) -> str:
        if (l, doc_id) in sources.absent:
            return f"{relative(project.content_file(l, doc_id), project.root)}: missing; translate content/{source}/{doc_id}.md into it"
        return "\n".join(str(u.problem) for u in sources.unreadable if u.code == "content" and u.lang == l and u.doc == doc_id)

    from materials.rules.checks import run

    report = run(sources, langs)
    result = []
    for l in langs:
        docs = []
        for doc_id in project.documents:
            src = sources.content(source, doc_id)
            if src is None:  # nothing to measure against: no sections, and say why
                docs.append(DocStatus(l, doc_id, (), problem(source, doc_id)))
                continue
            found = tuple(f for f in report.findings if f.lang == l and f.doc == doc_id)
            built = tuple((kind, f"{l}/{doc_id}.{kind}") for kind in ("html", "pdf") if (built_dir / l / f"{doc_id}.{kind}").is_file())
            docs.append(doc_status(sources.stamps.get((l, doc_id), {}), l, src, sources.content(l, doc_id), problem(l, doc_id),
                                   found, built))
        rest = tuple(f for f in report.findings if f.lang == l and not f.doc)
        result.append(LangStatus(l, project.languages[l].name, tuple(docs), catalog_status(sources, l, template_ids), rest))
    return result


# -- the terminal --------------------------------------------------------------------------------

def print_status(statuses: list[LangStatus], console: Console | None = None) -> None:
    console = console or Console(highlight=False)
    for ls in statuses:
        table = Table(title=f"{ls.name} ({ls.lang})", title_justify="left")
        table.add_column("document")
        for column in ("sections", "current", "outdated", "missing", "words to translate", "to review", "errors", "warnings"):
            table.add_column(column, justify="right")
        for d in ls.docs:
            table.add_row(escape(d.doc), str(d.total), f"[green]{d.current}[/green]",
                          f"[yellow]{d.outdated}[/yellow]" if d.outdated else "0",
                          f"[red]{d.missing}[/red]" if d.missing else "0",
                          str(d.to_translate), str(d.to_review),
                          f"[red]{d.level('error')}[/red]" if d.level("error") else "0", str(d.level("warning")))
        console.print(table)
        for d in ls.docs:  # below the table, so that a long reason does not squeeze its columns
            if d.problem:
                console.print(f"[red]{escape(d.doc)}[/red]: {escape(d.problem)}")
        c = ls.catalog
        console.print(f"catalog {escape(c.path)}: {c.translated}/{c.total} translated, {c.fuzzy} fuzzy, {c.missing} missing"
                      + (f" [red]({escape(c.problem)})[/red]" if c.problem else ""))
        console.print(f"{escape(ls.name)}: " + ("[green]complete[/green]" if ls.complete else "[yellow]not complete[/yellow]"))
        console.print()


# -- HTML: a dashboard and a side-by-side page per document -----------------------------------
# The templates are translators/templates/, not render/templates/: that folder is extracted for
# translation, and these pages are for staff, in English.
TEMPLATES = Path(__file__).resolve().parent / "templates"


def _difflines(diff: str) -> list[list[tuple[str, str]]]:
    """Each line of a word diff as (kind, text) pieces: "del", "add" or "same"."""
    return [stamps.diff_parts(line) for line in diff.split("\n")]


def write_html(statuses: list[LangStatus], out_dir: Path, project) -> Path:
    """Write status.html and status/<lang>/<doc>.html under out_dir; returns the dashboard's path.
    The pages are set in the project's fonts, from assets/fonts/ as the build places them (placed
    here too when no build has)."""
    from materials.render.fonts import font_files
    from materials.rules.review import english_name

    for name, data in font_files().items():
        path = out_dir / "assets" / "fonts" / name
        if not path.is_file() or path.stat().st_size != len(data):
            write_atomic(path, data)
    source_lang = project.source_language
    source = project.languages[source_lang].name
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["difflines"] = _difflines
    css = (TEMPLATES / "status.css").read_text(encoding="utf-8")
    page = env.get_template("status-page.html")
    for ls in statuses:
        for d in ls.docs:
            html = page.render(d=d, name=english_name(ls.lang), source=source, source_lang=source_lang, organisation=project.organisation,
                               css=css.replace("assets/fonts/", "../../assets/fonts/"))
            write_atomic(out_dir / "status" / ls.lang / f"{d.doc}.html", html.encode("utf-8"))
    dashboard = out_dir / "status.html"
    # Written last, so that its links point to pages that exist.
    html = env.get_template("status.html").render(statuses=statuses, source=source, css=css,
                                                  organisation=project.organisation)
    write_atomic(dashboard, html.encode("utf-8"))
    return dashboard


def status(root: Path, lang: str = "all", out_dir: Path | None = None, console: Console | None = None,
           format: str = "text") -> list[LangStatus]:
    """Count, print the table (or JSON on stdout) and write the desk (into root/build unless
    out_dir is given)."""
    import json

    if format not in ("text", "json"):
        raise ProjectError(f"unknown format '{format}'; use text or json")
    started = time.perf_counter()
    root = Path(root).resolve()
    sources = load(root)
    out = Path(out_dir) if out_dir else root / "build"
    statuses = collect(root, lang, sources, out)
    with BuildLock(out):
        dashboard = write_html(statuses, out, sources.project)
    if format == "json":
        print(json.dumps({"complete": all(s.complete for s in statuses), "dashboard": relative(dashboard, root),
                          "languages": [s.as_json() for s in statuses]}, indent=1, ensure_ascii=False))
        return statuses
    console = console or Console(highlight=False)
    print_status(statuses, console)
    console.print(f"dashboard: {escape(relative(dashboard, root))} ({time.perf_counter() - started:.2f} s)")
    return statuses

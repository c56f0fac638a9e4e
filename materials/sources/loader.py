"""One read of every source a command needs, shared by build, pack, check, status, stamp and serve.

`load()` reads the project (content/project.yaml), every language's content files, the
catalogs, the glossary, the word lists, the stamps and the municipality files asked for, each file once, and
collects every problem instead of stopping at the first. Only a broken project.yaml stops the
load: without it nothing else can be read. The rules (materials.rules) judge what was read;
commands refuse on their errors.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from pathlib import Path

from babel.messages.catalog import Catalog

from materials.errors import Problem, ProjectError, relative
from materials.sources import catalogs, stamps
from materials.sources.content import ContentFile, read_content
from materials.sources.acceptances import Acceptance, load_acceptances
from materials.sources.glossary import Glossary, load_glossary
from materials.sources.municipality import MunicipalityFile, list_slugs, load_municipality
from materials.sources.project import Project, load_project
from materials.sources.words import load_words


@dataclass(frozen=True)
class Unreadable:
    """A source that could not be read: what kind, for which language and document, and why."""

    code: str  # content, catalog, glossary, word-list, accepted-file, municipality
    lang: str
    doc: str
    problem: Problem


@dataclass
class Sources:
    """Everything a command works from, read once."""

    root: Path
    project: Project
    contents: dict[tuple[str, str], ContentFile] = field(default_factory=dict)
    absent: set[tuple[str, str]] = field(default_factory=set)  # (lang, doc) with no content file
    extra_files: dict[str, list[str]] = field(default_factory=dict)  # lang -> content files no document names
    template: Catalog | None = None  # locale/messages.pot
    catalogs: dict[str, Catalog] = field(default_factory=dict)  # every translation's messages.po
    glossary: Glossary = field(default_factory=lambda: Glossary((), ()))
    accepted: list[Acceptance] = field(default_factory=list)  # findings translators accepted
    words: dict[str, frozenset[str]] = field(default_factory=dict)  # lang -> the project's own words (locale/words/)
    stamps: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)
    municipalities: dict[str, MunicipalityFile] = field(default_factory=dict)
    unreadable: list[Unreadable] = field(default_factory=list)

    @property
    def source(self) -> str:
        return self.project.source_language

    @property
    def translations(self) -> list[str]:
        return [l for l in self.project.languages if l != self.source]

    def content(self, lang: str, doc_id: str) -> ContentFile | None:
        return self.contents.get((lang, doc_id))

    def problems(self, code: str | None = None) -> list[Problem]:
        return [u.problem for u in self.unreadable if code is None or u.code == code]


def load(root: Path, municipalities: list[str] | None = None, project: Project | None = None,
         after: dt.date | None = None) -> Sources:
    """Read every source under `root`; `municipalities`: the slugs to read as well (an unknown or
    malformed one raises, naming the file: a command that asked for it cannot go on), refusing
    their dates before `after`; `project`: content/project.yaml when the command has read it already."""
    root = Path(root).resolve()
    project = project or load_project(root)
    s = Sources(root, project)
    for lang in project.languages:
        for doc_id in project.documents:
            path = project.content_file(lang, doc_id)
            if not path.exists() and not path.is_symlink():
                s.absent.add((lang, doc_id))
                continue
            try:
                s.contents[lang, doc_id] = read_content(path, root, lang, doc_id)
            except ProjectError as exc:
                s.unreadable += [Unreadable("content", lang, doc_id, p) for p in exc.problems]
        folder = project.content_dir / lang
        if folder.is_dir():
            s.extra_files[lang] = [relative(p, root) for p in sorted(folder.glob("*.md")) if p.stem not in project.documents]
        if lang != project.source_language:
            s.stamps.update({(lang, d): stamps.load(root, lang, d) for d in project.documents})
    try:
        s.template = catalogs.read_catalog(catalogs.pot_path(project.locale_dir), root)
    except ProjectError as exc:
        s.unreadable += [Unreadable("catalog", "", "", p) for p in exc.problems]
    for lang in s.translations:
        try:
            s.catalogs[lang] = catalogs.read_catalog(catalogs.po_path(project.locale_dir, lang), root,
                                                     project.languages[lang].locale)
        except ProjectError as exc:
            s.unreadable += [Unreadable("catalog", lang, "", p) for p in exc.problems]
    try:
        s.glossary = load_glossary(root)
        s.project = replace(project, names=s.glossary.names)
    except ProjectError as exc:
        s.unreadable += [Unreadable("glossary", "", "", p) for p in exc.problems]
    for lang in s.translations:
        try:
            s.words[lang] = load_words(root, lang)
        except ProjectError as exc:
            s.unreadable += [Unreadable("word-list", lang, "", p) for p in exc.problems]
    try:
        s.accepted = load_acceptances(root)
    except ProjectError as exc:
        s.unreadable += [Unreadable("accepted-file", "", "", p) for p in exc.problems]
    if municipalities:
        problems = []
        for slug in municipalities:
            try:
                s.municipalities[slug] = load_municipality(project, slug, after)
            except ProjectError as exc:
                problems += exc.problems
        if problems:
            raise ProjectError(problems)
    return s


def every_municipality(root: Path) -> list[str]:
    slugs = list_slugs(Path(root))
    if not slugs:
        raise ProjectError("no municipality files in municipalities/")
    return slugs

"""`invoke build`: one linear function of named stages.

load project -> load catalogs and content (every problem collected) -> render HTML
-> render PDF (worker pool) -> write (atomic) -> manifest last.
Nothing is written until everything has loaded and rendered, so bad input leaves build/ as it was.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from materials.sources import catalogs
from materials.sources.content import ContentFile, read_content
from materials.errors import Problem, ProjectError
from materials.render.fonts import font_files
from materials.build.keys import Inputs
from materials.output import BuildLock, Entry, Output
from materials.render.pdf import PdfJob, PdfRenderer, pdf_stylesheet, readable_roots
from materials.sources.project import Project, load_project
from materials.render.html import Page, Renderer
from materials.render.typography import for_print


@dataclass
class BuildResult:
    outputs: list[Entry] = field(default_factory=list)
    written: list[str] = field(default_factory=list)
    seconds: float = 0.0


def load(project: Project, langs: list[str], draft: bool = False):
    """Stage 1: every language's catalog and every content file, all problems reported at once.

    A translation must have every section of the source. In a draft build, the missing ones
    are taken from the source and the page is marked; returns (renderers, contents, fallbacks).
    """
    problems, renderers, contents = [], {}, {}
    fallbacks: set[tuple[str, str]] = set()
    source = project.source_language
    for lang in dict.fromkeys([source, *langs]):
        language = project.languages[lang]
        if lang in langs:
            try:
                tr = catalogs.translations(project.root, lang, language.locale, language.source, draft)
                renderers[lang] = Renderer(project, lang, tr)
            except ProjectError as exc:
                problems += exc.problems
        for doc_id in project.documents:
            try:
                contents[lang, doc_id] = read_content(project.content_file(lang, doc_id), project.root, lang, doc_id)
            except ProjectError as exc:
                problems += exc.problems
    for lang in langs:
        for doc_id in project.documents:
            src, tr = contents.get((source, doc_id)), contents.get((lang, doc_id))
            if lang == source or src is None or tr is None:
                continue
            missing = [s.id for s in src.sections if tr.section(s.id) is None]
            if missing and not draft:
                problems.append(Problem(tr.name, f"not yet translated: section(s) {', '.join(missing)} of {src.name}; "
                                        "translate them, or build with --draft to show the English in their place"))
            elif missing:
                contents[lang, doc_id] = with_fallback(tr, src)
                fallbacks.add((lang, doc_id))
    if problems:
        raise ProjectError(problems)
    return renderers, contents, fallbacks


def with_fallback(tr: ContentFile, src: ContentFile) -> ContentFile:
    """The translation, with the source's sections where the translation has none (source order)."""
    sections = tuple(tr.section(s.id) or s for s in src.sections)
    meta = {**src.meta, **tr.meta}
    return ContentFile(tr.lang, tr.doc_id, tr.path, tr.name, meta, sections)


def render_html(project: Project, renderers: dict[str, Renderer], contents, wanted, fallbacks=frozenset()) -> list[Page]:
    """Stage 2: the wanted (language, document or "index") pages; a document's HTML also feeds its PDF."""
    pages, problems = [], []
    for lang, doc_id in wanted:
        try:
            if doc_id == "index":
                entries = [(project.documents[d], contents[lang, d]) for d in project.documents]
                pages.append(renderers[lang].index(entries))
            else:
                pages.append(renderers[lang].document(project.documents[doc_id], contents[lang, doc_id],
                                                      untranslated=(lang, doc_id) in fallbacks))
        except ProjectError as exc:
            problems += exc.problems
    if problems:
        raise ProjectError(problems)
    return pages


def build(root: Path, build_dir: Path | None = None, lang: str = "all", doc: str | None = None,
          jobs: int | None = None, on_pdf=None, on_start=None, draft: bool = False) -> BuildResult:
    """Build the selected languages and documents into `build_dir` (default: <root>/build).

    Only outputs whose inputs changed (or that are missing) are rendered; see incremental.py.
    """
    started = time.perf_counter()
    root = Path(root).resolve()
    build_dir = Path(build_dir) if build_dir else root / "build"
    project = load_project(root)
    langs = project.select_languages(lang)
    doc_ids = project.select_documents(doc)
    with BuildLock(build_dir):
        return _build(project, Output(build_dir), langs, doc_ids, jobs, on_pdf, on_start, started, draft)


def _build(project: Project, out: Output, langs, doc_ids, jobs, on_pdf, on_start, started, draft) -> BuildResult:
    # Plan: which outputs are stale. A rebuild with nothing changed stops here.
    inputs = Inputs(project, draft)
    stale: dict[tuple[str, str], str] = {}  # (lang, doc or "index") -> key
    for l in langs:
        for d in doc_ids:
            key = inputs.document_key(l, d)
            if not (out.fresh(f"{l}/{d}.html", key) and out.fresh(f"{l}/{d}.pdf", key)):
                stale[l, d] = key
        key = inputs.index_key(l)
        if not out.fresh(f"{l}/index.html", key):
            stale[l, "index"] = key
    result = BuildResult()
    if stale:
        render(project, out, stale, result, jobs, on_pdf, on_start, draft)
    out.write_if_changed("index.html", root_index(project).encode("utf-8"))
    result.outputs = out.write_manifest()
    result.seconds = time.perf_counter() - started
    return result


def render(project: Project, out: Output, stale: dict, result: BuildResult, jobs, on_pdf, on_start, draft) -> None:
    """Load, render and write the stale outputs: HTML first, PDFs from the same HTML, in a pool."""
    langs = sorted({l for l, _ in stale})
    documents = sum(1 for _, d in stale if d != "index")
    with PdfRenderer(min(jobs or os.cpu_count() or 1, max(documents, 1))) as pdf_renderer:
        if documents:
            pdf_renderer.start()  # the workers load WeasyPrint while the HTML is rendered
        _render(project, out, stale, result, on_pdf, on_start, draft, langs, pdf_renderer)


def _render(project, out, stale, result, on_pdf, on_start, draft, langs, pdf_renderer) -> None:
    renderers, contents, fallbacks = load(project, langs, draft)
    pages = render_html(project, renderers, contents, [(l, d) for l, d in stale], fallbacks)
    # The PDF's stylesheet loads fonts from build/assets, so they are in place before rendering.
    for name, data in font_files().items():
        out.write_if_changed(f"assets/fonts/{name}", data)
    jobs_list = [pdf_job(project, out.dir, p.lang, p.doc_id, p.html) for p in pages if p.kind != "index"]
    if on_start:
        on_start(len(jobs_list))
    pdfs = pdf_renderer.render(jobs_list, on_pdf)
    for page in pages:
        key = stale[page.lang, page.doc_id]
        rel = f"{page.lang}/{page.doc_id}.html"
        is_doc = page.kind != "index"
        out.write(rel, page.html.encode("utf-8"), key=key, lang=page.lang, doc=page.doc_id if is_doc else "",
                  kind=page.kind, format="html")
        result.written.append(rel)  # rendered; write() leaves identical bytes untouched
        if is_doc:
            pdf_rel = f"{page.lang}/{page.doc_id}.pdf"
            out.write(pdf_rel, pdfs[pdf_rel], key=key, lang=page.lang, doc=page.doc_id, kind=page.kind, format="pdf")
            result.written.append(pdf_rel)


def pdf_job(project: Project, build_dir: Path, lang: str, doc_id: str, html: str) -> PdfJob:
    """A document's PDF, from the same HTML as its page (hyphenated for print)."""
    return PdfJob(f"{lang}/{doc_id}.pdf", for_print(html, lang), (build_dir / lang).resolve().as_uri() + "/",
                  readable_roots(project, build_dir), f"content/{lang}/{doc_id}.md", pdf_stylesheet(project))


def root_index(project: Project) -> str:
    """build/index.html: a plain page pointing to each language's index."""
    links = "\n".join(
        f'<li><a href="{code}/index.html" hreflang="{code}" lang="{code}">{lang.name}</a></li>'
        for code, lang in project.languages.items()
    )
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{project.organisation}</title>\n</head>\n<body>\n<main>\n<h1>{project.organisation}</h1>\n"
        f"<ul>\n{links}\n</ul>\n</main>\n</body>\n</html>\n"
    )

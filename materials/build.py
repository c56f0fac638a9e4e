"""`invoke build`: one linear function of named stages.

load project -> load catalogs and content (every problem collected) -> render HTML
-> render PDF (worker pool) -> write (atomic) -> manifest last.
Nothing is written until everything has loaded and rendered, so bad input leaves build/ as it was.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from . import catalogs
from .content import ContentFile, read_content
from .errors import ProjectError
from .output import Entry, Output
from .pdf import PdfJob, render_all
from .project import Project, load_project
from .render import Page, Renderer

FONT_PACKAGES = {"font_source_sans_pro": "SourceSansPro", "font_source_serif_pro": "SourceSerifPro"}


@dataclass
class BuildResult:
    outputs: list[Entry] = field(default_factory=list)
    written: list[str] = field(default_factory=list)
    seconds: float = 0.0


def font_files() -> dict[str, bytes]:
    """The TTF fonts the stylesheet names, from the font packages installed with the project."""
    import importlib.util

    fonts = {}
    for package, family in FONT_PACKAGES.items():
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            raise ProjectError(f"font package {package} is not installed; run `pip install -e .`")
        folder = Path(list(spec.submodule_search_locations)[0]) / "files"
        for weight in ("Regular", "It", "Semibold", "Bold"):
            name = f"{family}-{weight}.ttf"
            fonts[name] = (folder / name).read_bytes()
    return fonts


def load(project: Project, langs: list[str]) -> tuple[dict[str, Renderer], dict[tuple[str, str], ContentFile]]:
    """Stage 1: every language's catalog and every content file, all problems reported at once."""
    problems, renderers, contents = [], {}, {}
    for lang in langs:
        language = project.languages[lang]
        try:
            tr = catalogs.translations(project.root, lang, language.locale, language.source)
            renderers[lang] = Renderer(project, lang, tr)
        except ProjectError as exc:
            problems += exc.problems
        for doc_id in project.documents:
            try:
                contents[lang, doc_id] = read_content(project.content_file(lang, doc_id), project.root, lang, doc_id)
            except ProjectError as exc:
                problems += exc.problems
    if problems:
        raise ProjectError(problems)
    return renderers, contents


def render_html(project: Project, renderers: dict[str, Renderer], contents, langs, doc_ids) -> list[Page]:
    """Stage 2: each document's HTML page (it also feeds the PDF), and each language's index."""
    pages, problems = [], []
    for lang in langs:
        for doc_id in doc_ids:
            try:
                pages.append(renderers[lang].document(project.documents[doc_id], contents[lang, doc_id]))
            except ProjectError as exc:
                problems += exc.problems
        entries = [(project.documents[d], contents[lang, d]) for d in project.documents]
        try:
            pages.append(renderers[lang].index(entries))
        except ProjectError as exc:
            problems += exc.problems
    if problems:
        raise ProjectError(problems)
    return pages


def build(root: Path, build_dir: Path | None = None, lang: str = "all", doc: str | None = None,
          jobs: int | None = None, on_pdf=None, on_start=None) -> BuildResult:
    """Build the selected languages and documents into `build_dir` (default: <root>/build)."""
    started = time.perf_counter()
    root = Path(root).resolve()
    out = Output(Path(build_dir) if build_dir else root / "build")
    project = load_project(root)
    langs = project.select_languages(lang)
    doc_ids = project.select_documents(doc)

    renderers, contents = load(project, langs)
    pages = render_html(project, renderers, contents, langs, doc_ids)
    fonts = font_files()

    jobs_list = [
        PdfJob(f"{p.lang}/{p.doc_id}.pdf", p.html, (out.dir / p.lang).resolve().as_uri() + "/")
        for p in pages if p.kind != "index"
    ]
    # The PDF's stylesheet loads fonts from build/assets, so they are in place before rendering.
    for name, data in fonts.items():
        out.write_if_changed(f"assets/fonts/{name}", data)
    if on_start:
        on_start(len(jobs_list))
    pdfs = render_all(jobs_list, jobs, on_pdf)

    result = BuildResult()
    for page in pages:
        rel = f"{page.lang}/{page.doc_id}.html"
        out.write(rel, page.html.encode("utf-8"), lang=page.lang, doc=page.doc_id if page.kind != "index" else "",
                  kind=page.kind, format="html")
        result.written.append(rel)
        pdf_rel = f"{page.lang}/{page.doc_id}.pdf"
        if pdf_rel in pdfs:
            out.write(pdf_rel, pdfs[pdf_rel], lang=page.lang, doc=page.doc_id, kind=page.kind, format="pdf")
            result.written.append(pdf_rel)
    out.write("index.html", root_index(project).encode("utf-8"))
    result.outputs = out.write_manifest()
    result.seconds = time.perf_counter() - started
    return result


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

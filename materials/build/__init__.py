"""`invoke build`: one linear function of named stages.

plan (what is stale) -> load every source -> render HTML, each page's PDF handed to a worker
pool (started first) as soon as its HTML is made -> judge the sources by the rules while the
PDFs render (errors stop here, and the PDFs are dropped) -> write -> manifest last.

Nothing is written until every stale output has rendered, so bad input leaves build/ as it
was. The outputs are then staged beside their targets and renamed into place together, the
manifest last (output.py): a build that fails while writing (a full disk) leaves build/ as it
was, and one killed during the renames leaves every file whole and listed truthfully; the next
build redoes the rest. The PDFs read the pinned fonts from their packages (pdf.py), so nothing
is placed in build/ before the rules have passed.
"""

from __future__ import annotations

import json
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from typing import TYPE_CHECKING, Iterator

from materials.build.keys import Inputs, digest
from materials.output import BuildLock, Entry, Output, read_state
from materials.sources.outline import Outline

if TYPE_CHECKING:  # the later stages are imported when there is something to render, so a
    # rebuild with nothing to do reads project.yaml and the keys only (no Jinja2, no WeasyPrint)
    from materials.render.html import Page, Renderer
    from materials.render.pdf import PdfJob, PdfRenderer
    from materials.sources.content import ContentFile
    from materials.sources.loader import Sources
    from materials.sources.project import Project


@dataclass(frozen=True)
class Request:
    """What the user asked for; every stage sees the same request."""

    langs: tuple[str, ...]
    docs: tuple[str, ...]
    draft: bool = False  # unfinished translations shown with the English in their place, marked


@dataclass
class BuildResult:
    outputs: list[Entry] = field(default_factory=list)
    written: list[str] = field(default_factory=list)
    seconds: float = 0.0


def build(root: Path, build_dir: Path | None = None, lang: str = "all", doc: str | None = None,
          jobs: int | None = None, on_pdf=None, on_start=None, draft: bool = False,
          pdfs: PdfRenderer | None = None) -> BuildResult:
    """Build the selected languages and documents into `build_dir` (default: <root>/build).

    Only outputs whose inputs changed, or whose file is missing or damaged, are rendered (keys.py).
    `pdfs`: a renderer that outlives this build (invoke serve's); else one for this build only.
    """
    started = time.perf_counter()
    root = Path(root).resolve()
    build_dir = Path(build_dir) if build_dir else root / "build"
    result = BuildResult()
    with BuildLock(build_dir), Output(build_dir) as out, ExitStack() as stack:
        # 1. Plan: which outputs are stale. A rebuild with nothing changed stops here: it plans
        #    from the outline of project.yaml that the last build kept (when the file has not
        #    changed since), reads no content and imports neither pydantic nor WeasyPrint.
        outline = kept_outline(root, out)
        renderer = pdfs
        if outline is None and pdfs is None:
            # No outline kept: a first build, or project.yaml changed, so nearly always PDFs to
            # render. The workers start now and import WeasyPrint while project.yaml is read.
            from materials.render.pdf import PdfRenderer
            renderer = stack.enter_context(PdfRenderer(jobs)).start()
        project = outline or _load_project(root)
        request = Request(tuple(project.select_languages(lang)), tuple(project.select_documents(doc)), draft)
        stale = plan(project, out, request)
        if stale:
            from materials.render.fonts import font_files
            from materials.render.pdf import PdfRenderer, collect
            from materials.rules.checks import gate, run as run_rules
            from materials.sources.loader import load
            if outline is not None:  # something to render: the whole project, validated
                project = _load_project(root)
            own = pdfs is None
            renderer = renderer or stack.enter_context(PdfRenderer(jobs))
            futures: list = []
            try:
                if sum(d != "index" for _, d in stale):
                    renderer.start()  # the workers import WeasyPrint while the sources load and the HTML renders
                if on_start:
                    on_start(sum(d != "index" for _, d in stale))
                # 2. Load every source once.
                sources = load(root, project=project)
                # 3. HTML, for every stale page, each document's PDF handed to the workers as soon
                #    as its HTML is made (the longest first, so no core is left alone with one at
                #    the end): they render while the rules judge the sources.
                pages, failed = [], None
                try:
                    for page in html_pages(sources, request, by_length(sources, list(stale))):
                        pages.append(page)
                        if page.kind != "index":
                            futures += renderer.submit([pdf_job(project, out.dir, page.lang, page.doc_id, page.html)])
                except Exception as exc:  # a source the rules refuse may not render: they speak first
                    failed = exc
                # 4. Judge the sources: an error stops the build here, and the PDFs are dropped;
                #    the rules' findings come before an error the HTML ran into.
                gate(run_rules(sources, list(request.langs)), request.draft)
                if failed:
                    raise failed
                pdf_bytes = collect(futures, on_pdf)
            except BaseException:
                for future in futures:
                    future.cancel()
                raise
            finally:
                if own:
                    renderer.__exit__(None, None, None)
            for name, data in font_files().items():  # the fonts the HTML pages load
                out.place(f"assets/fonts/{name}", data)
            # 5. Write: each output atomically, with its key.
            for page in pages:
                key = stale[page.lang, page.doc_id]
                is_doc = page.kind != "index"
                meta = {"key": key, "lang": page.lang, "doc": page.doc_id if is_doc else "", "kind": page.kind}
                out.write(f"{page.lang}/{page.doc_id}.html", page.html.encode("utf-8"), format="html", **meta)
                result.written.append(f"{page.lang}/{page.doc_id}.html")  # rendered; identical bytes stay untouched
                if is_doc:
                    out.write(f"{page.lang}/{page.doc_id}.pdf", pdf_bytes[f"{page.lang}/{page.doc_id}.pdf"], format="pdf", **meta)
                    result.written.append(f"{page.lang}/{page.doc_id}.pdf")
        if project is not outline:  # read from project.yaml this time: keep what the next no-op plans from
            out.write_if_changed("index.html", landing_page(project).encode("utf-8"))
            out.write_if_changed(OUTLINE, json.dumps({"project.yaml": digest(root / "content" / "project.yaml"),
                                                      **project.as_json()}).encode())  # in project.yaml's order
        # 6. The manifest, last.
        result.outputs = out.write_manifest()
    result.seconds = time.perf_counter() - started
    return result


OUTLINE = ".state/outline.json"


def _load_project(root: Path) -> Project:
    from materials.sources.project import load_project

    return load_project(root)


def kept_outline(root: Path, out: Output) -> Outline | None:
    """The outline the last build kept, if project.yaml is still the file it was made from."""
    try:
        data = json.loads(read_state(out.dir / OUTLINE) or b"{}")
        if data.get("project.yaml") == digest(root / "content" / "project.yaml"):
            return Outline.from_json(root, data)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        pass
    return None


def plan(project: Outline, out: Output, request: Request) -> dict[tuple[str, str], str]:
    """(lang, doc or "index") -> key, for each output that is missing, made from other inputs,
    or no longer the bytes the manifest lists."""
    inputs = Inputs(project, request.draft)
    stale: dict[tuple[str, str], str] = {}
    for l in request.langs:
        for d in request.docs:
            key = inputs.document_key(l, d)
            if not (out.fresh(f"{l}/{d}.html", key, listed=True) and out.fresh(f"{l}/{d}.pdf", key, listed=True)):
                stale[l, d] = key
        key = inputs.index_key(l)
        if not out.fresh(f"{l}/index.html", key):
            stale[l, "index"] = key
    return stale


def contents_of(sources: Sources, lang: str, draft: bool) -> tuple[dict[str, ContentFile], set[str]]:

    """A language's documents as a page shows them: in a draft, the source's sections (or the
    whole source document) stand in for what the translation lacks. Returns (contents, the ids
    of the documents that borrowed from the source)."""
    contents, borrowed = {}, set()
    for doc_id in sources.project.documents:
        src, tr = sources.content(sources.source, doc_id), sources.content(lang, doc_id)
        if lang == sources.source or not draft:
            contents[doc_id] = tr
            continue
        merged = with_fallback(tr, src) if tr is not None else src
        if merged is not tr:
            borrowed.add(doc_id)
        contents[doc_id] = merged
    return contents, borrowed


def with_fallback(tr: ContentFile, src: ContentFile) -> ContentFile:
    """The translation, with the source's sections where the translation has none (source order)."""
    from materials.sources.content import ContentFile

    if all(tr.section(s.id) is not None for s in src.sections) and src.meta.keys() <= tr.meta.keys():
        return tr
    sections = tuple(tr.section(s.id) or s for s in src.sections)
    return ContentFile(tr.lang, tr.doc_id, tr.path, tr.name, {**src.meta, **tr.meta}, sections)


def renderer_for(sources: Sources, lang: str, **options) -> Renderer:
    """A language's renderer: its templates speak its compiled catalog."""
    from materials.render.html import Renderer
    from materials.sources import catalogs

    return Renderer(sources.project, lang, catalogs.compiled(sources.catalogs.get(lang)), **options)


def render_html(sources: Sources, request: Request, wanted: list[tuple[str, str]]) -> list[Page]:
    """The wanted (language, document or "index") pages."""
    return list(html_pages(sources, request, wanted))


def html_pages(sources: Sources, request: Request, wanted: list[tuple[str, str]]) -> Iterator[Page]:
    """The wanted pages, one by one, in the order asked."""
    project, renderers, contents = sources.project, {}, {}
    for lang, doc_id in wanted:
        if lang not in request.langs:
            continue
        if lang not in renderers:
            renderers[lang], contents[lang] = renderer_for(sources, lang), contents_of(sources, lang, request.draft)
        renderer, (texts, borrowed) = renderers[lang], contents[lang]
        if doc_id == "index":
            yield renderer.index([(project.documents[d], texts[d]) for d in project.documents])
        else:
            yield renderer.document(project.documents[doc_id], texts[doc_id], untranslated=doc_id in borrowed)


def by_length(sources: Sources, wanted: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The pages, the longest document first (its PDF takes longest); indexes last."""
    def length(item):
        lang, doc_id = item
        content = sources.content(lang, doc_id) if doc_id != "index" else None
        content = content or (sources.content(sources.source, doc_id) if doc_id != "index" else None)
        return -sum(len(s.body) for s in content.sections) if content else 0

    return sorted(wanted, key=length)


def pdf_job(project: Project, build_dir: Path, lang: str, doc_id: str, html: str, key: str | None = None,
            base: Path | None = None, personal: bool = False) -> PdfJob:
    """A document's PDF, from the same HTML as its page (hyphenated for print); `key`: its name
    in the results (default: its path under build/); `base`: the folder its page sits in, where
    its assets/ resolve (default: build/<lang>/); `personal`: one of a pack's own documents."""
    from materials.render.pdf import PdfJob, pdf_stylesheet, readable_roots
    from materials.render.typography import for_print

    return PdfJob(key or f"{lang}/{doc_id}.pdf", for_print(html, lang), Path(base or Path(build_dir) / lang).resolve().as_uri() + "/",
                  readable_roots(project, build_dir), f"content/{lang}/{doc_id}.md", pdf_stylesheet(project), personal)


def landing_page(project: Project) -> str:
    """build/index.html: a page pointing to each language's index (an autoescaped template, so
    an organisation's name is text, whatever it holds)."""
    import jinja2

    from materials.render.html import TemplateFiles
    from materials.sources.outline import PACKAGE_TEMPLATES

    loader = jinja2.ChoiceLoader([TemplateFiles(project, project.templates_dir), TemplateFiles(project, PACKAGE_TEMPLATES)])
    env = jinja2.Environment(loader=loader, autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True,
                             lstrip_blocks=True, keep_trailing_newline=True)
    return env.get_template("landing.html").render(
        organisation=project.organisation, languages=[(code, l.name) for code, l in project.languages.items()])

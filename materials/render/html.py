"""HTML rendering: content (Jinja2 in a sandbox, then Markdown) joined with the shared templates.

One `Renderer` per language: its templates speak that language's catalog and its filters
format for that language's locale. The HTML it returns serves both the HTML output and the PDF.
"""

from __future__ import annotations

import base64
import os
import re
from dataclasses import dataclass
from pathlib import Path

import jinja2
import markdown
from markupsafe import Markup

from materials.sources.files import checked, read_text
from materials.sources.content import INTRO, ContentFile, Section, notes_line, split_notes
from materials.sources.images import IMAGE, BadImage, read_image
from materials.render.context import document_context
from materials.sources.catalogs import N_
from materials.sources.municipality import Municipality
from materials.errors import Problem, ProjectError, relative
from materials.render.formatting import Formatter
from materials.render.policy import ContentPolicy, ContentSandbox, Refused, TooLarge
from materials.render import diagrams
from materials.render.sheets import Boxes
from materials.sources.project import Document, Project
from materials.render.typography import email, mark_names, nbsp, smarty_substitutions, text_nodes

MARKDOWN_EXTENSIONS = ["attr_list", "tables", "sane_lists"]
CONVERTED = 4096  # Markdown texts a renderer keeps converted
# Where a content text holds an expression, a statement or a comment (content's Jinja delimiters);
# a text without any renders as itself, and is not compiled.
EXPRESSION = re.compile(r"\{\{|\{%|\{##|\r")
KIND_NAMES = {
    "programme": N_("Programme"),
    "agenda": N_("Agenda"),
    "handout": N_("Slide handout"),
    "invitation": N_("Invitation"),
    "workbook": N_("Workbook"),
}
KIND_GROUPS = {
    "programme": N_("Programme"),
    "agenda": N_("Agendas"),
    "handout": N_("Slide handouts"),
    "invitation": N_("Invitations"),
    "workbook": N_("Workbooks"),
}
GROUP_LABEL = N_("Group %(number)s")
# Translators: the mark on every page of a pack built with --draft.
DRAFT_LABEL = N_("Draft: not for distribution")
# Translators: the mark on a page where untranslated sections are shown in English (build --draft).
UNTRANSLATED_LABEL = N_("Draft: not yet translated")
# Translators: the running footer of every PDF page; keep both placeholders.
PAGE_LABEL = N_("Page %(page)s of %(pages)s")


# What `{{ diagram('five-roles') }}` leaves in the Markdown: a mark no keyboard types (private-use
# characters), replaced by the SVG once the Markdown is HTML (Renderer._diagrams).
DIAGRAM_OPEN, DIAGRAM_CLOSE = "\ue000", "\ue001"
DIAGRAM_PARAGRAPH = re.compile(f"<p>{DIAGRAM_OPEN}diagram:([a-z-]+){DIAGRAM_CLOSE}</p>")


def diagram_mark(name) -> str:
    """Content's `diagram(name)`: the mark of a known diagram (an unknown one is an error at its line)."""
    if not isinstance(name, str) or name not in diagrams.DIAGRAMS:
        raise ValueError(f"unknown diagram {name!r}; the diagrams are: {', '.join(diagrams.names())}")
    return f"{DIAGRAM_OPEN}diagram:{name}{DIAGRAM_CLOSE}"


SLIDES_PER_PAGE = 3  # a handout's page: three slides, each with its notes beside it (style.css)


def slide_pages(count: int, per_page: int = SLIDES_PER_PAGE) -> list[int]:
    """How many slides each page of a handout holds: `per_page`, except that a last page would
    never hold a slide alone (13 slides: 3, 3, 3, 2, 2), which reads as one left over."""
    pages = [per_page] * (count // per_page) + ([count % per_page] if count % per_page else [])
    if len(pages) > 1 and pages[-1] == 1 and per_page > 2:
        pages[-2:] = [per_page - 1, 2]
    return pages


def slide_page_numbers(count: int) -> list[int]:
    """The page each slide of a handout stands on, as its list of slides gives it: page 1 is
    the title page, the slides fill the pages after it by slide_pages. The PDF's layout checks
    each (fit.listed_pages) and sets the true page where the first page ran long."""
    return [page for page, n in enumerate(slide_pages(count), 2) for _ in range(n)]


@dataclass(frozen=True)
class RenderedSection:
    id: str
    title: Markup
    html: Markup
    notes: Markup | None = None


@dataclass(frozen=True)
class Page:
    """A rendered HTML page and what the writer needs to know about it."""

    lang: str
    doc_id: str
    kind: str
    title: str
    html: str


def css_string(text: str) -> str:
    """`text` as a quoted CSS string."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\a ") + '"'


def page_label_css(label: str) -> Markup:
    """'Page %(page)s of %(pages)s' -> a CSS `content` value with the page counters."""
    parts = re.split(r"(%\((?:page|pages)\)s)", label)
    out = []
    for part in parts:
        if part == "%(page)s":
            out.append("counter(page)")
        elif part == "%(pages)s":
            out.append("counter(pages)")
        elif part:
            out.append(css_string(part))
    return Markup(" ".join(out))


def _template_where(exc: BaseException) -> tuple[str | None, int | None]:
    """The template file and line an error came from, read from Jinja's rewritten traceback."""
    filename, line, tb = None, None, exc.__traceback__
    while tb is not None:
        name = tb.tb_frame.f_code.co_filename
        if name == "<template>" or name.endswith(".html"):
            filename, line = (name if name.endswith(".html") else filename), tb.tb_lineno
        tb = tb.tb_next
    return filename, line



TEMPLATE_BYTES = 1_000_000  # a template or stylesheet is a few kilobytes


def project_file(project: Project, path: Path) -> str:
    """A project or package file as the user knows it: templates/base.html, materials/render/...
    (by the name it has there, even when it is a link to elsewhere)."""
    path = Path(os.path.abspath(path))
    package = Path(__file__).resolve().parent.parent.parent
    for base in (project.root, project.root.resolve(), package):
        if path.is_relative_to(base):
            return relative(path, base)
    return relative(path.resolve(), package)


class TemplateFiles(jinja2.FileSystemLoader):
    """Templates from a folder, each checked as every input is (a regular file inside the folder,
    of a sane size) before Jinja reads it."""

    def __init__(self, project: Project, folder: Path):
        super().__init__(folder)
        self.project, self.folder = project, Path(folder)

    def get_source(self, environment, template):
        path = self.folder.joinpath(*jinja2.loaders.split_template_path(template))
        if path.exists() or path.is_symlink():
            checked(path, project_file(self.project, path), TEMPLATE_BYTES, inside=self.folder)
        return super().get_source(environment, template)


def stylesheet(project: Project, name: str) -> str:
    """static/<name> (style.css, pdf.css), checked before it is read; "" when there is none."""
    path = project.static_dir / name
    try:
        return read_text(path, project_file(project, path), TEMPLATE_BYTES, inside=project.static_dir)
    except FileNotFoundError:
        return ""


def municipality_names(municipality: Municipality | None) -> tuple[str, ...]:
    """The names a municipality's pages show: its own, its contact's, its venues'."""
    if municipality is None:
        return ()
    venues = [place.venue for place in municipality.places.values()]
    return tuple(n for n in (municipality.name, municipality.contact.get("name", ""), *venues) if n)


class Renderer:
    """Renders one language's documents to HTML pages."""

    def __init__(self, project: Project, lang: str, translations, locale: str | None = None,
                 pack: bool = False, draft: bool = False):
        """`pack`: pages for a municipality's pack (one language, assets beside the pages);
        `draft`: every page carries a visible draft mark."""
        self.project = project
        self.lang = lang
        self.language = project.languages[lang]
        self.pack = pack
        self.draft = draft
        self.fmt = Formatter(locale or self.language.locale)
        self.gettext = translations.ugettext if hasattr(translations, "ugettext") else translations.gettext
        self.templates = jinja2.Environment(
            loader=TemplateFiles(project, project.templates_dir),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            extensions=["jinja2.ext.i18n"],
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.templates.install_gettext_translations(translations, newstyle=True)
        self.templates.filters.update(self.fmt.filters(), email=email)
        # Content is trusted to staff but still sandboxed: no attribute tricks, and values from
        # data files are HTML-escaped when they enter the Markdown.
        # `{#id}` on headings is attr_list syntax, so Jinja comments in content are `{##  ##}`.
        self.content_env = ContentSandbox(undefined=jinja2.StrictUndefined, autoescape=True,
                                                comment_start_string="{##", comment_end_string="##}")
        self.content_env.add_filters(self.fmt.filters())
        self.content_env.globals["diagram"] = diagram_mark
        self._compiled: dict[str, jinja2.Template] = {}  # content sections, compiled once per renderer
        self._converted: dict[str, Markup] = {}  # Markdown converted, by its text (at most CONVERTED)
        self.markdown = markdown.Markdown(
            extensions=MARKDOWN_EXTENSIONS + ["smarty", ContentPolicy(), Boxes()], output_format="html",
            extension_configs={"smarty": {"substitutions": smarty_substitutions(tuple(self.language.quotes))}})
        # Policy: content is Markdown only. Raw HTML in it is shown as text, never interpreted,
        # so content cannot add scripts, styles or references to outside resources.
        self.markdown.preprocessors.deregister("html_block")
        self.markdown.inlinePatterns.deregister("html")
        css = stylesheet(project, "style.css")
        # In a pack the pages sit beside assets/; in build/ they sit in build/<lang>/.
        self.css = css.replace("../assets/", "assets/") if pack else css

    # -- content ---------------------------------------------------------------------------
    def _jinja(self, text: str, variables: dict, content: ContentFile, line: int) -> str:
        """A content text's expressions evaluated; `line`: the text's first line in the file."""
        def at(exc: BaseException) -> int:
            rel = _template_where(exc)[1]
            return line + rel - 1 if rel else line

        if not EXPRESSION.search(text):  # as Jinja would give it: without one trailing newline
            return text[:-1] if text.endswith("\n") else text
        try:
            template = self._compiled.get(text)
            if template is None:
                template = self._compiled[text] = self.content_env.from_string(text)
            return self.content_env.render(template, variables)
        except jinja2.TemplateSyntaxError as exc:
            raise ProjectError(Problem(content.name, f"template error: {exc.message}", line + (exc.lineno or 1) - 1))
        except jinja2.UndefinedError as exc:
            raise ProjectError(Problem(content.name, f"unknown value: {exc.message}; see docs/writing-content.md "
                                                     "for the values content may use", at(exc)))
        except TooLarge as exc:
            raise ProjectError(Problem(content.name, f"expression too large: {exc}", at(exc)))
        except (MemoryError, RecursionError) as exc:
            raise ProjectError(Problem(content.name, "expression too large: it needs more memory or depth "
                                                     "than a document may", at(exc)))
        except jinja2.TemplateError as exc:
            raise ProjectError(Problem(content.name, f"template error: {exc}", at(exc)))
        except (TypeError, ValueError, ArithmeticError) as exc:
            raise ProjectError(Problem(content.name, f"cannot evaluate an expression: {exc}", at(exc)))

    def _markdown(self, text: str, content: ContentFile | None = None, line: int = 1) -> Markup:
        """Markdown to HTML, under the content policy: a link or attribute it refuses is an error
        at the first line of `text` that holds it."""
        html = self._converted.get(text)
        if html is not None:  # a pack run converts the same sections for every municipality
            return html
        if len(self._converted) >= CONVERTED:
            self._converted.clear()  # texts that name a municipality differ in every pack: memory stays flat
        self.markdown.reset()
        try:
            html = self._converted[text] = Markup(self.markdown.convert(text))
            return html
        except Refused as exc:
            lines = text.split("\n")
            at = next((line + i for i, l in enumerate(lines) if exc.needle in l), line)
            raise ProjectError(Problem(content.name if content else "content", exc.message, at))

    def _inline(self, text: str, content: ContentFile | None = None, line: int = 1) -> Markup:
        """A one-line text (title, summary) as inline HTML, escaped the same way as the body."""
        html = self._markdown(text, content, line)
        if html.startswith("<p>") and html.endswith("</p>"):
            html = Markup(html[3:-4])
        return html

    def _images(self, text: str, content: ContentFile, line: int) -> str:
        """Embed each image as a data: URL, so pages stay standalone (sources/images.py says
        which images may be shown)."""
        def embed(match: re.Match) -> str:
            alt, src = match.group(1), match.group(2)
            try:
                mime, data = read_image(src, content.path, self.project.root)
            except BadImage as exc:
                raise ProjectError(Problem(content.name, str(exc), line + text[: match.start()].count("\n")))
            return f"![{alt}](data:{mime};base64,{base64.b64encode(data).decode()})"

        return IMAGE.sub(embed, text)

    def section(self, section: Section, variables: dict, content: ContentFile, slide: bool = False) -> RenderedSection:
        title = (self._inline(self._jinja(section.title, variables, content, section.line), content, section.line)
                 if section.title else Markup(""))
        body, notes = split_notes(section) if slide else (section.body, None)
        body = self._images(self._jinja(body, variables, content, section.body_line), content, section.body_line)
        html = self._diagrams(self._markdown(body, content, section.body_line), content, section, section.body_line)
        notes_html = (self._diagrams(self._markdown(self._jinja(notes, variables, content, notes_line(section)), content,
                                                    notes_line(section)), content, section, notes_line(section))
                      if notes else None)
        return RenderedSection(section.id, title, html, notes_html)

    def _diagrams(self, html: Markup, content: ContentFile, section: Section, line: int) -> Markup:
        """Each paragraph that is only a `{{ diagram(...) }}` replaced by the diagram's SVG in this
        language; a diagram anywhere else (inside a sentence, a list, a box) is an error at its line."""
        if DIAGRAM_OPEN not in html:
            return html
        seen: dict[str, int] = {}

        def draw(match: re.Match) -> str:
            name = match.group(1)
            if name not in diagrams.DIAGRAMS:  # the mark typed by hand: no diagram of that name
                raise ProjectError(Problem(content.name, f"unknown diagram '{name}'; the diagrams are: "
                                                         f"{', '.join(diagrams.names())}", line))
            seen[name] = seen.get(name, 0) + 1
            uid = f"{section.id}-{name}-diagram" + (f"-{seen[name]}" if seen[name] > 1 else "")
            try:
                return diagrams.svg(name, self.gettext, self.fmt, self.project.sessions, uid)
            except diagrams.LabelTooLong as exc:
                raise ProjectError(Problem(content.name, f"{exc} (diagram '{name}')", self._diagram_line(content, section, name, line)))

        out = DIAGRAM_PARAGRAPH.sub(draw, str(html))
        if DIAGRAM_OPEN in out:
            name = re.search(DIAGRAM_OPEN + r"diagram:([a-z-]+)", out)
            raise ProjectError(Problem(content.name, "a diagram stands on a line of its own, as "
                                                     f"{{{{ diagram('{name.group(1) if name else 'poles'}') }}}}, outside "
                                                     "sentences, lists and boxes", self._diagram_line(content, section, name.group(1) if name else "", line)))
        return Markup(out)

    @staticmethod
    def _diagram_line(content: ContentFile, section: Section, name: str, line: int) -> int:
        lines = section.body.split("\n")
        return next((section.body_line + i for i, l in enumerate(lines) if "diagram(" in l and name in l), line)

    # -- pages -----------------------------------------------------------------------------
    def _languages(self, doc_id: str | None) -> list[dict]:
        target = f"{doc_id}.html" if doc_id else "index.html"
        if self.pack:
            return [{"code": self.lang, "name": self.language.name, "href": target, "current": True}]
        return [
            {"code": code, "name": lang.name, "href": f"../{code}/{target}", "current": code == self.lang}
            for code, lang in self.project.languages.items()
        ]

    def _page(self, template: str, names: tuple[str, ...] = (), **variables) -> str:
        """A template rendered as a page; `names`: the names it shows besides the organisation's
        and the glossary's (a municipality's), which no line breaks inside a word."""
        base = {
            "lang": self.lang,
            "organisation": self.project.organisation,
            "css": Markup(self.css),
            "page_label": page_label_css(self.gettext(PAGE_LABEL)),
            "kind_names": {k: self.gettext(v) for k, v in KIND_NAMES.items()},
            "kind_groups": {k: self.gettext(v) for k, v in KIND_GROUPS.items()},
            "session_names": {k: self.gettext(s.name) for k, s in self.project.sessions.items()},
            "draft": self.draft,
            "draft_label": self.gettext(DRAFT_LABEL),
            "draft_css": Markup(css_string(self.gettext(DRAFT_LABEL))),
            "group": None,
        }
        base.update(variables)
        try:
            html = self.templates.get_template(template).render(base)
            body = html.find("<body")
            names = (self.project.organisation, *self.project.names, *names)
            return html[:body] + text_nodes(html[body:], lambda t: mark_names(nbsp(t, self.lang), names))
        except jinja2.TemplateSyntaxError as exc:
            raise ProjectError(Problem(self._template_name(exc.filename or self.project.templates_dir / template),
                                       f"template error: {exc.message}", exc.lineno))
        except jinja2.UndefinedError as exc:
            filename, line = _template_where(exc)
            raise ProjectError(Problem(self._template_name(filename or self.project.templates_dir / template),
                                       f"template uses an unknown value: {exc.message}", line))

    def _template_name(self, path) -> str:
        """A template as the user knows it: in the project, or in the package (materials/...)."""
        return project_file(self.project, path)

    def document(self, doc: Document, content: ContentFile, municipality: Municipality | None = None,
                 group: int | None = None, untranslated: bool = False) -> Page:
        """One document as a standalone HTML page (`group`: which training group it is for;
        `untranslated`: some sections are the source's, shown with a draft mark)."""
        variables = document_context(self.project, doc.sessions, self.fmt, self.gettext, municipality)
        slide = doc.kind == "handout"
        sections = [self.section(s, variables, content, slide) for s in content.sections if s.id != INTRO]
        intro = content.section(INTRO)
        intro_html = self.section(intro, variables, content).html if intro else Markup("")
        meta = {k: self._inline(self._jinja(v, variables, content, 1), content) for k, v in content.meta.items()}
        html = self._page(
            f"{doc.kind}.html",
            names=municipality_names(municipality),
            doc=doc,
            meta=meta,
            intro=intro_html,
            sections=sections,
            by_id={s.id: s for s in sections},
            pages=slide_page_numbers(len(sections)) if slide else [],
            languages=self._languages(doc.id),
            **variables,
            **({"group": self.gettext(GROUP_LABEL) % {"number": group}} if group else {}),
            **({"draft": True, "draft_label": self.gettext(UNTRANSLATED_LABEL),
                "draft_css": Markup(css_string(self.gettext(UNTRANSLATED_LABEL)))} if untranslated else {}),
        )
        return Page(self.lang, doc.id, doc.kind, meta["title"].striptags(), html)

    def pack_index(self, title: str, municipality, documents: list[dict], calendars: list[dict]) -> str:
        """A pack's index.html: its documents and calendar files, in the pack's language."""
        return self._page("pack_index.html", title=title, municipality=municipality, documents=documents,
                          calendars=calendars, languages=self._languages(None))

    def index(self, entries: list[tuple[Document, ContentFile]]) -> Page:
        """The language's index page: every document, grouped by kind, with its HTML and PDF."""
        groups: dict[str, list] = {}
        for doc, content in entries:
            meta = {"title": content.meta["title"], "summary": content.meta.get("summary", "")}
            variables = document_context(self.project, doc.sessions, self.fmt, self.gettext)
            meta = {k: self._inline(self._jinja(v, variables, content, 1), content) for k, v in meta.items()}
            groups.setdefault(doc.kind, []).append({"id": doc.id, **meta})
        html = self._page("index.html", groups=groups, languages=self._languages(None),
                          title=self.gettext("Polarisation Framework materials"))
        return Page(self.lang, "index", "index", "", html)

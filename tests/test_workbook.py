"""The participant workbook and the diagrams of the model: built in every language (HTML and PDF),
each sheet a page with its boxes' labels, the diagrams' SVG labelled and described in the page's
language, in the PDF as text, in every training group's pack; and what check and the build say
about a missing label translation, a changed box, a diagram out of place or a label too long."""

from __future__ import annotations

import io
import json
import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pikepdf
import pytest
from pypdf import PdfReader
from tree import copy_project

from materials.build import build
from materials.errors import ProjectError
from materials.rules.checks import check
from materials.sources.catalogs import compiled, read_catalog
from materials.render import diagrams

ROOT = Path(__file__).resolve().parent.parent
LANGS = ("en", "fi", "nl")
PAGES = 8  # the cover, then one page per sheet; the sources under the last sheet
SHEETS = ("context-map", "case-analysis", "game-changer-plan", "strategy", "looking-back", "colleague-feedback", "first-steps")
BOX = re.compile(r"^### (.+?) \{(\.box[^}]*)\}\s*$", re.M)
SECTION = re.compile(r"^## (.+?) \{#([a-z-]+)\}\s*$", re.M)
# Where each diagram stands (the workbook's page) and a label of it in each language.
PLACED = {"programme-steps": 1, "poles": 1, "five-roles": 3, "game-changers": 4}
VNU = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("workbook")
    build(ROOT, out, doc="workbook", jobs=1)
    return out


def translator(lang: str):
    if lang == "en":
        return lambda s: s
    catalog = read_catalog(ROOT / "locale" / lang / "LC_MESSAGES" / "messages.po", ROOT)
    return compiled(catalog).gettext


def normal(text: str) -> str:
    return " ".join(text.replace("\xa0", " ").replace("\u00ad", "").replace("’", "'").split())


def pdf_pages(path: Path) -> list[str]:
    return [normal(p.extract_text()) for p in PdfReader(path).pages]


def content(lang: str) -> str:
    return (ROOT / "content" / lang / "workbook.md").read_text(encoding="utf-8")


class Svgs(HTMLParser):
    """Each <svg> of a page: its attributes, its <title>'s text and its labels' text (tspans joined)."""

    def __init__(self):
        super().__init__()
        self.found: list[dict] = []
        self.where: str | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "svg":
            self.found.append({"attrs": dict(attrs), "title": "", "title_id": "", "text": []})
        elif self.found and tag == "title" and self.where is None:
            self.where, self.found[-1]["title_id"] = "title", dict(attrs).get("id", "")
        elif self.found and tag == "text":
            self.where = "text"
            self.found[-1]["text"].append("")

    def handle_endtag(self, tag):
        if tag in ("title", "text"):
            self.where = None if tag == "title" or self.where == "text" else self.where

    def handle_data(self, data):
        if self.where == "title":
            self.found[-1]["title"] += data
        elif self.where == "text":
            self.found[-1]["text"][-1] += data + " "


def svgs(html: str) -> list[dict]:
    parser = Svgs()
    parser.feed(html)
    for svg in parser.found:
        svg["text"] = [normal(t) for t in svg["text"]]
    return parser.found


def labels(name: str, lang: str) -> list[str]:
    """The labels a diagram shows in `lang`, as the diagram draws them (one per text element)."""
    canvas = diagrams.Canvas(translator(lang))
    from materials.render.formatting import Formatter
    from materials.sources.project import load_project

    project = load_project(ROOT)
    diagrams.DIAGRAMS[name].draw(canvas, Formatter(project.languages[lang].locale), project.sessions)
    return [normal(re.sub(r"<[^>]+>", " ", part)) for part in canvas.parts if part.startswith("<text")]


@pytest.mark.parametrize("lang", LANGS)
def test_the_workbook_has_a_cover_and_a_page_per_sheet_with_its_boxes_labels(built, lang):
    pages = pdf_pages(built / lang / "workbook.pdf")
    assert len(pages) == PAGES
    text = content(lang)
    sections = {sid: title for title, sid in SECTION.findall(text)}
    assert list(sections)[: len(SHEETS)] == list(SHEETS)
    # Each sheet opens its own page, and every box of it, its label, is on that page.
    bodies = dict(zip(SHEETS, text.split("\n## ")[1 : len(SHEETS) + 1]))
    for n, sid in enumerate(SHEETS, 2):
        assert pages[n - 1].startswith(normal(sections[sid])), (lang, sid, pages[n - 1][:80])
        for label, _ in BOX.findall("\n" + bodies[sid]):
            assert normal(label) in pages[n - 1], (lang, sid, label)
    assert "Bart Brandsma" in pages[-1]
    # The HTML: each box a frame with its label, its prompt and its lines.
    html = (built / lang / "workbook.html").read_text(encoding="utf-8")
    assert html.count('<h3 class="box-label">') == len(BOX.findall(text)) == 29
    assert html.count('<div aria-hidden="true" class="box-lines"></div>') == 29
    assert html.count('class="sheet') == len(SHEETS)


def test_the_boxes_are_the_same_in_every_language():
    shapes = {lang: [attrs for _, attrs in BOX.findall(content(lang))] for lang in LANGS}
    assert shapes["fi"] == shapes["en"] == shapes["nl"]


def test_the_game_changers_are_named_exactly(built):
    names = {
        "en": ("change the target audience", "change the topic", "change your position", "change the tone"),
        "fi": ("kohdeyleisön vaihtaminen", "aiheen vaihtaminen", "oman aseman vaihtaminen", "sävyn vaihtaminen"),
        "nl": ("verander de doelgroep", "verander het onderwerp", "verander je positie", "verander de toon"),
    }
    for lang, four in names.items():
        page = pdf_pages(built / lang / "workbook.pdf")[3]
        tr = translator(lang)
        for name, (msgid, _) in zip(four, diagrams.GAME_CHANGERS):
            assert tr(msgid) == name
            assert f": {name}" in page, (lang, name)  # a box's label: "Game changer: change the tone"
            assert name[:1].upper() + name[1:] in page  # the diagram's card


@pytest.mark.parametrize("lang", LANGS)
def test_the_diagrams_are_inline_svg_labelled_and_described_in_the_pages_language(built, lang):
    html = (built / lang / "workbook.html").read_text(encoding="utf-8")
    found = svgs(html)
    assert len(found) == len(PLACED)
    tr = translator(lang)
    for svg, name in zip(found, PLACED):
        diagram = diagrams.DIAGRAMS[name]
        assert svg["attrs"]["role"] == "img"
        assert svg["attrs"]["aria-labelledby"] == svg["title_id"]
        assert svg["title"] == f"{tr(diagram.title)}. {tr(diagram.alt)}"
        if lang != "en":
            assert tr(diagram.alt) != diagram.alt and tr(diagram.title) != diagram.title
        assert svg["text"] == labels(name, lang), name
        # Real text in the project's sans, no picture of it.
        assert 'font-family="Source Sans Pro"' in html and "<image" not in html
    if lang != "en":
        english = {normal(t) for name in PLACED for t in labels(name, "en") if len(t) > 3}
        shown = {t for svg in found for t in svg["text"]}
        assert not (english & shown) - {"Pusher", "Joiner", "Training"}, english & shown  # Dutch keeps these


@pytest.mark.parametrize("lang", LANGS)
def test_the_pdf_has_the_diagrams_labels_as_text_and_their_alt_text(built, lang):
    pages = pdf_pages(built / lang / "workbook.pdf")
    tr = translator(lang)
    for name, page in PLACED.items():
        for label in labels(name, lang):
            for word in label.split():
                assert word in pages[page - 1], (lang, name, word)
    with pikepdf.open(built / lang / "workbook.pdf") as pdf:
        alts = []
        stack = [pdf.Root.StructTreeRoot]
        while stack:
            element = stack.pop()
            if element.get("/S") == "/Figure":
                alts.append(str(element.Alt))
            kids = element.get("/K")
            kids = [] if kids is None else (kids if isinstance(kids, pikepdf.Array) else [kids])
            stack += [k for k in kids if isinstance(k, pikepdf.Dictionary) and "/S" in k]
    wanted = {f"{tr(d.title)}. {tr(d.alt)}" for n, d in diagrams.DIAGRAMS.items() if n in PLACED}
    assert set(alts) == wanted


def test_the_finnish_labels_fit_their_shapes():
    # Every label of every diagram, in every language, fits at a size of at least MIN_SCALE
    # (wrap raises otherwise); and the longest Finnish word shrinks no further than that.
    for lang in LANGS:
        for name in diagrams.DIAGRAMS:
            assert labels(name, lang)
    size, lines = diagrams.wrap("Hiljainen keskiryhmä", 110, 15, 700, 3)
    assert lines == ["Hiljainen", "keskiryhmä"] and size == 15


def test_a_label_too_long_for_its_shape_is_an_error_naming_it():
    long = "Yhteiskuntarauhanturvaamisasiantuntija"
    with pytest.raises(diagrams.LabelTooLong, match=long):
        diagrams.svg("five-roles", lambda s: long if s == "Scapegoat" else s, None, {}, "x")


def test_the_workbook_validates(built):
    files = [str(built / lang / "workbook.html") for lang in LANGS]
    result = subprocess.run(["java", "-jar", str(VNU), "--errors-only", "--format", "json", *files],
                            capture_output=True, text=True)
    report = result.stderr.strip() or result.stdout.strip()
    assert report.startswith("{"), report[:500]
    assert [m for m in json.loads(report)["messages"] if m.get("type") == "error"] == []


def test_a_missing_label_translation_is_reported_with_its_catalog_and_msgid(tmp_path):
    root = copy_project(tmp_path / "p", municipalities=False, tasks=False)
    po = root / "locale" / "fi" / "LC_MESSAGES" / "messages.po"
    text = po.read_text(encoding="utf-8")
    assert 'msgid "Scapegoat"\nmsgstr "Syntipukki"' in text
    po.write_text(text.replace('msgid "Scapegoat"\nmsgstr "Syntipukki"', 'msgid "Scapegoat"\nmsgstr ""'), encoding="utf-8")
    report = check(root, "fi")
    found = [f for f in report.errors if f.code == "catalog" and "Scapegoat" in f.message]
    assert len(found) == 1
    assert found[0].file == "locale/fi/LC_MESSAGES/messages.po" and found[0].line
    assert "Message \"Scapegoat\" is not translated" in found[0].message


def test_a_box_whose_attributes_differ_from_the_source_is_a_structure_finding(tmp_path):
    root = copy_project(tmp_path / "p", municipalities=False, tasks=False)
    nl = root / "content" / "nl" / "workbook.md"
    nl.write_text(nl.read_text(encoding="utf-8").replace("### Mogelijkheden {.box .half .large}", "### Mogelijkheden {.box .large}"),
                  encoding="utf-8")
    found = [f for f in check(root, "nl").errors if f.code == "structure" and f.doc == "workbook"]
    assert len(found) == 1 and "{.box .half .large}" in found[0].message and found[0].file == "content/nl/workbook.md"


def render_en(root: Path, body: str):
    """The English workbook of a copy, its sheet 'strategy' given `body` after its prompt."""
    en = root / "content" / "en" / "workbook.md"
    text = en.read_text(encoding="utf-8")
    anchor = "Draft it on the training day and complete it in the in-depth session.\n"
    en.write_text(text.replace(anchor, anchor + "\n" + body + "\n"), encoding="utf-8")
    line = en.read_text(encoding="utf-8").split("\n").index(body.split("\n")[0]) + 1
    from materials.build import renderer_for
    from materials.sources.loader import load

    sources = load(root)
    renderer = renderer_for(sources, "en")
    return lambda: renderer.document(sources.project.documents["workbook"], sources.content("en", "workbook")), line


@pytest.mark.parametrize("body, message", [
    ("It is {{ diagram('poles') }} here.", "a diagram stands on a line of its own"),
    ("- {{ diagram('poles') }}", "a diagram stands on a line of its own"),
    ("{{ diagram('six-roles') }}", "unknown diagram 'six-roles'"),
    ("\ue000diagram:six-roles\ue001", "unknown diagram 'six-roles'"),
])
def test_a_diagram_out_of_place_or_unknown_is_an_error_at_its_line(tmp_path, body, message):
    root = copy_project(tmp_path / "p", municipalities=False, tasks=False)
    render, line = render_en(root, body)
    with pytest.raises(ProjectError) as exc:
        render()
    problem = exc.value.problems[0]
    assert message in problem.message and problem.file == "content/en/workbook.md"
    assert problem.line == line or "six-roles" in body and problem.line is not None


def test_raw_svg_in_content_stays_text(tmp_path):
    root = copy_project(tmp_path / "p", municipalities=False, tasks=False)
    render, _ = render_en(root, '<svg><script>alert(1)</script></svg>')
    html = render().html
    assert "&lt;svg&gt;&lt;script&gt;" in html and "<script>alert" not in html


@pytest.mark.slow
def test_a_slide_whose_body_is_a_diagram_fits_its_frame(tmp_path):
    root = copy_project(tmp_path / "p", municipalities=False, tasks=False)
    handout = root / "content" / "en" / "handout-training.md"
    text = handout.read_text(encoding="utf-8")
    slides = "".join(f"## The model {{#model-{name}}}\n\n{{{{ diagram('{name}') }}}}\n\n???\n\nNotes.\n\n"
                     for name in diagrams.DIAGRAMS)
    handout.write_text(text.replace("## The five roles {#five-roles}", slides + "## The five roles {#five-roles}"),
                       encoding="utf-8")
    build(root, root / "build", lang="en", doc="handout-training", jobs=1, draft=True)  # a slide too full stops it
    html = (root / "build" / "en" / "handout-training.html").read_text(encoding="utf-8")
    bodies = re.findall(r'<h2 id="model-([a-z-]+)-h">[^<]*</h2>\s*<div class="slide-body"><figure class="diagram', html)
    assert bodies == list(diagrams.DIAGRAMS)
    pages = pdf_pages(root / "build" / "en" / "handout-training.pdf")
    assert any("Bridge builder" in p and "Scapegoat" in p for p in pages)


@pytest.mark.slow
def test_every_training_groups_pack_has_the_workbook(tmp_path):
    import zipfile

    from materials.packs.pack import pack

    root = copy_project(tmp_path / "p", tasks=False)
    [result] = pack(root, "koivulahti", lang="fi", out_dir=root / "build", jobs=1)
    with zipfile.ZipFile(result.path) as zf:
        names = set(zf.namelist())
        assert {"koivulahti-fi/workbook.pdf", "koivulahti-fi/workbook.html"} <= names
        pages = [normal(p.extract_text()) for p in PdfReader(io.BytesIO(zf.read("koivulahti-fi/workbook.pdf"))).pages]
    assert len(pages) == PAGES and "Osallistujan työkirja" in pages[0]


def test_the_workbook_belongs_to_the_training_groups_only(project):
    from materials.packs.pack import pack_items
    from materials.sources.municipality import load_municipality

    m = load_municipality(project, "lindenhoven")
    items = [i for i in pack_items(project, m) if i.doc_id == "workbook"]
    assert [(i.name, i.group) for i in items] == [("workbook-group-1", 1), ("workbook-group-2", 2)]
    assert all(set(i.places) == {"training-day", "in-depth-session"} for i in items)

"""What the reader sees, on every PDF of a full build in every language (and, where a pack's
data matters, of every pack): the words of the page are all in the PDF's text and none is drawn
twice, nothing is cut off or past the page's text area, each slide fits its frame, only the
pinned fonts are embedded, a handout has its page budget; hyphenation follows its rules on the
drawn lines, running text has a measure of 60-75 characters, letters and agendas keep their page
budgets, nothing stands alone at a page's top or foot, and a plain build says in words what a
pack fills in."""

from __future__ import annotations

import math
import re
import subprocess
import unicodedata
from pathlib import Path

import lxml.html
import pytest
from pypdf import PdfReader
from fontTools.ttLib import TTFont

from tree import copy_project

LANGS = ("en", "fi", "nl")
SLIDES_PER_PAGE = 3  # the handout's layout: three slides, each with its notes beside it, per page
INTRO_PAGES = 1  # the handout's first page: its title and introduction
# Parts of <main> the PDF leaves out by design: the deck's controls (screen only), text for
# screen readers only, scripts.
SCREEN_ONLY = ("deck-controls", "visually-hidden")
TOLERANCE = 0.5  # CSS px (0.13 mm): less than any visible cut


def documents(out: Path):
    for lang in LANGS:
        for html in sorted((out / lang).glob("*.html")):
            if html.stem != "index":
                yield lang, html.stem


def page_element(html: Path, part: str = "main"):
    """The page's <main> (or <body>), without what only the screen shows, nor a diagram's title
    (its alt text, which the PDF keeps as the figure's /Alt, not as drawn text)."""
    element = lxml.html.fromstring(html.read_bytes()).find(f".//{part}")
    for el in list(element.iter()):
        classes = set((el.get("class") or "").split())
        if el.tag in ("script", "style", "button") or classes & set(SCREEN_ONLY) or (
                el.tag == "title" and el.getparent() is not None and el.getparent().tag == "svg"):
            el.drop_tree()
    return element


BLOCKS = {"address", "blockquote", "br", "caption", "dd", "div", "dl", "dt", "figcaption", "figure", "footer", "h1",
          "h2", "h3", "h4", "header", "li", "main", "nav", "ol", "p", "section", "table", "td", "th", "tr", "ul",
          "text", "tspan"}  # a diagram's labels and their lines (SVG)


def text_of(el) -> str:
    """An element's text as it reads: a space between blocks, none inside a line's markup."""
    parts = [el.text or ""]
    for child in el:
        gap = " " if child.tag in BLOCKS else ""
        parts += [gap, text_of(child), gap, child.tail or ""]
    return "".join(parts)


def normal(text: str) -> str:
    """Text as it reads: compatibility forms (ligature characters) spelled out, no soft hyphens,
    one space for any run of white space, case folded."""
    text = unicodedata.normalize("NFKC", text).replace("\u00ad", "")
    return re.sub(r"\s+", " ", text).strip().casefold()


def pdf_text(pdf: Path, page: int | None = None) -> str:
    pages = ["-f", str(page), "-l", str(page)] if page else []
    return subprocess.run(["pdftotext", "-enc", "UTF-8", *pages, str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout


def dehyphenated(text: str) -> str:
    """Words broken at a line end joined again (a hyphen the break added, U+2010 or -)."""
    return re.sub(r"[-\u2010\u00ad]\n\s*", "", unicodedata.normalize("NFKC", text))


def words(text: str) -> set[str]:
    return set(re.findall(r"\w+", normal(text)))


# 1. Every word, and no paragraph twice ------------------------------------------------------------
def test_every_word_of_the_page_is_in_the_pdf_text_and_no_paragraph_is_drawn_twice(full_build):
    out, _, _ = full_build
    missing, doubled = {}, {}
    for lang, doc in documents(out):
        main = page_element(out / lang / f"{doc}.html")
        raw = pdf_text(out / lang / f"{doc}.pdf")
        joined = normal(dehyphenated(raw))
        # A hyphen at a line end may be the word's own (vastakkain-asettelu): keep both readings.
        found = words(dehyphenated(raw)) | words(raw)
        # pdftotext joins a compound broken after its own hyphen (wij-|zijdenken: "wijzijdenken")
        found |= {w for compound in re.findall(r"\w+(?:-\w+)+", normal(text_of(main)))
                  if compound.replace("-", "") in found for w in compound.split("-")}
        lost = sorted(words(text_of(main)) - found)
        if lost:
            missing[f"{lang}/{doc}"] = lost
        # As often as the page has it: in its text (masthead and sign-off too), and in the title
        # that the running footer repeats on each page after the first.
        page = normal(text_of(page_element(out / lang / f"{doc}.html", "body")))
        footer = normal(text_of(main.find(".//h1"))) * (raw.count("\f") - 1)
        for p in {normal(text_of(el)) for el in main.iter("p", "li")} - {""}:
            drawn = joined.count(p) - footer.count(p)
            if drawn > page.count(p):
                doubled.setdefault(f"{lang}/{doc}", []).append(f"{drawn}× {p[:60]}")
    assert (missing, doubled) == ({}, {}), (f"words of the page missing from the PDF's text: {missing}\n"
                                            f"paragraphs drawn more often than the page has them: {doubled}")


# 2. Nothing cut off: boxes inside the boxes that clip, slide content inside its frame -------------
def boxes(box, parent=None):
    yield box, parent
    for child in box.all_children():
        yield from boxes(child, box)


def classes(box) -> set[str]:
    return set((box.element.get("class") or "").split()) if box.element is not None else set()


def describe(box) -> str:
    cls = ".".join(sorted(classes(box)))
    ident = box.element.get("id") if box.element is not None else None
    return f"<{box.element_tag}{'.' + cls if cls else ''}{'#' + ident if ident else ''}>"


def beyond(box, area: tuple[float, float, float, float], clip=None) -> float:
    """How far (px) the box's border box, as far as it is drawn (inside `clip`, the area its
    clipping ancestors leave), reaches outside area (left, top, right, bottom)."""
    left, top = box.border_box_x(), box.border_box_y()
    right, bottom = left + box.border_width(), top + box.border_height()
    if clip is not None:
        left, top, right, bottom = max(left, clip[0]), max(top, clip[1]), min(right, clip[2]), min(bottom, clip[3])
        if left >= right or top >= bottom:
            return 0  # nothing of it is drawn
    return max(area[0] - left, area[1] - top, right - area[2], bottom - area[3], 0)


def content_area(box):
    x, y = box.content_box_x(), box.content_box_y()
    return x, y, x + box.width, y + box.height


def padding_area(box):
    x, y = box.padding_box_x(), box.padding_box_y()
    return x, y, x + box.padding_width(), y + box.padding_height()


def clips(box) -> bool:
    return box.style["overflow"] != "visible" and "visually-hidden" not in classes(box)


def only_background(box) -> bool:
    """A box whose only ink is its background (no content, no border, not an image): where a
    box that clips cuts it, nothing is lost (the ruled lines beside a slide's notes run to the
    row's foot, and the row ends them)."""
    from weasyprint.formatting_structure.boxes import ReplacedBox

    return (not isinstance(box, ReplacedBox) and not list(box.all_children())
            and not any(box.style[f"border_{side}_width"] for side in ("top", "right", "bottom", "left")))


def cut_off(page_box) -> list[str]:
    """Boxes that reach out of the page's text area (as far as they are drawn), and descendants
    that reach out of a box that clips (overflow other than visible) or out of a slide's frame.
    In-flow content must stay in the content box; an absolutely positioned box (the slide's
    number) in the padding box, where clipping cuts."""
    found = []
    page = content_area(page_box)

    def walk(box, parent, clip):
        own = box.element is not None and (parent is None or parent.element is not box.element)
        # (the root's and the body's boxes hold the last child's bottom margin, which is no ink)
        if own and box.element_tag not in ("html", "body") and (reach := beyond(box, page, clip)) > TOLERANCE:
            found.append(f"{describe(box)} reaches {reach * 25.4 / 96:.1f} mm out of the page's text area")
        if own and clips(box):
            area = padding_area(box)
            clip = area if clip is None else (max(clip[0], area[0]), max(clip[1], area[1]),
                                              min(clip[2], area[2]), min(clip[3], area[3]))
        for child in box.all_children():
            walk(child, box, clip)

    walk(page_box, None, None)
    for box, parent in boxes(page_box):
        if box.element is None or (parent is not None and parent.element is box.element):
            continue  # anonymous boxes and the inner boxes of an element: its own box decides
        frame = "slide" in classes(box)
        if not (frame or clips(box)):
            continue
        stack = [(child, False) for child in box.all_children()]
        while stack:
            inner, positioned = stack.pop()
            positioned = positioned or inner.is_absolutely_positioned()
            reach = beyond(inner, padding_area(box) if positioned else content_area(box))
            if reach > TOLERANCE and not (clips(box) and only_background(inner)):
                found.append(f"{describe(inner)} reaches {reach * 25.4 / 96:.1f} mm out of {describe(box)}")
            stack.extend((child, positioned) for child in inner.all_children())
    return found


def torn_apart(page_box) -> list[str]:
    """Paragraphs whose lines stand apart: a gap of more than a line between two of them (a line
    pushed below a float beside it)."""
    from materials.render.lines import _line_boxes

    found = []
    for block, lines in _line_boxes(page_box, {}).items():
        for above, below in zip(lines, lines[1:]):
            if below.position_y - (above.position_y + above.height) > above.height:
                found.append(f"{describe(block)} has a gap of {(below.position_y - above.position_y) * 25.4 / 96:.0f} mm"
                             " between two of its lines")
    return found


@pytest.mark.parametrize("lang", LANGS)
def test_no_box_is_cut_off_and_every_slide_fits_its_frame(full_build, project, lang):
    from materials.build import pdf_job
    from materials.render.pdf import lay_out

    out, _, _ = full_build
    found = {}
    for _, doc in (d for d in documents(out) if d[0] == lang):
        html = (out / lang / f"{doc}.html").read_text(encoding="utf-8")
        document = lay_out(pdf_job(project, out, lang, doc, html))
        for number, page in enumerate(document.pages, 1):
            for problem in cut_off(page._page_box) + torn_apart(page._page_box):
                found.setdefault(f"{lang}/{doc} page {number}", []).append(problem)
        frames = [b for page in document.pages for b, _ in boxes(page._page_box) if "slide" in classes(b)]
        if len({id(f.element) for f in frames}) != len(frames):
            found.setdefault(f"{lang}/{doc}", []).append(f"{len(frames)} frames drawn for {len({id(f.element) for f in frames})} slides")
    assert found == {}, "\n".join(f"{where}: {p}" for where, ps in found.items() for p in ps[:5])


# 3. Only the pinned fonts --------------------------------------------------------------------------
def pinned_families() -> set[str]:
    from materials.render.fonts import font_paths

    return {(TTFont(path)["name"].getDebugName(16) or TTFont(path)["name"].getDebugName(1)).replace(" ", "-") for path in font_paths()}


def test_pdffonts_lists_only_the_pinned_families(full_build):
    out, _, _ = full_build
    families, found = pinned_families(), {}
    for lang, doc in documents(out):
        report = subprocess.run(["pdffonts", str(out / lang / f"{doc}.pdf")], capture_output=True, text=True,
                                check=True).stdout.splitlines()[2:]
        names = [line.split()[0].split("+", 1)[-1] for line in report]
        others = sorted({n for n in names if not any(n == f or n.startswith(f + "-") for f in families)})
        if others or not names:
            found[f"{lang}/{doc}"] = others
    assert found == {}, f"fonts other than {sorted(families)}: {found}"


# 4. Page budget of a handout, a fixed number of slides on each page, never a last one alone -----
def test_a_handout_page_holds_three_slides_and_a_last_page_never_one_alone():
    from materials.render.html import SLIDES_PER_PAGE as per_page, slide_pages

    assert per_page == SLIDES_PER_PAGE
    for count in range(1, 40):
        pages = slide_pages(count)
        assert sum(pages) == count and len(pages) == math.ceil(count / SLIDES_PER_PAGE), count
        assert all(n == SLIDES_PER_PAGE for n in pages[:-2]) and max(pages) <= SLIDES_PER_PAGE, (count, pages)
        assert count == 1 or pages[-1] >= 2, (count, pages)
    assert slide_pages(13) == [3, 3, 3, 2, 2] and slide_pages(10) == [3, 3, 2, 2] and slide_pages(12) == [3, 3, 3, 3]


def slide_labels(html: Path) -> list[str]:
    return [normal(text_of(el)) for el in page_element(html).find_class("slide-number")]


def pages_of_slides(count: int) -> list[int]:
    """The PDF page (from 1) each slide is on."""
    from materials.render.html import slide_pages

    return [INTRO_PAGES + page for page, n in enumerate(slide_pages(count), 1) for _ in range(n)]


@pytest.mark.parametrize("lang", LANGS)
def test_handouts_take_their_page_budget_with_a_fixed_number_of_slides_per_page(full_build, lang):
    out, _, _ = full_build
    for doc in ("handout-introductory-meeting", "handout-training"):
        labels = slide_labels(out / lang / f"{doc}.html")
        assert labels, f"{lang}/{doc}: no slides"
        pdf = out / lang / f"{doc}.pdf"
        on_page = pages_of_slides(len(labels))
        assert pages_of(pdf) == on_page[-1], f"{lang}/{doc}: {pages_of(pdf)} pages"
        for page in range(INTRO_PAGES + 1, on_page[-1] + 1):
            text = normal(pdf_text(pdf, page))
            shown = [label for label in labels if re.search(re.escape(label) + r"(?!\d)", text)]
            expected = [label for label, p in zip(labels, on_page) if p == page]
            assert shown == expected, f"{lang}/{doc} page {page}: {shown}"
            assert len(shown) >= 2 or len(labels) == 1, f"{lang}/{doc} page {page}: a slide alone"


@pytest.mark.parametrize("lang", LANGS)
def test_a_handouts_first_page_lists_its_slides_with_the_page_of_each(full_build, lang):
    out, _, _ = full_build
    for doc in ("handout-introductory-meeting", "handout-training"):
        main = page_element(out / lang / f"{doc}.html")
        titles = [normal(text_of(content.find("h2"))) for content in main.find_class("slide-content")]
        assert titles, f"{lang}/{doc}: no slide titles"
        first = normal(pdf_text(out / lang / f"{doc}.pdf", 1))
        listed = {title: re.search(re.escape(title) + r"[\s.]*(\d+)", first) for title in titles}
        pages = dict(zip(titles, pages_of_slides(len(titles))))
        wrong = {t: m and int(m[1]) for t, m in listed.items() if not m or int(m[1]) != pages[t]}
        assert wrong == {}, f"{lang}/{doc}: slides listed on page 1 with another page or none: {wrong}"


def test_a_first_page_that_runs_long_lists_each_slide_with_its_true_page(tmp_path):
    """The list of slides gives the page the template expects (the title page, then three slides
    a page); an introduction long enough to push the slides a page on gets the true pages, as
    the layout finds them (fit.listed_pages)."""
    from materials.build import build

    proj = copy_project(tmp_path / "p", municipalities=False, tasks=False)
    path = proj / "content" / "en" / "handout-introductory-meeting.md"
    text = path.read_text(encoding="utf-8")
    opening = "These are the slides of the introductory meeting."
    assert opening in text
    more = "".join(f"A further paragraph of the introduction, number {i}, long enough to take two or three lines "
                   "of the page, so that the first page runs over onto the next one.\n\n" for i in range(14))
    path.write_text(text.replace(opening, more + opening, 1), encoding="utf-8")
    build(proj, proj / "build", lang="en", doc="handout-introductory-meeting", jobs=1)
    pdf = proj / "build" / "en" / "handout-introductory-meeting.pdf"
    html = proj / "build" / "en" / "handout-introductory-meeting.html"
    titles = [normal(text_of(content.find("h2"))) for content in page_element(html).find_class("slide-content")]
    pages = [normal(pdf_text(pdf, n)) for n in range(1, len(PdfReader(pdf).pages) + 1)]
    on_page = [next(n for n, text in enumerate(pages, 1) if re.search(rf"slide {i}\b", text)) for i in range(1, len(titles) + 1)]
    assert on_page[0] == 3, on_page  # the slides begin a page later than the template expects
    lists = " ".join(pages[:2])
    listed = [int(re.search(re.escape(title) + r"[\s.]*(\d+)", lists)[1]) for title in titles]
    assert listed == on_page


def test_a_projects_own_handout_template_without_the_pages_still_lists_them(tmp_path):
    """A project's own handout.html from before the list's pages were written in it: the layout
    gives each entry its page all the same."""
    from materials.build import build

    proj = copy_project(tmp_path / "p", municipalities=False, tasks=False, templates=True)
    template = proj / "templates" / "handout.html"
    text = template.read_text(encoding="utf-8")
    assert ' data-page="{{ pages[loop.index0] }}"' in text
    template.write_text(text.replace(' data-page="{{ pages[loop.index0] }}"', ""), encoding="utf-8")
    build(proj, proj / "build", lang="en", doc="handout-introductory-meeting", jobs=1)
    out = proj / "build" / "en"
    assert "data-page" not in (out / "handout-introductory-meeting.html").read_text(encoding="utf-8")
    titles = [normal(text_of(content.find("h2"))) for content in page_element(out / "handout-introductory-meeting.html").find_class("slide-content")]
    first = normal(pdf_text(out / "handout-introductory-meeting.pdf", 1))
    listed = [int(re.search(re.escape(title) + r"[\s.]*(\d+)", first)[1]) for title in titles]
    assert listed == pages_of_slides(len(titles))


# 5. A slide too full for its frame: made smaller, or a build error naming its line ---------------
FUEL = "- Talking about the poles adds fuel, even with good intentions\n"


def built_or_error(tmp_path: Path, extra_bullets: int):
    from materials.build import build
    from materials.errors import ProjectError

    proj = copy_project(tmp_path / "p", municipalities=False, tasks=False)
    path = proj / "content" / "en" / "handout-training.md"
    text = path.read_text(encoding="utf-8")
    assert FUEL in text
    bullets = "".join(f"- Another point about fuel and how it feeds the poles, number {i}\n" for i in range(extra_bullets))
    path.write_text(text.replace(FUEL, FUEL + bullets), encoding="utf-8")
    line = text[: text.index("{#fuel-and-feeling}")].count("\n") + 1
    try:
        build(proj, proj / "build", lang="en", doc="handout-training", jobs=1)
    except ProjectError as exc:
        return proj, line, str(exc)
    return proj, line, None


def test_what_a_clipping_box_cuts_is_reported_unless_it_is_only_background():
    """The check itself: text cut by a box that clips, a border cut, and a box past the page's
    text area are found; a background-only box that its clipping parent ends (as the ruled
    lines of a handout's row are ended by the row) is not, inside or at the page's foot."""
    from weasyprint import HTML

    def found(body: str) -> list[str]:
        html = f"<style>@page {{ size: 100mm 100mm; margin: 10mm }} body {{ margin: 0 }} .clip {{ height: 20mm; overflow: hidden }}</style>{body}"
        return [p for page in HTML(string=html).render().pages for p in cut_off(page._page_box)]

    assert found('<div class="clip"><p style="height: 30mm; margin: 0">Text</p></div>') == [
        "<p> reaches 10.0 mm out of <div.clip>"]
    assert found('<div class="clip"><div style="height: 30mm; border-bottom: 1px solid"></div></div>') == [
        "<div> reaches 10.3 mm out of <div.clip>"]
    assert found('<div style="height: 90mm; background: #ccc"></div>') == [
        "<div> reaches 10.0 mm out of the page's text area"]
    assert found('<div class="clip"><div style="height: 30mm; background: #ccc"></div></div>') == []
    assert found('<div style="height: 60mm"></div><div class="clip"><div style="height: 30mm; background: #ccc"></div></div>') == []


def test_a_full_slide_is_set_smaller_to_fit_its_frame(tmp_path, project):
    from materials.build import pdf_job
    from materials.render.pdf import lay_out

    proj, _, error = built_or_error(tmp_path, 3)
    assert error is None
    out = proj / "build"
    html = (out / "en" / "handout-training.html").read_text(encoding="utf-8")
    document = lay_out(pdf_job(project, out, "en", "handout-training", html))
    frames = [b for page in document.pages for b, _ in boxes(page._page_box) if "slide" in classes(b)]
    fuel = next(f for f in frames if f.element.get("aria-labelledby") == "fuel-and-feeling-h")
    assert fuel.element.get("data-fit"), "the full slide was not set smaller"
    assert [p for page in document.pages for p in cut_off(page._page_box)] == []
    assert "number 2" in normal(pdf_text(out / "en" / "handout-training.pdf"))


def test_the_fit_steps_are_the_stylesheets_sizes():
    """fit.STEPS is the number of steps style.css has for a slide, each smaller than the one before."""
    from materials.render import fit
    from tree import ROOT

    css = (ROOT / "materials" / "render" / "static" / "style.css").read_text(encoding="utf-8")
    base = re.search(r"\.slide \{ width: 100mm;[^}]*font-size: ([\d.]+)pt", css)
    steps = {int(n): float(size) for n, size in re.findall(r'\.slide\[data-fit="(\d)"\] \{ font-size: ([\d.]+)pt; \}', css)}
    assert base and sorted(steps) == list(range(1, fit.STEPS + 1))
    sizes = [float(base.group(1))] + [steps[n] for n in sorted(steps)]
    assert sizes == sorted(sizes, reverse=True) and len(set(sizes)) == len(sizes)


@pytest.mark.parametrize("lang", LANGS)
def test_each_full_slide_is_set_at_the_largest_size_it_fits(full_build, project, lang):
    """The step a slide is given (found on trial copies of the slides, fit.smallest_steps) is the
    largest size at which it fits: laid out in its handout one step larger, each of those slides
    reaches out of its frame, and no other does."""
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    from materials.build import pdf_job
    from materials.render import fit
    from materials.render.pdf import lay_out, make_fetcher

    out, _, _ = full_build
    job = pdf_job(project, out, lang, "handout-training", (out / lang / "handout-training.html").read_text(encoding="utf-8"))
    steps = {f.element.get("aria-labelledby"): int(f.element.get("data-fit") or 0) for f, _ in fit.frames(lay_out(job))}
    fitted = {slide for slide, step in steps.items() if step}
    assert len(fitted) >= 3, steps  # the training deck has slides that need a smaller size

    def one_step_larger(m):
        step = steps[m["slide"]] - 1  # 0: the slide's own size, no step
        return m.group() + (f' data-fit="{step}"' if step > 0 else "")

    html = re.sub(r'<section class="slide" aria-labelledby="(?P<slide>[^"]+)"', one_step_larger, job.html)
    assert len(re.findall(r'<section class="slide" [^>]*data-fit=', html)) == sum(1 for s in fitted if steps[s] > 1)
    fonts, fetcher = FontConfiguration(), make_fetcher(job.allowed)
    larger = HTML(string=html, base_url=job.base_url, url_fetcher=fetcher).render(
        stylesheets=[CSS(string=job.pdf_css, base_url=job.base_url, url_fetcher=fetcher, font_config=fonts)],
        font_config=fonts)
    assert {e.get("aria-labelledby") for e in fit.overflows(larger)} == fitted


def test_a_slide_that_cannot_fit_is_a_build_error_naming_its_line(tmp_path):
    _, line, error = built_or_error(tmp_path, 12)
    assert error == (f"content/en/handout-training.md:{line}: slide 'Fuel and gut feeling' does not fit its frame;"
                     " shorten it or split it")


# The pages of a full build and of every pack (the examples, and the longest names in every language)
def every_pdf(out: Path, packs: dict[str, Path]):
    """(label, the page's HTML, its PDF, its kind) for every PDF of the build and of the packs."""
    pairs = [(f"{lang}/{doc}", out / lang / f"{doc}.html") for lang, doc in documents(out)]
    pairs += [(f"{name}/{html.stem}", html) for name, folder in sorted(packs.items())
              for html in sorted(folder.glob("*.html")) if html.stem != "index"]
    for label, html in pairs:
        kind = lxml.html.fromstring(html.read_bytes()).find(".//body").get("class").removeprefix("kind-")
        yield label, html, html.with_suffix(".pdf"), kind


def pages_of(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M)[1])


def drawn_lines(pdf: Path) -> list[list[list[str]]]:
    """Each page's drawn lines, in reading order (a column's lines one after another), as words."""
    xml = subprocess.run(["pdftotext", "-bbox-layout", str(pdf), "-"], capture_output=True, check=True).stdout
    tree = lxml.html.fromstring(xml.decode("utf-8"))
    return [[[unicodedata.normalize("NFKC", w.text_content()) for w in line.iter("word")] for line in page.iter("line")]
            for page in tree.iter("page")]


# 6. Hyphenation, read on the drawn lines ---------------------------------------------------------
HYPHEN = "\u2010"  # what WeasyPrint draws at a break; a hyphen of the text itself is U+002D
MAX_HYPHENATED_RUN = 2
MIN_LETTERS = 3


def names() -> list[str]:
    from materials.sources.glossary import load_glossary
    from materials.sources.project import load_project
    from tree import ROOT

    return sorted({load_project(ROOT).organisation, *load_glossary(ROOT).names})


def unbroken_texts(html: Path) -> set[str]:
    """What is never hyphenated: headings, slide titles, agenda item titles, captions, labels and
    bullets (list items; not a handout's rows, which hold the notes)."""
    main = page_element(html)
    found = set()
    for el in main.iter():
        cls = set((el.get("class") or "").split())
        item = el.tag == "th" and el.find_class("item-title")  # an agenda item: its title, then running text
        if (el.tag in ("h1", "h2", "h3", "h4", "caption", "dt", "th") and not item) or "item-title" in cls \
                or (el.tag == "li" and "slide-row" not in cls):
            found.add(normal(text_of(el)))
    return found - {""}


def letters(text: str) -> str:
    return "".join(c for c in text if c.isalpha())


def hyphenation_faults(pdf: Path, html: Path, protected: list[str]) -> list[str]:
    faults = []
    unbroken = unbroken_texts(html)
    page = normal(text_of(page_element(html, "body"))).replace("\u2010", "-")
    for number, lines in enumerate(drawn_lines(pdf), 1):
        run = 0
        for i, line in enumerate(lines):
            broken = bool(line) and line[-1].endswith(HYPHEN) and i + 1 < len(lines) and bool(lines[i + 1])
            run = run + 1 if broken else 0
            if not broken:
                continue
            left, right = line[-1][:-1], lines[i + 1][0]
            if normal(f"{left}-{right}").replace("\u2010", "-") in page:
                run -= 1
                continue  # a line break after a hyphen of the text itself (e-mail), drawn with the same glyph
            where = f"page {number}: {' '.join(line[-3:])} | {' '.join(lines[i + 1][:3])}"
            head = re.match(r"[^\W\d_]*", right)[0]
            tail = re.search(r"[^\W\d_]*$", left)[0]
            if len(tail) < MIN_LETTERS or len(head) < MIN_LETTERS:
                faults.append(f"{where}: fewer than {MIN_LETTERS} letters on a side")
            if run > MAX_HYPHENATED_RUN:
                faults.append(f"{where}: {run} hyphenated lines in a row")
            if len(lines[i + 1]) == 1:
                faults.append(f"{where}: a paragraph's last word broken")
            before, after = " ".join(line[-3:-1] + [left]), " ".join([right] + lines[i + 1][1:3])
            cut = len(before)
            joined = before + after
            for name in protected:
                for m in re.finditer(re.escape(name) + r"\w*", joined, re.I):
                    if m.start() < cut < m.end():
                        faults.append(f"{where}: the name {name} broken")
            context = normal(joined)
            if len(context.split()) > 1 and any(context in text for text in unbroken):
                faults.append(f"{where}: a break in a heading, title or bullet")
    return faults


def test_hyphenation_follows_the_rules_on_every_page(full_build, packs_made):
    out, _, _ = full_build
    protected, found = names(), {}
    for label, html, pdf, _ in every_pdf(out, packs_made):
        if faults := hyphenation_faults(pdf, html, protected):
            found[label] = faults
    assert found == {}, "\n".join(f"{label}: {f}" for label, fs in found.items() for f in fs)


# 7. Measure: body lines of 60-75 characters --------------------------------------------------------
MEASURE = (60, 75)


def body_paragraphs(html: Path) -> list[str]:
    """The running text of a page: its paragraphs outside tables, boxes, slides and notes."""
    main = page_element(html)
    out = []
    for p in main.iter("p"):
        if not any(a.tag in ("table", "aside", "header", "dl") or {"slide", "notes", "sample-note", "facts"}
                   & set((a.get("class") or "").split()) for a in p.iterancestors()):
            out.append(normal(text_of(p)))
    return out


def full_lines(pdf: Path, paragraphs: list[str]) -> list[str]:
    """The drawn lines of the running text, except each paragraph's last."""
    found = []
    for lines in drawn_lines(pdf):
        for line in lines:
            text = normal(" ".join(line))
            if text.endswith(HYPHEN):
                text = text[:-1]
            if len(text) > 20 and any(text in p and not p.endswith(text) for p in paragraphs):
                found.append(" ".join(line))
    return found


def test_running_text_has_a_comfortable_measure(full_build, packs_made):
    out, _, _ = full_build
    found = {}
    for label, html, pdf, kind in every_pdf(out, packs_made):
        if kind not in ("programme", "invitation"):
            continue
        lengths = sorted(len(line) for line in full_lines(pdf, body_paragraphs(html)))
        assert lengths, f"{label}: no running text found"
        median = lengths[len(lengths) // 2]
        if not (MEASURE[0] <= median and lengths[-1] <= MEASURE[1]):
            found[label] = f"median {median}, longest {lengths[-1]} characters"
    assert found == {}, f"lines outside {MEASURE[0]}-{MEASURE[1]} characters: {found}"


# 8. Page budgets, and what never stands alone at a page's top or foot ------------------------------
BUDGET = {"invitation": 1, "agenda": 2, "programme": 2}


def test_each_kind_keeps_its_page_budget(full_build, packs_made):
    out, _, _ = full_build
    over = {label: pages_of(pdf) for label, _, pdf, kind in every_pdf(out, packs_made)
            if kind in BUDGET and pages_of(pdf) > BUDGET[kind]}
    assert over == {}, f"pages over the budget {BUDGET}: {over}"


def page_ends(pdf: Path) -> list[tuple[str, str]]:
    """(the last text line, the first text line after it) at each page break, without the running footer."""
    pages = [[normal(" ".join(l)) for l in lines if l] for lines in drawn_lines(pdf)]
    body = []
    for lines in pages:
        while lines and re.search(r"\d+\s*\S*\s*\d+$", lines[-1]) and len(lines[-1]) < 40:
            lines = lines[:-1]  # the page number ("Page 1 of 2", "Sivu 1/2")
        body.append(lines)
    ends = []
    for this, following in zip(body, body[1:]):
        first = following[0] if following else ""
        ends.append((this[-1] if this else "", first))
    return ends


def test_no_heading_sign_off_or_contact_box_stands_alone_at_a_page_top_or_foot(full_build, packs_made):
    out, _, _ = full_build
    found = {}
    for label, html, pdf, kind in every_pdf(out, packs_made):
        if kind == "handout":
            continue  # a fixed number of slides a page; their titles sit in frames
        main = page_element(html)
        headings = {normal(text_of(el)) for el in main.iter("h2", "h3", "caption")}
        paragraphs = [normal(text_of(p)) for p in main.iter("p")]
        closing = {normal(text_of(el)) for el in main.find_class("contact")} | set(paragraphs[-2:])
        title = normal(text_of(main.find(".//h1")))
        for n, (last, first) in enumerate(page_ends(pdf), 1):
            if last in headings:
                found.setdefault(label, []).append(f"page {n} ends with the heading {last!r}")
            if first.startswith(title):
                first = first[len(title):].strip()
            if first and any(c.startswith(first) for c in closing):
                found.setdefault(label, []).append(f"page {n + 1} opens with the closing {first!r}")
    assert found == {}, found


def test_a_second_page_is_not_opened_by_a_paragraphs_one_word_last_line(full_build, packs_made):
    out, _, _ = full_build
    found = {}
    for label, html, pdf, kind in every_pdf(out, packs_made):
        paragraphs = [normal(text_of(el)) for el in page_element(html).iter("p", "li")]
        labels = unbroken_texts(html)
        for n, lines in enumerate(drawn_lines(pdf)[1:], 2):
            text = [normal(" ".join(l)) for l in lines if l]
            # A line of one word that ends a paragraph begun on the page before (not a label)
            if text and " " not in text[0] and text[0] not in labels \
                    and any(p.endswith(text[0]) and p != text[0] for p in paragraphs):
                found[f"{label} page {n}"] = text[0]
    assert found == {}, found


# 9. A plain build says in words what a pack fills in ------------------------------------------------
def test_a_plain_build_says_in_words_what_a_pack_fills_in(full_build):
    out, _, _ = full_build
    bracketed = {}
    for lang, doc in documents(out):
        text = pdf_text(out / lang / f"{doc}.pdf") + text_of(page_element(out / lang / f"{doc}.html"))
        if found := sorted(set(re.findall(r"\[[^\]\d]{2,40}\]", text))):
            bracketed[f"{lang}/{doc}"] = found
    assert bracketed == {}, f"placeholders that read as unfinished: {bracketed}"
    words = {"en": "to be announced", "fi": "ilmoitetaan myöhemmin", "nl": "volgt nog"}
    for lang, said in words.items():
        assert said in normal(pdf_text(out / lang / "invitation-training.pdf")), lang


def test_a_last_page_is_not_left_nearly_empty(full_build, packs_made):
    """A document that takes a second page fills at least a third of its last one (one row of an
    agenda alone on a page is what a typesetter sends back)."""
    out, _, _ = full_build
    found = {}
    for label, _, pdf, kind in every_pdf(out, packs_made):
        if kind == "handout" or pages_of(pdf) < 2:
            continue
        xml = subprocess.run(["pdftotext", "-bbox-layout", "-f", str(pages_of(pdf)), "-l", str(pages_of(pdf)), str(pdf), "-"],
                             capture_output=True, check=True).stdout.decode("utf-8")
        page = lxml.html.fromstring(xml).find(".//page")
        height = float(page.get("height"))
        foot = height - 18 * 72 / 25.4  # the bottom margin: the running footer and the page number
        bottoms = sorted(float(line.get("ymax")) for line in page.iter("line") if float(line.get("ymin")) < foot)
        if not bottoms or bottoms[-1] < height / 3:
            found[label] = f"its last page is filled to {bottoms[-1] / height:.0%} of its height" if bottoms else "empty"
    assert found == {}, found


# 10. A page count only where there is more than one page ----------------------------------------
def page_label(lang: str, page: int, pages: int) -> str:
    """The running footer's "Page 2 of 5" in the page's language, from its catalog."""
    from materials.render.html import PAGE_LABEL
    from materials.sources.catalogs import compiled, po_path, read_catalog
    from tree import ROOT

    label = PAGE_LABEL if lang == "en" else compiled(read_catalog(po_path(ROOT / "locale", lang), ROOT)).gettext(PAGE_LABEL)
    return label % {"page": page, "pages": pages}


def test_a_one_page_document_has_no_page_count_and_a_longer_one_has_it_on_every_page(full_build, packs_made):
    out, _, _ = full_build
    found = {}
    for label, html, pdf, _ in every_pdf(out, packs_made):
        lang = lxml.html.fromstring(html.read_bytes()).get("lang")
        pages = pages_of(pdf)
        for page in range(1, pages + 1):
            text = normal(pdf_text(pdf, page))
            counted = normal(page_label(lang, page, pages)) in text
            if counted != (pages > 1):
                found[f"{label} page {page}"] = "its page count" if pages > 1 else f"{page_label(lang, 1, 1)!r}"
    assert found == {}, f"one-page documents with a page count, or longer ones without: {found}"


# 11. WeasyPrint reads the stylesheets and pages without a warning ----------------------------------
def test_laying_out_the_pages_logs_no_weasyprint_warning(full_build, project, packs_made, monkeypatch, caplog):
    """Every kind of page in every language, and a pack's, laid out as the build does, with the
    stylesheets parsed afresh: nothing WeasyPrint would log (an invalid value, an unknown property,
    a media query it cannot read)."""
    import logging

    from materials.build import pdf_job
    from materials.render import pdf

    out, _, _ = full_build
    monkeypatch.setattr(pdf, "_worker", {})  # the parsed stylesheets of earlier tests: parse them again
    seen, jobs = set(), []
    for label, html, _, kind in every_pdf(out, packs_made):
        lang = lxml.html.fromstring(html.read_bytes()).get("lang")
        pack = "/" in label and label.split("/")[0] not in LANGS
        if (kind, lang, pack) in seen:
            continue
        seen.add((kind, lang, pack))
        jobs.append((label, pdf_job(project, out, lang, html.stem, html.read_text(encoding="utf-8"),
                                    base=out if pack else None)))  # a pack's pages load assets/ as the pack makes them
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        for label, job in jobs:
            caplog.clear()
            pdf.lay_out(job)
            assert [r.getMessage() for r in caplog.records if r.name.startswith("weasyprint")] == [], label


# 12. The programme's page used in full: side heads beside a text column of 60-75 characters ------
MM = 96 / 25.4  # CSS px


@pytest.mark.parametrize("lang", LANGS)
def test_the_programme_sets_its_headings_beside_the_text_in_a_column_of_their_own(full_build, project, lang):
    """Each section's heading stands left of its text, level with its first line; heading and
    text columns together span the page's text area (no wide empty margin on the right), while
    the text keeps its measure (test 7)."""
    from materials.build import pdf_job
    from materials.render.pdf import lay_out

    out, _, _ = full_build
    html = (out / lang / "programme.html").read_text(encoding="utf-8")
    document = lay_out(pdf_job(project, out, lang, "programme", html))
    found, headings = [], 0
    for number, page in enumerate(document.pages, 1):
        area = content_area(page._page_box)
        for section, _ in boxes(page._page_box):
            if section.element_tag != "section" or type(section).__name__ != "BlockBox":
                continue
            right = section.content_box_x() + section.width
            if area[2] - right > 15 * MM:
                found.append(f"page {number}: the text ends {(area[2] - right) / MM:.0f} mm before the right margin")
            heading = next((b for b in section.children if b.element_tag == "h2"), None)
            first = next((b for b in section.children if b.element_tag in ("p", "ul")), None)
            if heading is None or first is None:
                continue  # a section continued from the page before
            headings += 1
            if heading.border_box_x() + heading.border_width() > section.content_box_x() - 5 * MM:
                found.append(f"page {number}: the heading {text_of(heading.element)!r} is not beside its text")
            if abs(heading.border_box_y() - first.content_box_y()) > 3 * MM:
                found.append(f"page {number}: the heading {text_of(heading.element)!r} is not level with its text")
    assert headings >= 8 and found == [], found

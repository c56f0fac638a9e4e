"""What the reader sees, on every PDF of a full build in every language: the words of the page
are all in the PDF's text and none is drawn twice, nothing is cut off by a box that clips, each
slide fits its frame, only the pinned fonts are embedded, and a handout has its page budget."""

from __future__ import annotations

import math
import re
import subprocess
import unicodedata
from pathlib import Path

import lxml.html
import pytest
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
    """The page's <main> (or <body>), without what only the screen shows."""
    element = lxml.html.fromstring(html.read_bytes()).find(f".//{part}")
    for el in list(element.iter()):
        classes = set((el.get("class") or "").split())
        if el.tag in ("script", "style", "button") or classes & set(SCREEN_ONLY):
            el.drop_tree()
    return element


BLOCKS = {"address", "blockquote", "br", "caption", "dd", "div", "dl", "dt", "figcaption", "figure", "footer", "h1",
          "h2", "h3", "h4", "header", "li", "main", "nav", "ol", "p", "section", "table", "td", "th", "tr", "ul"}


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


def beyond(box, area: tuple[float, float, float, float]) -> float:
    """How far (px) the box's border box reaches outside area (left, top, right, bottom)."""
    left, top = box.border_box_x(), box.border_box_y()
    right, bottom = left + box.border_width(), top + box.border_height()
    return max(area[0] - left, area[1] - top, right - area[2], bottom - area[3], 0)


def content_area(box):
    x, y = box.content_box_x(), box.content_box_y()
    return x, y, x + box.width, y + box.height


def padding_area(box):
    x, y = box.padding_box_x(), box.padding_box_y()
    return x, y, x + box.padding_width(), y + box.padding_height()


def cut_off(page_box) -> list[str]:
    """Descendants that reach out of a box that clips (overflow other than visible) or out of a
    slide's frame. In-flow content must stay in the content box; an absolutely positioned box
    (the slide's number) in the padding box, where clipping cuts."""
    found = []
    for box, parent in boxes(page_box):
        if box.element is None or (parent is not None and parent.element is box.element):
            continue  # anonymous boxes and the inner boxes of an element: its own box decides
        frame = "slide" in classes(box)
        clips = box.style["overflow"] != "visible" and "visually-hidden" not in classes(box)
        if not (frame or clips):
            continue
        stack = [(child, False) for child in box.all_children()]
        while stack:
            inner, positioned = stack.pop()
            positioned = positioned or inner.is_absolutely_positioned()
            reach = beyond(inner, padding_area(box) if positioned else content_area(box))
            if reach > TOLERANCE:
                found.append(f"{describe(inner)} reaches {reach * 25.4 / 96:.1f} mm out of {describe(box)}")
            stack.extend((child, positioned) for child in inner.all_children())
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
            for problem in cut_off(page._page_box):
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


# 4. Page budget of a handout, and the same slides on each page ----------------------------------
@pytest.mark.parametrize("lang", LANGS)
def test_handouts_take_their_page_budget_with_a_fixed_number_of_slides_per_page(full_build, lang):
    out, _, _ = full_build
    for doc in ("handout-introductory-meeting", "handout-training"):
        main = page_element(out / lang / f"{doc}.html")
        labels = [normal(text_of(el)) for el in main.find_class("slide-number")]
        assert labels, f"{lang}/{doc}: no slides"
        pdf = out / lang / f"{doc}.pdf"
        pages = int(re.search(r"^Pages:\s+(\d+)", subprocess.run(["pdfinfo", str(pdf)], capture_output=True,
                                                                  text=True).stdout, re.M)[1])
        assert pages == INTRO_PAGES + math.ceil(len(labels) / SLIDES_PER_PAGE), f"{lang}/{doc}: {pages} pages"
        for page in range(INTRO_PAGES + 1, pages + 1):
            text = normal(pdf_text(pdf, page))
            first = (page - INTRO_PAGES - 1) * SLIDES_PER_PAGE
            shown = [label for label in labels if re.search(re.escape(label) + r"(?!\d)", text)]
            assert shown == labels[first:first + SLIDES_PER_PAGE], f"{lang}/{doc} page {page}: {shown}"


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


def test_a_slide_that_cannot_fit_is_a_build_error_naming_its_line(tmp_path):
    _, line, error = built_or_error(tmp_path, 12)
    assert error == (f"content/en/handout-training.md:{line}: slide 'Fuel and gut feeling' does not fit its frame;"
                     " shorten it or split it")

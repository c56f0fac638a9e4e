"""The build's real outputs: every document in every language, HTML and PDF, and the manifest."""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
from html.parser import HTMLParser

import pytest
from pypdf import PdfReader

LANGS = ("en", "fi", "nl")
# A few very common words of each language, for "is this text in its language?"
STOPWORDS = {
    "en": {"the", "and", "of", "to", "in", "is", "with", "for"},
    "fi": {"ja", "on", "että", "se", "joka", "ovat", "kanssa", "tai", "myös"},
    "nl": {"de", "het", "en", "van", "een", "in", "is", "met", "voor"},
}
PAGE_LABEL = {"en": r"Page 1 of \d+", "fi": r"Sivu 1/\d+", "nl": r"Pagina 1 van \d+"}


def words(text: str) -> list[str]:
    return re.findall(r"[a-zåäöéëïü]+", text.lower())


def language_score(text: str, lang: str) -> float:
    w = words(text)
    return sum(1 for x in w if x in STOPWORDS[lang]) / max(len(w), 1)


def test_every_document_in_every_language_in_both_formats(full_build, project):
    out, _, manifest = full_build
    outputs = manifest["outputs"]
    assert len(project.documents) == 10
    assert len(outputs) == 3 * 10 * 2
    seen = {(o["lang"], o["doc"], o["format"]) for o in outputs}
    for lang in LANGS:
        for doc in project.documents:
            for fmt in ("html", "pdf"):
                assert (lang, doc, fmt) in seen
                assert (out / lang / f"{doc}.{fmt}").is_file()


def test_manifest_hashes_kinds_and_paths_match_files(full_build, project):
    out, _, manifest = full_build
    for o in manifest["outputs"]:
        data = (out / o["path"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == o["sha256"]
        assert o["kind"] == project.documents[o["doc"]].kind
        assert o["path"] == f"{o['lang']}/{o['doc']}.{o['format']}"
    kinds = {o["kind"] for o in manifest["outputs"]}
    assert kinds == {"programme", "agenda", "handout", "invitation", "workbook"}


@pytest.mark.parametrize("lang", LANGS)
def test_pdfs_are_a4_tagged_with_embedded_fonts_and_text_in_their_language(full_build, project, lang):
    out, _, _ = full_build
    for doc in project.documents:
        reader = PdfReader(out / lang / f"{doc}.pdf")
        page = reader.pages[0]
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        assert abs(width - 595.28) < 1 and abs(height - 841.89) < 1, doc
        text = "\n".join(p.extract_text() for p in reader.pages)
        # The localised page count, on a document of more pages than one (test_pages: none on one page).
        assert bool(re.search(PAGE_LABEL[lang], text)) == (len(reader.pages) > 1), f"{doc}: no localised page label"
        scores = {other: language_score(text, other) for other in LANGS}
        assert max(scores, key=scores.get) == lang, (doc, scores)
        # Every font is embedded (a FontFile stream in its descriptor).
        fonts = []
        for p in reader.pages:
            for font in (p["/Resources"].get("/Font") or {}).values():
                font = font.get_object()
                descendant = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
                descriptor = descendant["/FontDescriptor"].get_object()
                fonts.append(descriptor["/FontName"])
                assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")), descriptor["/FontName"]
        assert any("Source" in str(f) for f in fonts)
        # Metadata: title, author, language; tagged.
        meta = reader.metadata
        assert meta.title and meta.author == "Inside Polarisation"
        root = reader.trailer["/Root"]
        assert str(root["/Lang"]).startswith(lang)
        assert "/StructTreeRoot" in root and root["/MarkInfo"]["/Marked"]


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.lang = None
        self.title = ""
        self.in_title = False
        self.links = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang")
        if tag == "title":
            self.in_title = True
        if tag == "a" and "href" in a:
            self.links.append((a["href"], a.get("hreflang")))

    def handle_endtag(self, tag):
        if tag == "title":
            self.in_title = False

    def handle_data(self, data):
        if self.in_title:
            self.title += data


@pytest.mark.parametrize("lang", LANGS)
def test_html_pages_have_lang_title_and_link_to_their_translations(full_build, project, lang):
    out, _, _ = full_build
    for doc in project.documents:
        parser = Links()
        html = (out / lang / f"{doc}.html").read_text(encoding="utf-8")
        parser.feed(html)
        assert parser.lang == lang
        assert parser.title.strip()
        for other in LANGS:
            if other != lang:
                assert (f"../{other}/{doc}.html", other) in parser.links
                assert (out / other / f"{doc}.html").is_file()
        assert "@media print" in html and "@media screen" in html
        assert "{{" not in html and "{#" not in html


@pytest.mark.parametrize("lang", LANGS)
def test_index_page_lists_every_document(full_build, project, lang):
    out, _, _ = full_build
    parser = Links()
    parser.feed((out / lang / "index.html").read_text(encoding="utf-8"))
    hrefs = {h for h, _ in parser.links}
    for doc in project.documents:
        assert f"{doc}.html" in hrefs and f"{doc}.pdf" in hrefs


def test_plain_build_says_what_a_pack_fills_in_in_the_readers_language(full_build):
    out, _, _ = full_build
    assert "ilmoitetaan myöhemmin" in (out / "fi" / "invitation-training.html").read_text(encoding="utf-8")
    assert "volgt nog" in (out / "nl" / "agenda-training-day.html").read_text(encoding="utf-8")
    text = "".join(p.extract_text() for p in PdfReader(out / "fi" / "invitation-introductory-meeting.pdf").pages)
    assert "Kuntasi" in text and "kunnan ilmoittamana päivänä" in text


def test_agenda_times_come_from_the_schedule_and_are_localised(full_build, project):
    out, _, _ = full_build
    fi = (out / "fi" / "agenda-training-day.html").read_text(encoding="utf-8")
    en = (out / "en" / "agenda-training-day.html").read_text(encoding="utf-8")
    # Training day: sample start 09:00, 420 minutes -> ends 16:00.
    assert "9.00–16.00" in fi and "09:00–16:00" in en
    # The first item's slot (35 minutes) and the last (30 minutes before the end).
    assert "9.00–9.35" in fi and "15.30–16.00" in fi


def run_invoke(*args, cwd):
    return subprocess.run([sys.executable, "-m", "invoke", *args], cwd=cwd, capture_output=True, text=True)


def test_unknown_language_is_one_line_naming_the_known_ones(root):
    r = run_invoke("build", "--lang", "sv", cwd=root)
    assert r.returncode == 1
    assert "unknown language 'sv'" in r.stderr and "en, fi, nl" in r.stderr
    assert "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_unknown_document_names_the_known_ones(root):
    r = run_invoke("build", "--doc", "brochure", cwd=root)
    assert r.returncode == 1
    assert "unknown document 'brochure'" in r.stderr and "agenda-training-day" in r.stderr
    assert "Traceback" not in r.stderr


def test_the_landing_page_has_the_projects_look_and_a_viewport(full_build):
    out, _, _ = full_build
    html = (out / "index.html").read_text(encoding="utf-8")
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    fonts = re.findall(r'url\("([^"]+)"\)', html)
    assert fonts and all((out / f).is_file() for f in fonts) and "Source Sans Pro" in html
    assert all(f'href="{lang}/index.html"' in html for lang in ("en", "fi", "nl"))

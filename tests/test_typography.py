"""Typography per language on real sentences: hyphenation, quotation marks, dashes, spaces."""

from __future__ import annotations

import re
from html import unescape

import pytest
from pypdf import PdfReader

from materials.sources import catalogs
from materials.sources.loader import load
from materials.render.html import Renderer
from materials.render.typography import SOFT_HYPHEN, for_print, hyphenate, nbsp


def breaks(text: str) -> str:
    return text.replace(SOFT_HYPHEN, "-")


@pytest.mark.parametrize("word, expected", [
    ("polarisaatio", "po-la-ri-saa-tio"),
    ("kunnanvaltuusto", "kun-nan-val-tuusto"),
    # Compound-aware: the break falls at vastakkain|asettelu, never "vastakkai-nasettelu".
    ("vastakkainasettelu", "vas-tak-kain-aset-telu"),  # no break leaving under 3 letters
    ("polarisaatiota", "po-la-ri-saa-tiota"),
    ("asiantuntijaverkosto", "asian-tun-ti-ja-ver-kosto"),
])
def test_finnish_words_get_real_hyphenation_points(word, expected):
    assert breaks(hyphenate(word, "fi")) == expected


def test_finnish_hyphenation_touches_only_body_text():
    html = ('<html lang="fi"><head><title>Polarisaatio</title><style>.polarisaatio{}</style></head>'
            '<body><h1 class="polarisaatio">Polarisaatio</h1><p class="doc-kind">Diamateriaali</p>'
            '<p>Kunnanvaltuusto ja <em>polarisaatio</em> klo 9.00</p><table><tr><th>Osallistujat</th>'
            '<td>Kunnanvaltuusto</td></tr></table></body></html>')
    out = for_print(html, "fi")
    assert "<title>Polarisaatio</title>" in out and ".polarisaatio{}" in out and 'class="polarisaatio"' in out
    # Body text is hyphenated; headings and labels in spaced capitals are not (a soft hyphen there
    # would take the letter spacing and copy from the PDF as a gap).
    assert breaks(out).count("Kun-nan-val-tuusto") == 2 and "<em>po-la-ri-saa-tio</em>" in breaks(out)
    assert ">Polarisaatio</h1>" in out and ">Diamateriaali</p>" in out and ">Osallistujat</th>" in out
    assert for_print(html, "en") == html  # English and Dutch: WeasyPrint's own hyphenation (pyphen)


def test_non_breaking_spaces_where_the_language_wants_them():
    assert nbsp("alkaa klo 9.00", "fi") == "alkaa klo\u00a09.00"
    assert nbsp("enintään 16 osallistujaa", "fi") == "enintään 16\u00a0osallistujaa"
    assert nbsp("at most 16 participants", "en") == "at most 16\u00a0participants"


@pytest.fixture(scope="module")
def renderers(project, root):
    out, sources = {}, load(root)
    for code, lang in project.languages.items():
        out[code] = Renderer(project, code, catalogs.compiled(sources.catalogs.get(code)))
    return out


@pytest.mark.parametrize("lang, source, expected", [
    ("en", 'An image of "us" and "them", and a \'roll-out\'.', "An image of “us” and “them”, and a ‘roll-out’."),
    ("fi", 'Kuva "meistä" ja "heistä", ei \'levitystä\'.', "Kuva ”meistä” ja ”heistä”, ei ’levitystä’."),
    ("nl", 'Een beeld van "wij" en "zij", geen \'uitrol\'.', "Een beeld van “wij” en “zij”, geen ‘uitrol’."),
    ("en", "The group's work -- in pairs.", "The group’s work – in pairs."),
])
def test_each_language_gets_its_own_quotation_marks(renderers, lang, source, expected):
    html = renderers[lang]._markdown(source)
    assert unescape(html) == f"<p>{expected}</p>"


def test_time_ranges_use_an_en_dash_in_every_language(full_build):
    out, _, _ = full_build
    for lang, pattern in (("en", r"09:00–09:30"), ("fi", r"9\.00–9\.30"), ("nl", r"09:00–09:30")):
        assert re.search(pattern, (out / lang / "agenda-training-day.html").read_text(encoding="utf-8"))


@pytest.mark.parametrize("lang", ["en", "fi", "nl"])
def test_pdf_lines_break_with_hyphens_in_every_language(full_build, project, lang):
    out, _, _ = full_build
    text = "\n".join(page.extract_text() for doc in project.documents
                     for page in PdfReader(out / lang / f"{doc}.pdf").pages)
    hyphenated = [line for line in text.split("\n") if re.search(r"\w[\u2010-]$", line)]
    assert len(hyphenated) >= 3, f"{lang}: no hyphenated line ends"

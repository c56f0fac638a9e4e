"""Typography per language on real sentences: hyphenation, quotation marks, dashes, spaces."""

from __future__ import annotations

import re
from html import unescape

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from materials.sources import catalogs
from materials.sources.loader import load
from materials.render import html as html_module
from materials.render.html import Renderer
from materials.render.typography import SOFT_HYPHEN, for_print, hyphenate, mark_names, nbsp


def breaks(text: str) -> str:
    return text.replace(SOFT_HYPHEN, "-")


@pytest.mark.parametrize("word, expected", [
    ("polarisaatio", "pola-ri-saa-tio"),  # at least 3 letters on each side of a break
    ("kunnanvaltuusto", "kun-nan-val-tuusto"),
    # Compound-aware: the break falls at vastakkain|asettelu, never "vastakkai-nasettelu".
    ("vastakkainasettelu", "vas-tak-kain-aset-telu"),  # no break leaving under 3 letters
    ("polarisaatiota", "pola-ri-saa-tiota"),
    ("asiantuntijaverkosto", "asian-tun-ti-ja-ver-kosto"),
])
def test_finnish_words_get_real_hyphenation_points(word, expected):
    assert breaks(hyphenate(word, "fi")) == expected


def test_finnish_hyphenation_touches_only_body_text():
    html = ('<html lang="fi"><head><title>Polarisaatio</title><style>.polarisaatio{}</style></head>'
            '<body><h1 class="polarisaatio">Polarisaatio</h1><p class="doc-kind">Diamateriaali</p>'
            '<p>Kunnanvaltuusto ja <em>polarisaatio</em> klo 9.00</p><table><tr><th>Osallistujat</th>'
            '<td>Kunnanvaltuusto kokoontuu</td></tr></table></body></html>')
    out = for_print(html, "fi")
    assert "<title>Polarisaatio</title>" in out and ".polarisaatio{}" in out and 'class="polarisaatio"' in out
    # Body text is hyphenated; headings and labels in spaced capitals are not (a soft hyphen there
    # would take the letter spacing and copy from the PDF as a gap).
    assert breaks(out).count("Kun-nan-val-tuusto") == 2 and "<em>pola-ri-saa-tio</em>" in breaks(out)
    assert ">Polarisaatio</h1>" in out and ">Diamateriaali</p>" in out and ">Osallistujat</th>" in out


# English and Dutch break points, each checked against a dictionary's division of the word
# (English: Collins and Merriam-Webster, where both allow it; Dutch: the Woordenlijst). A word
# broken nowhere is allowed: fewer breaks, never a wrong one.
DICTIONARY = {
    "en": {"experience": "ex-pe-ri-ence", "difference": "dif-fer-ence", "knowledge": "knowl-edge|know-ledge",
           "polarisation": "po-lar-i-sa-tion", "municipality": "mu-nic-i-pal-i-ty", "participants": "par-tic-i-pants",
           "introductory": "in-tro-duc-to-ry", "professionals": "pro-fes-sion-als", "neighbourhoods": "neigh-bour-hoods",
           "together": "to-geth-er", "discipline": "dis-ci-pline", "situation": "sit-u-a-tion",
           "specialists": "spe-cial-ists", "intervision": "in-ter-vi-sion", "strategy": "strat-e-gy",
           "understand": "un-der-stand", "deliberate": "de-lib-er-ate"},
    "nl": {"polarisatiekader": "po-la-ri-sa-tie-ka-der", "introductiebijeenkomst": "in-tro-duc-tie-bij-een-komst",
           "verdiepingssessie": "ver-die-pings-ses-sie", "specialistenpool": "spe-ci-a-lis-ten-pool",
           "beleidsmakers": "be-leids-ma-kers", "samenwerking": "sa-men-wer-king", "trainingsdag": "trai-nings-dag",
           "gedachteconstructie": "ge-dach-te-con-struc-tie", "gemeentelijke": "ge-meen-te-lij-ke",
           "ervaringen": "er-va-rin-gen", "deelnemers": "deel-ne-mers", "bruggenbouwer": "brug-gen-bou-wer",
           "onderbuikgevoelens": "on-der-buik-ge-voe-lens", "vakgebieden": "vak-ge-bie-den"},
}


@pytest.mark.parametrize("lang", ["en", "nl"])
def test_english_and_dutch_break_only_where_a_dictionary_does(lang):
    wrong = {}
    for word, divisions in DICTIONARY[lang].items():
        points = [{len(part) for part in _prefixes(d)} for d in divisions.split("|")]
        ours = {len(part) for part in _prefixes(breaks(hyphenate(word, lang)))}
        if not any(ours <= p for p in points) or any(len(word) - i < 3 or i < 3 for i in ours):
            wrong[word] = breaks(hyphenate(word, lang))
    assert wrong == {}, f"{lang}: breaks no dictionary has: {wrong}"


def _prefixes(division: str) -> list[str]:
    """'ex-pe-ri-ence' -> ['ex', 'expe', 'experi']: the letters before each break."""
    parts = division.split("-")
    return ["".join(parts[:i]) for i in range(1, len(parts))]


def test_no_soft_hyphen_in_names_headings_bullets_slides_or_a_paragraphs_last_word():
    html = ('<html><body><h2>Introductory meeting</h2><p>The <span class="name">Inside Polarisation</span> '
            'participants share their experience.</p><ul><li>Professionals together</li></ul>'
            '<ol><li class="slide-row"><section class="slide"><p>Participants together</p></section>'
            '<div class="notes"><p>Participants bring their experience.<br>Municipality</p></div></li></ol>'
            '<table><tr><th scope="row" class="item"><span class="item-title">Introductory</span>'
            '<p>Participants introduce themselves.</p></th></tr></table></body></html>')
    out = breaks(for_print(html, "en"))
    assert "<h2>Introductory meeting</h2>" in out and "Inside Polarisation</span>" in out
    assert "par-ticipants share their experience." in out  # the last word whole
    assert "<li>Professionals together</li>" in out and "<p>Participants together</p>" in out
    assert "<p>Par-ticipants bring their experience.<br>Municipality</p>" in out  # notes: running text
    assert ">Introductory</span><p>Par-ticipants intro-duce themselves.</p>" in out
    # What an element holds is skipped with it, however deeply the same element nests inside.
    side = breaks(for_print('<body><div class="letter-side"><dl><div><dd>participants</dd></div></dl>'
                            '<p>Participants together</p></div><p>Participants again</p></body>', "en"))
    assert "<p>Participants together</p></div><p>Par-ticipants again</p>" in side


def test_names_are_marked_in_any_inflected_form():
    names = ("Inside Polarisation", "Rotterdam", "Genk")
    assert mark_names("Inside Polarisation toimi Rotterdamissa ja Genkissä &amp; Genkiläinen", names) == (
        '<span class="name">Inside Polarisation</span> toimi <span class="name">Rotterdamissa</span> ja '
        '<span class="name">Genkissä</span> &amp; <span class="name">Genkiläinen</span>')
    assert mark_names("Polarisation in Rotterdam's Markt", names) == 'Polarisation in <span class="name">Rotterdam</span>\'s Markt'


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
    for lang, pattern in (("en", r"09:00–09:35"), ("fi", r"9\.00–9\.35"), ("nl", r"09:00–09:35")):
        assert re.search(pattern, (out / lang / "agenda-training-day.html").read_text(encoding="utf-8"))


@pytest.mark.parametrize("lang", ["en", "fi", "nl"])
def test_pdf_lines_break_with_hyphens_in_every_language(full_build, project, lang):
    out, _, _ = full_build
    text = "\n".join(page.extract_text() for doc in project.documents
                     for page in PdfReader(out / lang / f"{doc}.pdf").pages)
    hyphenated = [line for line in text.split("\n") if re.search(r"\w[\u2010-]$", line)]
    assert len(hyphenated) >= 3, f"{lang}: no hyphenated line ends"


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet=st.sampled_from(list("ab {}%#\n\r-.")), max_size=40))
def test_a_text_without_expressions_is_what_jinja_would_make_of_it(renderers, text):
    """A content text with no expression is not compiled (html.EXPRESSION): what the shortcut
    gives must be, byte for byte, what Jinja gives."""
    renderer = renderers["en"]
    try:
        expected = renderer.content_env.render(renderer.content_env.from_string(text), {})
    except Exception:  # not valid Jinja: the shortcut must not take it
        assert html_module.EXPRESSION.search(text)
        return
    assert renderer._jinja(text, {}, None, 1) == expected

"""`invoke check`'s reviewer's eye (rules/review.py): one tree per defect with exactly that defect,
a set of legitimate translator choices that must pass, and the measures the rules' bounds rest on.

Every tree is a copy of the project's own (clean) content with one edit, as in test_check.py.
The defects are the ones a reviewer catches: English (or another language) left in a sentence,
a list item or the front matter; a misspelled word; a paragraph or sentence lost or added; a
glossary term written two ways in a section; an unpaired quotation mark or bracket; a repeated
word; a link to another site, or dropped. Counts (the closing lines of this file assert them):
DEFECTS has 26 trees, every one caught with exactly its code; LEGITIMATE has 17, none with a
finding.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from pathlib import Path

import pytest
from tree import copy_project

from materials.rules import identify
from materials.rules.checks import CODES, WARNINGS, check
from materials.rules.review import Reviewer, letters
from materials.rules.segments import Block, blocks, plain, sentences
from materials.sources.content import read_content
from materials.sources.loader import load
from materials.translators.translation import stamp_translation

PROJECT = Path(__file__).resolve().parent.parent


def line_of(rel: str, text: str) -> int:
    """The line of the project's file that holds `text` (a fixture's expected line follows the file)."""
    return next(n for n, line in enumerate((PROJECT / rel).read_text(encoding="utf-8").splitlines(), 1) if text in line)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"fixture edit: {old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def drop_paragraph(path: Path, starting: str) -> None:
    text = path.read_text(encoding="utf-8")
    i = text.index(starting)
    path.write_text(text[:i] + text[text.index("\n\n", i) + 2:], encoding="utf-8")


@pytest.fixture
def tree(tmp_path):
    return copy_project(tmp_path / "p", municipalities=False, tasks=False)


def c(tree: Path, name: str) -> Path:
    return tree / "content" / name


ROTTERDAM = {"en": "https://www.rotterdam.nl/en/", "fi": "https://www.rotterdam.nl/", "nl": "https://www.rotterdam.nl/"}
TESTED = {"en": "among them Rotterdam and Genk", "fi": "muun muassa Rotterdamissa ja Genkissä",
          "nl": "waaronder Rotterdam en Genk"}


def with_links(tree: Path, fi: str | None = ROTTERDAM["fi"]) -> None:
    """The programme links Rotterdam's site: in English its English pages, in the translations
    its own pages (fi: `fi`, or no link); the translations confirmed so."""
    for lang in ("en", "fi", "nl"):
        target = fi if lang == "fi" else ROTTERDAM[lang]
        words = TESTED[lang]
        linked = words.replace("Rotterdam", f"[Rotterdam]({target})", 1) if target else words
        edit(c(tree, f"{lang}/programme.md"), words, linked)
    for lang in ("fi", "nl"):
        stamp_translation(tree, lang, "programme", unchanged=("tested",) if lang == "fi" and not fi else ())


def confirmed(tree: Path, doc: str, section: str, change) -> None:
    """A change to the English whose translations are confirmed as needing none."""
    change()
    for lang in ("fi", "nl"):
        stamp_translation(tree, lang, doc, unchanged=(section,))


# code -> (what the translator did, language, document, line the finding names (None: any))
DEFECTS = {
    # English left: in the front matter, in one sentence of a paragraph, in one list item.
    "language-front-matter": ("language", lambda t: edit(c(t, "fi/programme.md"), "summary: Mikä polarisaation",
                              "summary: What the framework is and who starts it in a municipality. Mikä polarisaation"),
                              "fi", "programme", 4),
    "language-sentence-fi": ("language", lambda t: edit(c(t, "fi/programme.md"), "Kumpikin reitti johtaa samaan ohjelmaan.",
                             "Both routes lead to the same programme."), "fi", "programme", 11),
    "language-sentence-nl": ("language", lambda t: edit(c(t, "nl/programme.md"), "Beleidsmakers beslissen over koers en middelen.",
                             "Policy makers decide on direction and resources."), "nl", "programme", 15),
    "language-list-item": ("language", lambda t: edit(c(t, "nl/handout-training.md"), "- Een gemeenschappelijke taal spreken",
                           "- Speak one common language together"), "nl", "handout-training", None),
    "language-dutch-in-finnish": ("language", lambda t: edit(c(t, "fi/programme.md"), "Kumpikin reitti johtaa samaan ohjelmaan.",
                                  "Beide routes leiden naar hetzelfde programma."), "fi", "programme", 11),
    "untranslated-list-item": ("untranslated", lambda t: edit(c(t, "fi/handout-training.md"), "- Puhua yhteistä kieltä",
                               "- Speak a common language"), "fi", "handout-training", None),
    "untranslated-title": ("untranslated", lambda t: edit(c(t, "nl/programme.md"), "title: Het Polarisatiekader",
                           "title: The Polarisation Framework"), "nl", "programme", 2),
    # Spelling.
    "spelling-fi": ("spelling", lambda t: edit(c(t, "fi/programme.md"), "Kumpikin reitti", "Kumpikin reiti"), "fi", "programme", 11),
    "spelling-nl": ("spelling", lambda t: edit(c(t, "nl/programme.md"), "de beleidsmakers in", "de beleidsmakkers in"),
                    "nl", "programme", 15),
    "spelling-summary": ("spelling", lambda t: edit(c(t, "nl/programme.md"), "in gang zet", "in gang zett"), "nl", "programme", 4),
    "catalog-spelling": ("catalog-spelling", lambda t: edit(t / "locale/nl/LC_MESSAGES/messages.po", 'msgstr "Eigen aantekeningen"',
                         'msgstr "Eigen aantekenigen"'), "nl", "", line_of("locale/nl/LC_MESSAGES/messages.po",
                                                                            'msgid "Your own notes"')),
    # Lost or added.
    "missing-paragraph": ("missing-paragraph", lambda t: drop_paragraph(c(t, "nl/programme.md"), "De training is intensief."),
                          "nl", "programme", None),
    "extra-paragraph": ("extra-paragraph", lambda t: edit(c(t, "fi/programme.md"), "- tuottaa tuloksia kaupungissa.\n",
                        "- tuottaa tuloksia kaupungissa.\n\nOhjelmaa kehitetään jatkuvasti yhdessä kuntien kanssa, ja "
                        "sen sisältö päivitetään vuosittain.\n"), "fi", "programme", None),
    "missing-sentence": ("missing-sentence", lambda t: edit(c(t, "fi/programme.md"),
                         " Päättäjät puolestaan linjaavat suunnan ja päättävät resursseista.", ""), "fi", "programme", 15),
    "missing-sentence-nl": ("missing-sentence", lambda t: edit(c(t, "nl/programme.md"),
                            " Iedere deelnemer brengt eigen ervaring in en leert van collega's uit andere disciplines.", ""),
                            "nl", "programme", None),
    "extra-sentence": ("extra-sentence", lambda t: edit(c(t, "fi/programme.md"), "Kumpikin reitti johtaa samaan ohjelmaan.",
                       "Kumpikin reitti johtaa samaan ohjelmaan. Ohjelma on kaikille kunnille sama, ja sen tulokset "
                       "ovat olleet hyviä kaikkialla, missä sitä on kokeiltu, niin suurissa kuin pienissä kunnissa."),
                       "fi", "programme", 11),
    # A glossary term two ways in one section.
    "term-variant-fi": ("term-variant", lambda t: edit(c(t, "fi/handout-introductory-meeting.md"), "- Sillanrakentaja yrittää",
                        "- Siltojen rakentaja yrittää"), "fi", "handout-introductory-meeting", 149),
    "term-variant-nl": ("term-variant", lambda t: edit(c(t, "nl/handout-introductory-meeting.md"), "- De bruggenbouwer probeert",
                        "- De brugbouwer probeert"), "nl", "handout-introductory-meeting", 149),
    # Pairs and repetitions.
    "unpaired-quote": ("unpaired", lambda t: edit(c(t, "nl/handout-introductory-meeting.md"), "‘Wij’ en ‘zij’", "‘Wij en ‘zij’"),
                       "nl", "handout-introductory-meeting", 35),
    "unpaired-quote-fi": ("unpaired", lambda t: edit(c(t, "fi/programme.md"), "”polarisaation sisäiseen maailmaan”",
                          "”polarisaation sisäiseen maailmaan"), "fi", "programme", 27),
    "unpaired-bracket": ("unpaired", lambda t: edit(c(t, "fi/programme.md"), "(de)polarisaatiostrategiansa",
                         "(de)polarisaatiostrategiansa)"), "fi", "programme", 37),
    "repeated-word": ("repeated-word", lambda t: edit(c(t, "fi/programme.md"), "Kumpikin reitti johtaa", "Kumpikin reitti reitti johtaa"),
                      "fi", "programme", 11),
    "repeated-word-source": ("repeated-word", lambda t: confirmed(t, "programme", "where-it-starts",
                             lambda: edit(c(t, "en/programme.md"), "lead to the same", "lead to the the same")),
                             "en", "programme", 11),
    # Links: another site, or none.
    "link-other-site": ("link", lambda t: with_links(t, fi="https://example.org/rotterdam"), "fi", "programme", None),
    "link-dropped": ("link", lambda t: with_links(t, fi=None), "fi", "programme", None),
    # The project's word list itself.
    "word-list": ("word-list", lambda t: (t / "locale/words/nl.txt").write_text("casusinbrenger\ntwee woorden\n", encoding="utf-8"),
                  "nl", "", 2),
}


@pytest.mark.parametrize("name", sorted(DEFECTS))
def test_each_defect_is_caught_with_exactly_its_code(tree, name):
    code, damage, lang, doc, line = DEFECTS[name]
    damage(tree)
    report = check(tree)
    shown = [f"{f.code} {f.file}:{f.line} {f.message}" for f in report.findings]
    assert {f.code for f in report.findings} == {code}, shown
    [f, *_] = report.findings
    assert (f.lang, f.doc) == (lang, doc), shown
    assert line is None or f.line == line, shown
    assert f.severity == ("warning" if code in WARNINGS else "error") and f.message.endswith("."), shown
    assert f.code == "word-list" or f.acceptable  # a translator may accept it, with a reason


def swap_sentences(path: Path, first: str, second: str) -> None:
    edit(path, f"{first} {second}", f"{second} {first}")


# What a good translator may do: none of it is a finding.
LEGITIMATE = {
    "reordered-sentences": lambda t: swap_sentences(
        c(t, "fi/programme.md"), "Asuinalueilla työskentelevät ammattilaiset havaitsevat jännitteet usein jo varhaisessa vaiheessa.",
        "Päättäjät puolestaan linjaavat suunnan ja päättävät resursseista."),
    "reordered-sentences-nl": lambda t: swap_sentences(
        c(t, "nl/programme.md"), "Er is veel tijd voor casussen uit hun eigen vakgebied.",
        "Iedere deelnemer brengt eigen ervaring in en leert van collega's uit andere disciplines."),
    "split-sentence": lambda t: edit(c(t, "fi/programme.md"), "kehittää yhteisen kielen, josta on suurta hyötyä",
                                     "kehittää yhteisen kielen. Siitä on suurta hyötyä"),
    "merged-sentences": lambda t: edit(c(t, "nl/programme.md"), "in een vroeg stadium. Beleidsmakers beslissen",
                                       "in een vroeg stadium, en beleidsmakers beslissen"),
    "other-inflection": lambda t: edit(c(t, "fi/handout-introductory-meeting.md"), "- Sillanrakentaja yrittää yhdistää ääripäät",
                                       "- Sillanrakentajan tehtävä on yhdistää ääripäät"),
    "other-inflection-nl": lambda t: edit(c(t, "nl/handout-introductory-meeting.md"), "- Beide kanten kunnen de bruggenbouwer wantrouwen",
                                          "- Beide kanten kunnen bruggenbouwers wantrouwen"),
    "reworded-heading": lambda t: edit(c(t, "fi/programme.md"), "## Mistä ohjelma lähtee liikkeelle {#where-it-starts}",
                                       "## Ohjelman lähtökohdat {#where-it-starts}"),
    "reworded-heading-nl": lambda t: edit(c(t, "nl/programme.md"), "## Wijk en beleid verbinden {#connecting}",
                                          "## Brug tussen wijk en beleid {#connecting}"),
    "number-as-word": lambda t: edit(c(t, "fi/programme.md"), "## Vaihe 2: koulutus {#training}", "## Toinen vaihe: koulutus {#training}"),
    "number-as-word-nl": lambda t: edit(c(t, "nl/programme.md"), "## Stap 1: de introductiebijeenkomst",
                                        "## Eerste stap: de introductiebijeenkomst"),
    "local-language-link": lambda t: with_links(t),
    "straight-quotes": lambda t: edit(c(t, "fi/programme.md"), "”polarisaation sisäiseen maailmaan”", '"polarisaation sisäiseen maailmaan"'),
    "curly-apostrophe": lambda t: edit(c(t, "nl/programme.md"), "veel collega's een", "veel collega’s een"),
    "dutch-dat-dat": lambda t: edit(c(t, "nl/programme.md"), "Beide routes leiden naar hetzelfde programma.",
                                    "Het is duidelijk dat dat tot hetzelfde programma leidt."),
    "catalog-file-name-and-key": lambda t: edit(t / "locale/fi/LC_MESSAGES/messages.po", "avaa aluksi index.html",
                                                "avaa ensin index.html"),
    "project-word-inflected": lambda t: edit(c(t, "nl/agenda-intervision-meeting.md"), "De casusinbrenger beschrijft",
                                                                "De casusinbrengers beschrijven"),
    "name-inflected": lambda t: edit(c(t, "fi/programme.md"), "muun muassa Rotterdamissa ja Genkissä",
                                     "muun muassa Genkissä ja Rotterdamissa"),
}


@pytest.mark.parametrize("name", sorted(LEGITIMATE))
def test_a_legitimate_choice_is_no_finding(tree, name):
    LEGITIMATE[name](tree)
    report = check(tree)
    assert report.findings == [], [f"{f.code} {f.file}:{f.line} {f.message}" for f in report.findings]


def test_the_fixture_sets_and_every_new_code_has_its_level():
    new = {"language", "spelling", "missing-paragraph", "extra-paragraph", "missing-sentence", "extra-sentence",
           "term-variant", "unpaired", "repeated-word", "word-list", "catalog-spelling"}
    assert new <= set(CODES) and WARNINGS <= set(CODES)
    assert {code for code, *_ in DEFECTS.values()} >= new
    assert (len(DEFECTS), len(LEGITIMATE)) == (26, 17)  # the counts the docstring gives


# -- the measures the bounds rest on ---------------------------------------------------------

@pytest.fixture(scope="module")
def ours(root):
    """Every sentence, list item, heading and front matter value of our content, by language,
    with the names taken out (as the rule does)."""
    sources = load(root)
    names = sources.glossary.names
    out: dict[str, list[str]] = {}
    for (lang, _), content in sorted(sources.contents.items()):
        texts = [plain(str(v)) for v in content.meta.values()]
        texts += [s for section in content.sections for b in blocks(section) for s in sentences(b.text, lang)]
        for text in texts:
            for name in names:
                text = text.replace(name, " ")
            if words := re.findall(r"[^\W\d_]+(?:['’-][^\W\d_]+)*", text):
                out.setdefault(lang, []).append(" ".join(words))
    return sources, out


def test_lingua_names_the_language_of_our_sentences(ours):
    """lingua's low-accuracy mode, restricted to our three languages: right for 98.7% of our 1,103
    sentences and shorter texts, and for every one of five words or more; a list of function
    words, the simpler way, is right for fewer than 75%."""
    sources, texts = ours
    detector = identify.detector(tuple(sorted(sources.project.languages)))
    function_words = {"en": "the a an and or of to in on for with is are be that this it we you they not by from as at",
                      "fi": "ja on ei se että kun tai joka jotka ovat mitä miten sen ne he me te myös kanssa mutta niin kuin",
                      "nl": "de het een en of van in op voor met is zijn dat die dit we u ze niet door uit als bij aan te"}
    counts = Counter()
    for lang, items in texts.items():
        for text in items:
            found = detector.compute_language_confidence_values(text)[0].language.iso_code_639_1.name.lower()
            words = text.lower().split()
            votes = {l: sum(w in f.split() for w in words) for l, f in function_words.items()}
            counts["all"] += 1
            counts["lingua"] += found == lang
            counts["function words"] += max(votes, key=votes.get) == lang and sorted(votes.values())[-2] < votes[lang]
            if len(words) >= 5:
                counts["long"] += 1
                counts["lingua long"] += found == lang
    assert counts["all"] > 1000
    assert counts["lingua"] / counts["all"] >= 0.985, counts
    assert counts["lingua long"] == counts["long"], counts
    assert counts["function words"] / counts["all"] < 0.75, counts


def test_the_language_rule_finds_our_english_in_a_translation_and_never_flags_our_own(ours):
    """Each English text of four words or more put into Finnish or Dutch is found (at least 98%;
    measured: 1,142 of 1,149); none of our Finnish or Dutch texts is taken for another language."""
    sources, texts = ours
    codes = tuple(sources.project.languages)
    terms = {lang: {w.lower() for t in sources.glossary.terms for w in t.words.get(lang, "").split()} for lang in codes}

    def flagged(text: str, lang: str) -> bool:
        return identify.other_language([w for w in text.split() if w.lower() not in terms[lang]], lang, codes) is not None

    false_alarms = [(lang, t) for lang in ("fi", "nl") for t in texts[lang] if flagged(t, lang)]
    assert false_alarms == []
    english = [(t, lang) for t in texts["en"] for lang in ("fi", "nl")
               if len([w for w in t.split() if w.lower() not in terms[lang]]) >= identify.MIN_WORDS]
    caught = sum(flagged(t, lang) for t, lang in english)
    assert caught / len(english) >= 0.98, (caught, len(english))


def test_the_length_measure_sees_dropped_and_added_sentences_and_lets_splits_and_merges_be(ours):
    """On every paragraph and list item of ours (of MIN_LETTERS or more): dropping any one sentence
    is seen at least 90% of the time (measured: 341 of 364), adding one 70% (396 of 534); a merge
    or a split is taken for a loss or an addition at most 5% of the time (8 of 224, 1 of 151),
    reordering never, and our translations as they are never."""
    import random

    sources, _ = ours
    reviewer = Reviewer(sources.project, sources.glossary, sources.words)
    counts = Counter()
    for lang in ("fi", "nl"):
        pairs = [(s, t) for (l, d), tr in sources.contents.items() if l == lang
                 for s in sources.content("en", d).sections if (t := tr.section(s.id))]
        reviewer.calibrate(lang, pairs)
        pool = [x for _, t in pairs for b in blocks(t) for x in sentences(b.text, lang) if letters(x) >= 30]
        chance = random.Random(14)
        for s, t in pairs:
            for x, y in zip(blocks(s), blocks(t)):
                if x.kind == "heading" or letters(x.text) < 40:
                    continue
                ts = sentences(y.text, lang)

                def seen(parts, code) -> bool:
                    issues = reviewer.sentence_count(lang, s.id, x, Block(y.kind, y.part, y.line, " ".join(parts)),
                                                     reviewer.ratio[lang])
                    return any(i.code == code for i in issues)

                counts["as is"] += 1
                counts["as is, flagged"] += seen(ts, "missing-sentence") or seen(ts, "extra-sentence")
                for k in range(3):
                    counts["added"] += 1
                    counts["added, seen"] += seen(ts + (chance.choice(pool),), "extra-sentence")
                if len(ts) < 2:
                    continue
                for k in range(len(ts)):
                    counts["dropped"] += 1
                    counts["dropped, seen"] += seen(ts[:k] + ts[k + 1:], "missing-sentence")
                for k in range(len(ts) - 1):
                    merged = ts[:k] + (ts[k].rstrip(".!?") + ", " + ts[k + 1][0].lower() + ts[k + 1][1:],) + ts[k + 2:]
                    counts["merged"] += 1
                    counts["merged, flagged"] += seen(merged, "missing-sentence")
                counts["reordered"] += 1
                counts["reordered, flagged"] += seen(ts[1:] + ts[:1], "missing-sentence") or seen(ts[1:] + ts[:1], "extra-sentence")
                for k, sentence in enumerate(ts):
                    if ", " in sentence:
                        head, tail = sentence.split(", ", 1)
                        counts["split"] += 1
                        counts["split, flagged"] += seen(ts[:k] + (head + ".", tail[0].upper() + tail[1:]) + ts[k + 1:],
                                                         "extra-sentence")
    assert counts["as is, flagged"] == 0 and counts["reordered, flagged"] == 0, counts
    assert counts["dropped, seen"] / counts["dropped"] >= 0.9, counts
    assert counts["added, seen"] / counts["added"] >= 0.7, counts
    assert counts["merged, flagged"] / counts["merged"] <= 0.05, counts
    assert counts["split, flagged"] / counts["split"] <= 0.05, counts
    assert 1.0 < statistics.median([reviewer.ratio["fi"], reviewer.ratio["nl"]]) < 1.2


# -- glossary stems --------------------------------------------------------------------------------

def test_glossary_stems_do_not_match_unrelated_words():
    """A term's match key is no shorter than the word it is about: Dutch "bruggenbouwer" is not
    "brug" (bridge) nor "bruggen bouwen"; a short word of a term ("en", "ja") is itself."""
    from materials.sources.glossary import contains_term, tokens, word_key

    assert word_key("bruggenbouwer", "nl") == "bruggenbo"
    for text in ("een brug tussen groepen", "bruggen bouwen", "de brugklas"):
        assert not contains_term(tokens(text), "bruggenbouwer", "nl"), text
    assert not contains_term(tokens("openbare orde ene veiligheid"), "Openbare Orde en Veiligheid", "nl")
    assert not contains_term(tokens("yleisen järjestyksen jakso turvallisuuden"), "yleinen järjestys ja turvallisuus", "fi")
    assert contains_term(tokens("Yleisen järjestyksen ja turvallisuuden"), "yleinen järjestys ja turvallisuus", "fi")
    assert not contains_term(tokens("siltojen rakentaminen"), "sillanrakentaja", "fi")


def test_a_term_variant_is_made_of_the_terms_parts_and_nothing_else(root):
    """"bruggen bouwen" (building bridges) and "siltojen rakentaminen" are other words, not variants."""
    sources = load(root)
    reviewer = Reviewer(sources.project, sources.glossary, sources.words)
    nl, fi = reviewer.speller("nl"), reviewer.speller("fi")
    assert nl.bases("brugbouwer") == nl.bases("bruggenbouwer") == nl.bases("bruggen") + nl.bases("bouwer")
    assert nl.bases("bruggen") + nl.bases("bouwen") != nl.bases("bruggenbouwer")
    assert fi.bases("siltojen") + fi.bases("rakentaja") == fi.bases("sillanrakentaja")
    assert fi.bases("siltojen") + fi.bases("rakentaminen") != fi.bases("sillanrakentaja")


def test_the_projects_own_content_has_no_misspelling_and_no_english(root):
    report = check(root)
    assert [f for f in report.findings if f.code in ("spelling", "language", "term-variant")] == []
    assert read_content(root / "content/fi/programme.md", root, "fi", "programme").meta_line("summary") == 4

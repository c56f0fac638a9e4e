"""`invoke check`: one fixture tree per finding code, each with exactly that defect.

Each fixture is a copy of the project's own (clean) content with one edit; the test asserts the
code, language, document and file of what `check` reports, and that nothing else is reported.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from tree import copy_project
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from materials.errors import ProjectError
from materials.rules.checks import Checker, check
from materials.sources import stamps
from materials.translators.translation import stamp_translation
from materials.sources.content import ContentFile, Section, read_content
from materials.sources.loader import load
from materials.sources.glossary import contains_term
from materials.sources.project import load_project


def edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"fixture edit: {old!r} not in {path}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")


@pytest.fixture
def tree(tmp_path):
    """A copy of the project's content and catalogs (the clean tree)."""
    return copy_project(tmp_path / "p", municipalities=False, tasks=False)


def test_the_projects_own_content_is_clean(root):
    report = check(root)
    assert report.findings == [], [f"{f.code} {f.file}:{f.line} {f.message}" for f in report.findings]


def c(tree):
    return tree / "content"


DEFECTS = {
    "missing-document": (lambda t: (c(t) / "fi" / "programme.md").unlink(), "fi", "programme", "content/fi/programme.md"),
    "extra-document": (lambda t: shutil.copy(c(t) / "nl" / "programme.md", c(t) / "nl" / "brochure.md"),
                       "nl", "brochure", "content/nl/brochure.md"),
    "missing-section": (lambda t: edit(c(t) / "fi" / "programme.md", "## Asuinalueet ja päätöksenteko yhteen {#connecting}", ""),
                        "fi", "programme", "content/fi/programme.md"),
    "extra-section": (lambda t: (c(t) / "nl" / "programme.md").open("a").write("\n## Nog iets {#something-else}\n\nEen extra alinea.\n"),
                      "nl", "programme", "content/nl/programme.md"),
    "structure": (lambda t: edit(c(t) / "fi" / "handout-training.md", "- Puhua yhteistä kieltä\n", ""),
                  "fi", "handout-training", "content/fi/handout-training.md"),
    "placeholder": (lambda t: edit(c(t) / "fi" / "agenda-training-day.md", "{{ facts.max_group_size }}", "{{ facts.training_days }}"),
                    "fi", "agenda-training-day", "content/fi/agenda-training-day.md"),
    "number": (lambda t: edit(c(t) / "nl" / "agenda-training-day.md", "{#lunch}\n\n", "{#lunch}\n\nDeel 2. "),
               "nl", "agenda-training-day", "content/nl/agenda-training-day.md"),
    "link": (lambda t: edit(c(t) / "fi" / "programme.md", "{#aim}\n\n", "{#aim}\n\n[Lue lisää](https://example.org/) "),
             "fi", "programme", "content/fi/programme.md"),
    "image": (lambda t: edit(c(t) / "nl" / "programme.md", "{#aim}\n\n", "{#aim}\n\n![](diagram.png)\n\n"),
              "nl", "programme", "content/nl/programme.md"),
    "untranslated": (lambda t: edit(c(t) / "fi" / "agenda-training-day.md", "Lyhyt tauko, tarjolla kahvia ja teetä.",
                                    "A short break with coffee and tea."),
                     "fi", "agenda-training-day", "content/fi/agenda-training-day.md"),
    "glossary": (lambda t: edit(c(t) / "fi" / "handout-introductory-meeting.md", "- Sillanrakentaja\n", "- Rakentaja\n"),
                 "fi", "handout-introductory-meeting", "content/fi/handout-introductory-meeting.md"),
    "catalog": (lambda t: edit(t / "locale" / "fi" / "LC_MESSAGES" / "messages.po", 'msgstr "Sivu %(page)s/%(pages)s"',
                               'msgstr "Sivu %(sivu)s/%(pages)s"'),
                "fi", "", "locale/fi/LC_MESSAGES/messages.po"),
    "agenda": (lambda t: edit(c(t) / "project.yaml", "- {id: break, minutes: 10}\n      - {id: five-roles",
                              "- {id: break, minutes: 15}\n      - {id: five-roles"),
               "", "introductory-meeting", "content/project.yaml"),
    "content": (lambda t: edit(c(t) / "nl" / "invitation-training.md", "title:", "title: [", 1),
                "nl", "invitation-training", "content/nl/invitation-training.md"),
}


@pytest.mark.parametrize("code", sorted(DEFECTS))
def test_each_defect_is_reported_with_its_code_language_document_and_file(tree, code):
    damage, lang, doc, file = DEFECTS[code]
    damage(tree)
    report = check(tree)
    codes = {f.code for f in report.findings}
    assert codes == {code}, [f"{f.code} {f.file}:{f.line} {f.message}" for f in report.findings]
    assert any(f.lang == lang and f.doc == doc and f.file == file for f in report.findings)
    for f in report.findings:
        assert f.message.endswith(".") and f.severity == "error"


def test_outdated_shows_the_source_change_word_by_word_until_stamped(tree):
    edit(c(tree) / "en" / "programme.md", "Social Development takes the lead",
         "Social Development usually takes the lead")
    report = check(tree)
    assert {f.code for f in report.findings} == {"outdated"}
    assert {(f.lang, f.doc) for f in report.findings} == {("fi", "programme"), ("nl", "programme")}
    # One added word is one marked word, with a little context; not the paragraph twice.
    [line] = report.findings[0].diff.split("\n")
    assert "Social Development {+usually+} takes the lead" in line and "[-" not in line
    assert len(line.split()) <= 2 * stamps.CONTEXT + 4
    # The translator updates the Finnish text and confirms it: fi is current again, nl is not.
    edit(c(tree) / "fi" / "programme.md", "Toisinaan asiaan tarttuvat", "Toisinaan asiaan tarttuvat yleensä")
    stamp_translation(tree, "fi", "programme")
    report = check(tree)
    assert {(f.code, f.lang) for f in report.findings} == {("outdated", "nl")}


def test_a_stamp_confirms_only_the_sections_the_translator_updated(tree):
    """The English changes two sections; the Finnish translator updates one. Stamping confirms
    nothing until the other is updated too, or confirmed as needing no change (recorded so)."""
    edit(c(tree) / "en" / "programme.md", "Social Development takes the lead", "Social Development usually takes the lead")
    edit(c(tree) / "en" / "programme.md", "Both routes lead to the same programme.", "Both routes lead to one programme.")
    edit(c(tree) / "en" / "programme.md", "Municipalities ask for a professional approach",
         "Municipalities often ask for a professional approach")
    edit(c(tree) / "fi" / "programme.md", "Toisinaan asiaan tarttuvat", "Toisinaan asiaan tarttuvat yleensä")
    stamp_file = tree / "locale" / "stamps" / "fi" / "programme.json"
    before = stamp_file.read_bytes()
    with pytest.raises(ProjectError) as exc:
        stamp_translation(tree, "fi", "programme")
    said = str(exc.value)
    assert re.search(r"content/fi/programme\.md:\d+: section 'aim' changed in the source since it was confirmed, "
                     r"and its translation did not; .* --unchanged aim", said), said
    assert "where-it-starts" not in said and stamp_file.read_bytes() == before  # nothing written
    [d] = stamp_translation(tree, "fi", "programme", unchanged=("aim",))
    assert (d.confirmed, d.unchanged) == (["where-it-starts"], ["aim"])
    assert not [f for f in check(tree).findings if f.lang == "fi"]
    recorded = stamps.load(tree, "fi", "programme")
    assert recorded["aim"].unchanged and not recorded["where-it-starts"].unchanged
    assert "tarttuvat yleensä" in recorded["where-it-starts"].translation  # both sides are kept


def test_stamping_without_an_edit_confirms_nothing(tree):
    edit(c(tree) / "en" / "programme.md", "Social Development takes the lead", "Social Development usually takes the lead")
    with pytest.raises(ProjectError, match="section 'where-it-starts' changed in the source"):
        stamp_translation(tree, "nl", "programme")
    with pytest.raises(ProjectError, match="give --doc ID to confirm one document, or --all"):
        stamp_translation(tree, "nl")
    with pytest.raises(ProjectError, match="--unchanged intro: the section 'intro' is not outdated"):
        stamp_translation(tree, "nl", "programme", unchanged=("where-it-starts", "intro"))
    assert {(f.code, f.lang) for f in check(tree).findings} == {("outdated", "fi"), ("outdated", "nl")}


@pytest.mark.parametrize("old, new", [
    # A paragraph rewrapped over two lines.
    ("demand attention. Social Development takes the lead", "demand attention.\nSocial Development takes the lead"),
    # Curly quotes for straight ones, and the other emphasis marker (the reader sees the same).
    ("us-versus-them dynamics", "“us-versus-them” dynamics"),
])
def test_what_renders_the_same_is_not_a_change(tree, old, new):
    path = c(tree) / "en" / "programme.md"
    if "“" in new:  # first straight quotes, confirmed; then the curly ones
        edit(path, old, '"us-versus-them" dynamics')
        for lang in ("fi", "nl"):
            stamp_translation(tree, lang, "programme", unchanged=("where-it-starts",))
        old = '"us-versus-them" dynamics'
    edit(path, old, new)
    assert check(tree).findings == []


def test_emphasis_written_another_way_is_not_a_change_and_dropped_emphasis_is(tree):
    path = c(tree) / "en" / "programme.md"
    edit(path, "Both routes lead to the same programme.", "Both routes lead to *the same* programme.")
    for lang in ("fi", "nl"):
        stamp_translation(tree, lang, "programme", unchanged=("where-it-starts",))
    edit(path, "*the same*", "_the same_")
    codes = lambda: {f.code for f in check(tree).findings}  # noqa: E731 (the translations lack the emphasis: a warning)
    assert codes() == {"emphasis"}
    edit(path, "_the same_", "the same")
    assert codes() == {"outdated"}


def test_a_piped_report_keeps_the_diff_markers_on_one_line(tree):
    import io

    from rich.console import Console

    from materials.translators.report import print_report

    edit(c(tree) / "en" / "programme.md", "Social Development takes the lead", "Social Development usually takes the lead")
    out = io.StringIO()
    print_report(check(tree), console=Console(file=out, width=80, highlight=False))
    [line] = [l for l in out.getvalue().split("\n") if "{+usually+}" in l][:1]
    assert len(line) > 80 and "Social Development {+usually+} takes the lead" in line


def test_a_moved_section_is_not_a_missing_one(tree):
    path = c(tree) / "fi" / "programme.md"
    text = path.read_text(encoding="utf-8")
    parts = re.split(r"(?m)^(?=## )", text)
    head, sections = parts[0], parts[1:]
    sections[0], sections[1] = sections[1], sections[0]
    path.write_text(head + "".join(s if s.endswith("\n\n") else s + "\n" for s in sections), encoding="utf-8")
    [finding] = check(tree).findings  # not missing; but out of the source's order
    assert finding.code == "section-order" and finding.lang == "fi" and finding.severity == "error"
    assert "Section 'connecting' comes before 'where-it-starts' here" in finding.message


def test_dropped_emphasis_is_reported_and_emphasis_written_otherwise_is_not(tree):
    edit(c(tree) / "en" / "programme.md", "Both routes lead to the same programme.", "Both routes lead to **the same** programme.")
    edit(c(tree) / "fi" / "programme.md", "Kumpikin reitti johtaa samaan ohjelmaan.", "Kumpikin reitti johtaa __samaan__ ohjelmaan.")
    for lang in ("fi", "nl"):
        stamp_translation(tree, lang, "programme", unchanged=("where-it-starts",) if lang == "nl" else ())
    [finding] = check(tree).findings
    assert (finding.code, finding.lang, finding.severity) == ("emphasis", "nl", "warning")
    assert "has no emphasis where the source has 1 bold" in finding.message


@pytest.mark.parametrize("lang, term, text", [
    ("fi", "polarisaatio", "Polarisaation sisäinen maailma ja polarisaatiota ruokkivat tekijät"),
    ("fi", "syntipukki", "ryhmä etsii syntipukin"),
    ("fi", "hiljainen keskiryhmä", "hiljaisen keskiryhmän ääni"),
    ("fi", "polarisaation viitekehys", "polarisaation viitekehyksen koulutus"),
    ("nl", "bruggenbouwer", "de bruggenbouwers in de wijk"),
    ("nl", "polarisatie", "een (de)polarisatiestrategie"),
    ("en", "bridge builder", "two bridge builders"),
])
def test_glossary_terms_match_inflected_forms(lang, term, text):
    from materials.sources.glossary import tokens

    assert contains_term(tokens(text), term, lang)


def test_glossary_is_not_fooled_by_words_apart():
    from materials.sources.glossary import tokens

    assert not contains_term(tokens("In the framework's view, polarisation is a construct"), "Polarisation Framework", "en")


def test_json_format_and_exit_code(tree, root):
    edit(c(tree) / "fi" / "handout-training.md", "- Puhua yhteistä kieltä\n", "")
    shutil.copy(root / "tasks.py", tree / "tasks.py")
    r = subprocess.run([sys.executable, "-m", "invoke", "check", "--lang", "fi", "--format", "json"],
                       cwd=tree, capture_output=True, text=True)
    assert r.returncode == 1
    data = json.loads(r.stdout)
    assert data["counts"] == {"structure": 1}
    f = data["findings"][0]
    assert f["file"] == "content/fi/handout-training.md" and f["line"] and f["lang"] == "fi"


# -- property: any removed or damaged section of a clean translation is reported ---------------

@pytest.fixture(scope="module")
def clean(root):
    project = load_project(root)
    checker = Checker(project, load(root).glossary)
    docs = {(lang, d): read_content(project.content_file(lang, d), root, lang, d)
            for lang in project.languages for d in project.documents}
    return project, checker, docs


def damaged_section(section: Section, how: str) -> Section | None:
    body = section.body
    if how == "drop-item" and re.search(r"(?m)^- ", body):
        body = re.sub(r"(?m)^- .*\n?", "", body, count=1)
    elif how == "drop-value" and "{{" in body:
        body = re.sub(r"\{\{.*?\}\}", "", body, count=1)
    elif how == "add-number":
        body = body + " 42"
    elif how == "rename":
        return Section(section.id + "-x", section.title, body, section.line)
    else:
        return None
    return Section(section.id, section.title, body, section.line)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_removing_or_altering_any_section_is_always_reported(clean, data):
    project, checker, docs = clean
    lang = data.draw(st.sampled_from(["fi", "nl"]))
    doc = data.draw(st.sampled_from(sorted(project.documents)))
    src, tr = docs["en", doc], docs[lang, doc]
    index = data.draw(st.integers(0, len(tr.sections) - 1))
    how = data.draw(st.sampled_from(["remove", "drop-item", "drop-value", "add-number", "rename"]))
    sections = list(tr.sections)
    if how == "remove":
        del sections[index]
    else:
        changed = damaged_section(sections[index], how)
        assume(changed is not None)  # this section has nothing of that kind to damage: draw another
        sections[index] = changed
    damaged = ContentFile(tr.lang, tr.doc_id, tr.path, tr.name, tr.meta, tuple(sections))
    checker.findings = []
    checker.sections(lang, src, damaged)
    assert checker.findings, f"{how} of section {tr.sections[index].id} in {lang}/{doc} went unreported"


@pytest.mark.parametrize("source, translation, lang, expected", [
    ("Step 1", "Ensimmäinen vaihe", "fi", ""),  # a number as a word
    ("in 3 steps", "kolmessa vaiheessa", "fi", ""),  # ... in an inflected form
    ("Session 2", "Sessie twee", "nl", ""),
    ("about 10,000 residents", "noin 10\u00a0000 asukasta", "fi", ""),  # each language's thousands
    ("about 10,000 residents", "zo'n 10.000 inwoners", "nl", ""),
    ("1.5 days", "1,5 päivää", "fi", ""),
    ("(the 1st part)", "(1. osa)", "fi", ""),  # ordinals as each language writes them
    ("the 2nd meeting", "de 2e bijeenkomst", "nl", ""),
    ("from 9.00 to 16:30", "klo 9:00–16.30", "fi", ""),
    ("16 participants", "15 osallistujaa", "fi", "missing: 16; extra: 15"),  # still caught
    ("Step 1", "Toinen vaihe", "fi", "missing: 1; extra: none"),
    ("10,000 residents", "10 asukasta", "fi", "missing: 10000; extra: 10"),
])
def test_numbers_compare_as_numbers_in_each_languages_notation(source, translation, lang, expected):
    from materials.rules.checks import number_difference

    locale = {"fi": "fi_FI", "nl": "nl_NL"}[lang]
    assert number_difference(source, "en", "en_GB", translation, lang, locale) == expected


def test_a_glossary_term_is_not_another_word_that_starts_like_it(tree):
    """English "polarised" is not the term "polarisation": its translation need not say
    "polarisaatio"; Dutch "brug" (bridge) is not "bruggenbouwer" (bridge builder)."""
    from materials.sources.glossary import tokens, word_key

    assert not contains_term(tokens("polarised groups"), "polarisation", "en")
    assert contains_term(tokens("the polarisation's causes"), "polarisation", "en")
    assert contains_term(tokens("two bridge builders"), "bridge builder", "en")
    assert word_key("bruggenbouwer", "nl") == "bruggenbo"
    assert not contains_term(tokens("een brug tussen groepen"), "bruggenbouwer", "nl")
    assert contains_term(tokens("de bruggenbouwers in de wijk"), "bruggenbouwer", "nl")
    assert contains_term(tokens("Yleisen järjestyksen ja turvallisuuden"), "yleinen järjestys ja turvallisuus", "fi")
    en = c(tree) / "en" / "programme.md"
    edit(en, "when conflicts or polarisation in the city demand attention",
         "when conflicts or polarised groups in the city demand attention")
    fi = c(tree) / "fi" / "programme.md"
    edit(fi, "kun konfliktit tai polarisaatio kaupungissa vaativat huomiota",
         "kun konfliktit tai polarisoituneet ryhmät kaupungissa vaativat huomiota")
    stamp_translation(tree, "fi", "programme")
    assert [f for f in check(tree, "fi").findings if f.code == "glossary"] == []

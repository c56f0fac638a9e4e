"""`invoke i18n.status`: counts per language and document, the dashboard and side-by-side pages.

Each test works on a copy of the project's own (clean) content and catalogs, with one edit.
"""

from __future__ import annotations

import io
import re

import pytest
from tree import copy_project
from rich.console import Console

from materials.errors import ProjectError
from materials.sources.project import load_project
from materials.translators.status import collect, status


@pytest.fixture
def tree(tmp_path):
    """A copy of the project's content and catalogs (the clean tree)."""
    return copy_project(tmp_path / "p", municipalities=False, tasks=False)


def run(tree, lang="all"):
    """Status of the tree, its output written into tree/out, the table into a string."""
    console = Console(record=True, width=120, file=io.StringIO())
    statuses = status(tree, lang, tree / "out", console)
    return {s.lang: s for s in statuses}, console.export_text()


def test_clean_tree_is_all_current_and_fully_translated(tree):
    project = load_project(tree)
    by_lang, text = run(tree)
    assert sorted(by_lang) == ["fi", "nl"]  # never the source language
    for ls in by_lang.values():
        assert [d.doc for d in ls.docs] == list(project.documents)
        for d in ls.docs:
            assert d.total > 1 and d.current == d.total, d
            assert d.outdated == d.missing == 0 and not d.problem
        c = ls.catalog
        assert c.total > 0 and c.translated == c.total and c.fuzzy == c.missing == 0
    total = by_lang["fi"].catalog.total
    assert "programme" in text and f"{total}/{total} translated" in text


def test_an_edited_source_section_is_outdated_with_its_diff(tree):
    path = tree / "content" / "en" / "programme.md"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "Social Development takes the lead", "Social Development usually takes the lead"), encoding="utf-8")
    by_lang, _ = run(tree)
    for lang in ("fi", "nl"):
        d = by_lang[lang].doc("programme")
        assert (d.outdated, d.missing, d.current) == (1, 0, d.total - 1)
        [section] = [s for s in d.sections if s.state == "outdated"]
        assert section.id == "where-it-starts"
        assert "Social Development {+usually+} takes the lead" in section.diff
        assert all(o.outdated == 0 for o in by_lang[lang].docs if o.doc != "programme")
        page = (tree / "out" / "status" / lang / "programme.html").read_text(encoding="utf-8")
        assert '<section id="where-it-starts" class="sec outdated"' in page
        assert "Social Development <ins>usually</ins> takes the lead" in page and ">outdated<" in page
        assert f'<td lang="{lang}" data-label=' in page and '<html lang="en">' in page and "<title>" in page


def test_a_deleted_translation_counts_every_section_missing(tree):
    (tree / "content" / "fi" / "programme.md").unlink()
    by_lang, text = run(tree)
    d = by_lang["fi"].doc("programme")
    assert d.missing == d.total > 0 and d.current == d.outdated == 0
    assert "content/fi/programme.md" in d.problem and "content/fi/programme.md" in text
    assert by_lang["nl"].doc("programme").current == by_lang["nl"].doc("programme").total
    page = (tree / "out" / "status" / "fi" / "programme.html").read_text(encoding="utf-8")
    assert page.count('<section id=') == page.count('class="sec missing"') == d.total
    units = sum(len(s.units) for s in d.sections)
    assert page.count('<span class="missing-text" lang="en">missing</span>') == units > d.total
    assert d.to_translate > 500 and d.to_review == 0 and not by_lang["fi"].complete and by_lang["nl"].complete


def test_dashboard_links_every_side_by_side_page(tree):
    by_lang, _ = run(tree)
    dashboard = (tree / "out" / "status.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in dashboard and "<title>" in dashboard and 'name="viewport"' in dashboard
    # Titles, not ids; the project's fonts (placed beside the dashboard); designed bars, each with its words.
    assert ">Agenda for the training day</a>" in dashboard and '<span class="doc-id">agenda-training-day</span>' in dashboard
    fonts = re.findall(r'url\("([^"]+)"\)', dashboard)
    assert fonts and all((tree / "out" / f).is_file() for f in fonts) and "system-ui" not in dashboard
    assert "<progress" not in dashboard and 'role="img" aria-label="' in dashboard and "sections current" in dashboard
    page = (tree / "out" / "status" / "fi" / "programme.html").read_text(encoding="utf-8")
    assert all((tree / "out" / "status" / "fi" / f).resolve().is_file() for f in re.findall(r'url\("([^"]+)"\)', page))
    links = [link for link in re.findall(r'href="([^"]+)"', dashboard) if not link.startswith("#")]
    expected = {f"status/{lang}/{d.doc}.html" for lang, ls in by_lang.items() for d in ls.docs}
    assert set(links) == expected
    for link in links:
        assert (tree / "out" / link).is_file()


def test_fuzzy_and_untranslated_catalog_messages_are_counted(tree):
    po = tree / "locale" / "fi" / "LC_MESSAGES" / "messages.po"
    text = po.read_text(encoding="utf-8")
    text = text.replace('msgstr "Sivu %(page)s/%(pages)s"', 'msgstr ""')
    text = re.sub(r'(?m)^msgid "(?=[^"])', '#, fuzzy\nmsgid "', text, count=1)
    po.write_text(text, encoding="utf-8")
    c = collect(tree, "fi")[0].catalog
    assert (c.fuzzy, c.missing, c.translated) == (1, 1, c.total - 2)


def test_text_is_escaped_in_the_pages(tree):
    path = tree / "content" / "fi" / "programme.md"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "## Mistä ohjelma lähtee liikkeelle {#where-it-starts}\n",
        "## Mistä ohjelma lähtee liikkeelle {#where-it-starts}\n\n<script>alert(1)</script>\n"), encoding="utf-8")
    run(tree, "fi")
    page = (tree / "out" / "status" / "fi" / "programme.html").read_text(encoding="utf-8")
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_source_language_is_refused(tree):
    with pytest.raises(ProjectError, match="source language"):
        collect(tree, "en")



def test_words_findings_beside_their_unit_and_the_day_confirmed(tree, monkeypatch):
    from materials.translators.translation import stamp_translation

    edit = lambda path, old, new: path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    edit(tree / "content" / "en" / "programme.md", "Social Development takes the lead", "Social Development usually takes the lead")
    edit(tree / "content" / "fi" / "programme.md", "Kumpikin reitti johtaa samaan ohjelmaan.",
         "Kumpikin reitti johtaa samaan ohjelmaan. This sentence was left in English by mistake.")
    by_lang, text = run(tree)
    d = by_lang["fi"].doc("programme")
    [section] = [s for s in d.sections if s.id == "where-it-starts"]
    [(unit, found)] = [(u, f) for u, f in section.units if u.key == "where-it-starts/1"]
    assert unit.state == "outdated" and d.to_review == unit.words == 53 and d.to_translate == 0
    assert sorted(f.code for f in found) == ["language", "outdated"] and d.level("error") == 2
    assert not by_lang["fi"].complete and "Suomi: not complete" in text
    page = (tree / "out" / "status" / "fi" / "programme.html").read_text(encoding="utf-8")
    row = page[page.index('<section id="where-it-starts"'):page.index('<section id="connecting"')]
    assert '<span class="level">error</span> <code>language</code>' in row and "Never confirmed" not in row
    assert "<h2 id=\"h-where-it-starts\">Where the programme starts" in row  # titles, not ids
    # Confirming records the day; the desk shows it.
    monkeypatch.setenv("MATERIALS_TODAY", "2026-11-30")
    edit(tree / "content" / "fi" / "programme.md", " This sentence was left in English by mistake.", " Yleensä.")
    stamp_translation(tree, "fi", "programme")
    by_lang, _ = run(tree, "fi")
    d = by_lang["fi"].doc("programme")
    confirmed = {s.id: s.confirmed for s in d.sections}
    assert confirmed["where-it-starts"] == "2026-11-30" and confirmed["intro"] == ""  # only the section confirmed now
    assert d.last_confirmed == max(confirmed.values())  # the latest of the document's days
    assert f"Last confirmed on {d.last_confirmed}." in (tree / "out" / "status" / "fi" / "programme.html").read_text(encoding="utf-8")


def test_json_and_the_exit_status_say_whether_a_language_is_complete(tmp_path):
    import json
    import subprocess
    import sys

    tree = copy_project(tmp_path / "p", municipalities=False, tasks=True)
    status_json = lambda lang: subprocess.run([sys.executable, "-m", "invoke", "i18n.status", "--lang", lang, "--format", "json"],
                                              cwd=tree, capture_output=True, text=True)
    done = status_json("fi")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["complete"] is True and [l["language"] for l in data["languages"]] == ["fi"]
    assert data["languages"][0]["words"] == {"to_translate": 0, "to_review": 0}
    path = tree / "content" / "nl" / "programme.md"
    text = path.read_text(encoding="utf-8")
    path.write_text(text[: text.rindex("\n## ") + 1], encoding="utf-8")  # the last section gone
    undone = status_json("nl")
    assert undone.returncode == 1 and undone.stderr.strip() == "not complete: Nederlands"
    nl = json.loads(undone.stdout)["languages"][0]
    programme = next(d for d in nl["documents"] if d["document"] == "programme")
    assert nl["complete"] is False and programme["sections"]["missing"] == 1 and programme["words"]["to_translate"] > 20
    assert programme["findings"]["error"] >= 1

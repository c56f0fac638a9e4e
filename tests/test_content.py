"""Reading and rendering content: each kind of bad input gets one clear message with file and line."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from tree import copy_project

from materials.build import build
from materials.sources.content import read_content, split_notes
from materials.errors import ProjectError

GOOD = "---\ntitle: A title\nsummary: One sentence.\n---\n\nIntro.\n\n## First {#first}\n\nText.\n"


def read(tmp_path: Path, text: str | bytes):
    (tmp_path / "content" / "en").mkdir(parents=True, exist_ok=True)
    path = tmp_path / "content" / "en" / "doc.md"
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return read_content(path, tmp_path, "en", "doc")


def message(tmp_path, text) -> str:
    with pytest.raises(ProjectError) as exc:
        read(tmp_path, text)
    return str(exc.value)


def test_sections_are_split_on_ids_with_line_numbers(tmp_path):
    content = read(tmp_path, GOOD + "\n## Second {#second}\n\n- a\n- b\n")
    assert [s.id for s in content.sections] == ["intro", "first", "second"]
    assert content.section("first").line == 8
    assert content.section("second").body == "- a\n- b"
    assert content.meta == {"title": "A title", "summary": "One sentence."}


def test_slide_notes_are_split_at_the_marker(tmp_path):
    content = read(tmp_path, GOOD.replace("Text.", "- point\n\n???\n\nThe notes."))
    assert split_notes(content.section("first")) == ("- point", "The notes.")


@pytest.mark.parametrize("text, expected", [
    ("---\ntitle: a: b\nsummary: x\n---\n", "content/en/doc.md:2: front matter is not valid YAML"),
    ("---\n- a list\n---\n", "front matter must be a mapping"),
    ("---\ntitle: A\n---\nBody\n", "content/en/doc.md:2: front matter: summary: missing"),
    ("---\ntitle: A\nsummary: B\nauthor: C\n---\n", "content/en/doc.md:4: front matter: author: unknown field; expected one of title, subtitle, summary"),
    ("no front matter\n", "content/en/doc.md:1: must start with front matter"),
    ("---\ntitle: A\nsummary: B\n", "front matter is not closed"),
    ("", "is empty"),
    (GOOD + "\n## No id here\n", "content/en/doc.md:12: heading has no id"),
    (GOOD + "\n## Again {#first}\n", "content/en/doc.md:12: duplicate section id 'first'"),
    (GOOD + "\n## Bad {#Not_An_Id}\n", "section id 'Not_An_Id' must be lowercase"),
    ("---\ntitle: A\nsummary: B\n---\n\u00e9".encode("latin-1"), "content/en/doc.md:5: is not UTF-8 text"),
])
def test_bad_content_gets_one_clear_message(tmp_path, text, expected):
    assert expected in message(tmp_path, text)


def test_symlink_to_outside_the_project_is_refused(tmp_path):
    secret = tmp_path / "outside.md"
    secret.write_text(GOOD)
    proj = tmp_path / "proj"
    (proj / "content" / "en").mkdir(parents=True)
    link = proj / "content" / "en" / "doc.md"
    os.symlink(secret, link)
    with pytest.raises(ProjectError) as exc:
        read_content(link, proj, "en", "doc")
    assert "points outside the project's content/ folder" in str(exc.value)


@pytest.fixture
def project_copy(tmp_path):
    return copy_project(tmp_path / "proj", municipalities=False, tasks=False)


def snapshot(folder: Path) -> dict:
    return {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.mark.parametrize("edit, expected", [
    (lambda t: t.replace("## ", "## {{ facts.max_groupsize }} ", 1), "unknown value"),
    (lambda t: t.replace("## ", "## {% if %} ", 1), "template error"),
])
def test_template_errors_in_content_name_the_file_and_line_and_write_nothing(project_copy, tmp_path, edit, expected):
    out = tmp_path / "build"
    build(project_copy, out, lang="en", doc="programme")
    before = snapshot(out)
    path = project_copy / "content" / "en" / "programme.md"
    text = path.read_text(encoding="utf-8")
    line = text[: text.index("## ")].count("\n") + 1
    path.write_text(edit(text), encoding="utf-8")
    with pytest.raises(ProjectError) as exc:
        build(project_copy, out, lang="en")
    assert f"content/en/programme.md:{line}: {expected}" in str(exc.value)
    assert snapshot(out) == before


def test_a_missing_translation_file_is_named(project_copy, tmp_path):
    (project_copy / "content" / "nl" / "agenda-training-day.md").unlink()
    with pytest.raises(ProjectError) as exc:
        build(project_copy, tmp_path / "build", lang="nl")
    assert "content/nl/agenda-training-day.md: missing-document: Translate content/en/agenda-training-day.md" in str(exc.value)
    assert not (tmp_path / "build").exists()


def test_an_untranslated_catalog_message_stops_the_build(project_copy, tmp_path):
    po = project_copy / "locale" / "fi" / "LC_MESSAGES" / "messages.po"
    po.write_text(po.read_text(encoding="utf-8").replace('msgstr "Aika"', 'msgstr ""'), encoding="utf-8")
    with pytest.raises(ProjectError) as exc:
        build(project_copy, tmp_path / "build", lang="fi")
    line = po.read_text(encoding="utf-8").split("\n").index('msgid "Time"') + 1
    assert f"locale/fi/LC_MESSAGES/messages.po:{line}: catalog: Message \"Time\" is not translated" in str(exc.value)


def test_agenda_sections_must_match_the_sessions_items(project_copy, tmp_path):
    path = project_copy / "content" / "en" / "agenda-intervision-meeting.md"
    path.write_text(path.read_text(encoding="utf-8").replace("{#advice}", "{#advise}"), encoding="utf-8")
    with pytest.raises(ProjectError) as exc:
        build(project_copy, tmp_path / "build", lang="en", doc="agenda-intervision-meeting")
    assert ("content/en/agenda-intervision-meeting.md: The agenda's sections must be the session's items in order "
            "(check-in, case-introduction, questions, analysis, break, advice, knowledge-transfer); found check-in, "
            "case-introduction, questions, analysis, break, advise, knowledge-transfer") in str(exc.value)

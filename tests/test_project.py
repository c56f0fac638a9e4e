"""The language-neutral data: sessions add up, documents are complete, errors are clear."""

from __future__ import annotations

import pytest
from tree import copy_project

from materials.build import build
from materials.errors import ProjectError
from materials.rules.checks import check
from materials.sources.project import load_project


def test_agenda_items_add_up_to_each_sessions_length(project):
    lengths = {sid: s.minutes for sid, s in project.sessions.items()}
    assert lengths == {"introductory-meeting": 120, "training-day": 420, "in-depth-session": 210,
                       "intervision-meeting": 150}
    for session in project.sessions.values():
        assert sum(i.minutes for i in session.items) == session.minutes


def test_document_set_and_group_size(project):
    kinds = [d.kind for d in project.documents.values()]
    assert kinds.count("agenda") == 4 and kinds.count("handout") == 2 and kinds.count("invitation") == 2
    assert kinds.count("workbook") == 1
    assert project.facts["max_group_size"] == 16


def test_items_that_do_not_add_up_stop_the_build_naming_the_line(tmp_path):
    proj = copy_project(tmp_path / "p", municipalities=False, tasks=False)
    path = proj / "content" / "project.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("- {id: welcome, minutes: 10}", "- {id: welcome, minutes: 15}", 1), encoding="utf-8")
    line = text.split("\n").index("  introductory-meeting:") + 5  # its items: line
    assert text.split("\n")[line - 1] == "    items:"
    with pytest.raises(ProjectError) as exc:
        build(proj, tmp_path / "build", lang="en")
    assert (f"content/project.yaml:{line}: Session 'introductory-meeting' lasts 120 minutes but its items add up "
            "to 125; make them agree.") in str(exc.value)
    assert not (tmp_path / "build" / "en").exists()
    report = check(proj)
    assert [(f.code, f.doc, f.line) for f in report.errors] == [("agenda", "introductory-meeting", line)]


def test_a_key_given_twice_is_refused_with_its_line(tmp_path):
    proj = copy_project(tmp_path / "p", municipalities=False, tasks=False)
    path = proj / "content" / "project.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("  max_group_size: 16\n", "  max_group_size: 16\n  max_group_size: 20\n"), encoding="utf-8")
    line = text.split("\n").index("  max_group_size: 16") + 2
    with pytest.raises(ProjectError) as exc:
        load_project(proj)
    assert str(exc.value) == f"content/project.yaml:{line}: facts.max_group_size: given twice; keep one"


def test_malformed_project_yaml_names_the_line(tmp_path):
    proj = copy_project(tmp_path / "p", municipalities=False, tasks=False)
    (proj / "content" / "project.yaml").write_text("organisation: x\nlanguages: [\n")
    with pytest.raises(ProjectError) as exc:
        load_project(proj)
    assert str(exc.value).startswith("content/project.yaml:")
    assert "not valid YAML" in str(exc.value)

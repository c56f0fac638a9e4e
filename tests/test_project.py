"""The language-neutral data: sessions add up, documents are complete, errors are clear."""

from __future__ import annotations

import shutil

import pytest

from materials.errors import ProjectError
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
    assert project.facts["max_group_size"] == 16


def copy_project(root, tmp_path):
    shutil.copytree(root / "content", tmp_path / "content")
    shutil.copytree(root / "locale", tmp_path / "locale")
    return tmp_path


def test_items_that_do_not_add_up_are_reported_with_the_field(root, tmp_path):
    proj = copy_project(root, tmp_path)
    path = proj / "content" / "project.yaml"
    path.write_text(path.read_text().replace("- {id: welcome, minutes: 10}", "- {id: welcome, minutes: 15}", 1))
    with pytest.raises(ProjectError) as exc:
        load_project(proj)
    assert "content/project.yaml: sessions.introductory-meeting.items: expected minutes adding up to the session's 120" in str(exc.value)


def test_malformed_project_yaml_names_the_line(root, tmp_path):
    proj = copy_project(root, tmp_path)
    (proj / "content" / "project.yaml").write_text("organisation: x\nlanguages: [\n")
    with pytest.raises(ProjectError) as exc:
        load_project(proj)
    assert str(exc.value).startswith("content/project.yaml:")
    assert "not valid YAML" in str(exc.value)

"""A new language with no code change: i18n.new-language, check reports it incomplete,
a normal build refuses naming what is missing, build --draft falls back to English with a mark."""

from __future__ import annotations

import re

import pytest
from tree import copy_project
import yaml
from pypdf import PdfReader

from materials.build import build
from materials.rules.checks import check
from materials.errors import ProjectError
from materials.translators.translation import new_language


@pytest.fixture(scope="module")
def swedish(root, tmp_path_factory):
    proj = copy_project(tmp_path_factory.mktemp("sv") / "p", municipalities=False, tasks=False)
    changed = new_language(proj, "sv")
    return proj, changed


def test_the_language_is_registered_with_catalog_and_skeletons(swedish, project):
    proj, changed = swedish
    data = yaml.safe_load((proj / "content" / "project.yaml").read_text(encoding="utf-8"))
    assert data["languages"]["sv"] == {"name": "Svenska", "locale": "sv_SE", "quotes": "“”‘’"}
    assert "locale/sv/LC_MESSAGES/messages.po" in changed
    for doc in project.documents:
        assert f"content/sv/{doc}.md" in changed
    with pytest.raises(ProjectError, match="already a language"):
        new_language(proj, "sv")


def test_check_reports_the_new_language_as_incomplete(swedish):
    proj, _ = swedish
    report = check(proj, "sv")
    counts = report.counts()
    assert counts["missing-section"] > 50 and counts["catalog"] >= 40
    assert {f.lang for f in report.findings} <= {"sv", ""}


def test_a_normal_build_refuses_naming_what_is_missing(swedish, tmp_path):
    proj, _ = swedish
    with pytest.raises(ProjectError) as exc:
        build(proj, tmp_path / "build", lang="sv")
    assert re.search(r"locale/sv/LC_MESSAGES/messages.po:\d+: catalog: Message .* is not translated", str(exc.value))
    assert not (tmp_path / "build").exists()


def test_a_draft_build_shows_english_with_a_draft_mark(swedish, tmp_path):
    proj, _ = swedish
    result = build(proj, tmp_path / "build", lang="sv", doc="programme", draft=True)
    assert "sv/programme.pdf" in result.written
    html = (tmp_path / "build" / "sv" / "programme.html").read_text(encoding="utf-8")
    assert 'lang="sv"' in html and "Draft: not yet translated" in html
    assert "Where the programme starts" in html  # the English section in its place
    for page in PdfReader(tmp_path / "build" / "sv" / "programme.pdf").pages:
        assert "Draft: not yet translated" in page.extract_text()
    # The fully translated languages of the same project carry no mark.
    build(proj, tmp_path / "build", lang="fi", doc="programme", draft=True)
    assert "class=\"draft-mark\"" not in (tmp_path / "build" / "fi" / "programme.html").read_text(encoding="utf-8")

"""Incremental builds on real builds in a temporary project: only what changed is rendered and
rewritten, and the result equals a clean build byte for byte."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from materials.build import build

from tree import copy_project


def state(folder: Path) -> dict[str, tuple[int, bytes]]:
    """Every output file with its mtime and bytes (the build's own key store excluded)."""
    return {str(p.relative_to(folder)): (p.stat().st_mtime_ns, p.read_bytes())
            for p in folder.rglob("*") if p.is_file() and ".state" not in p.parts}


def changed(before: dict, after: dict) -> set[str]:
    return {k for k in set(before) | set(after) if before.get(k) != after.get(k)}


@pytest.fixture(scope="module")
def base(root, tmp_path_factory):
    """A project copy with its own templates and a clean build of it."""
    proj = copy_project(tmp_path_factory.mktemp("proj") / "p", municipalities=False, tasks=False, templates=True)
    build(proj, proj / "build")
    return proj


@pytest.fixture
def proj(base, tmp_path):
    """A fresh copy of the built project for each test (copy2 keeps the mtimes)."""
    target = tmp_path / "proj"
    shutil.copytree(base, target, copy_function=shutil.copy2)
    return target


def rebuild(proj: Path):
    before = state(proj / "build")
    result = build(proj, proj / "build")
    return result, changed(before, state(proj / "build"))


def docs(paths: set[str]) -> set[str]:
    return {p for p in paths if p != "manifest.json"}


def test_nothing_changed_renders_and_rewrites_nothing(proj):
    result, diff = rebuild(proj)
    assert result.written == [] and diff == set()


def test_no_op_build_does_not_import_weasyprint(proj, root):
    code = ("import sys; from materials.build import build; "
            f"r = build({str(proj)!r}, {str(proj / 'build')!r}); "
            "assert r.written == [], r.written; print('weasyprint' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


def test_one_content_file_edited_changes_only_its_outputs(proj):
    path = proj / "content" / "fi" / "programme.md"
    path.write_text(path.read_text(encoding="utf-8").replace("Polarisaation", "Polarisaation", 1).rstrip("\n")
                    + " Lisälause.\n", encoding="utf-8")  # a sentence more in its last paragraph
    result, diff = rebuild(proj)
    assert set(result.written) == {"fi/programme.html", "fi/programme.pdf", "fi/index.html"}
    assert docs(diff) == {"fi/programme.html", "fi/programme.pdf"}  # the index's bytes did not change


def test_a_template_edit_changes_exactly_its_dependents(proj):
    path = proj / "templates" / "agenda.html"
    path.write_text(path.read_text(encoding="utf-8").replace('<table class="agenda">', '<table class="agenda schedule">'),
                    encoding="utf-8")
    result, diff = rebuild(proj)
    agendas = {f"{l}/agenda-{s}.{f}" for l in ("en", "fi", "nl") for f in ("html", "pdf")
               for s in ("introductory-meeting", "training-day", "in-depth-session", "intervision-meeting")}
    assert set(result.written) == agendas
    assert docs(diff) <= agendas and {p for p in diff if p.endswith(".html")} == {p for p in agendas if p.endswith(".html")}


def test_a_catalog_edit_changes_exactly_that_languages_outputs(proj):
    po = proj / "locale" / "fi" / "LC_MESSAGES" / "messages.po"
    po.write_text(po.read_text(encoding="utf-8").replace('msgstr "Kesto"', 'msgstr "Pituus"'), encoding="utf-8")
    result, diff = rebuild(proj)
    assert {p.split("/")[0] for p in result.written} == {"fi"}
    assert len(result.written) == 10 * 2 + 1
    assert "fi/agenda-training-day.html" in diff and not any(p.startswith(("en/", "nl/")) for p in diff)


def test_a_data_edit_rerenders_its_dependents_and_rewrites_what_differs(proj):
    path = proj / "content" / "project.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace('sample_start: "13:30"', 'sample_start: "13:00"'), encoding="utf-8")
    result, diff = rebuild(proj)
    assert len(result.written) == 3 * (10 * 2 + 1)  # every output reads the language-neutral data
    assert docs(diff) == {f"{l}/agenda-intervision-meeting.{f}" for l in ("en", "fi", "nl") for f in ("html", "pdf")}


def test_a_deleted_output_is_rebuilt(proj):
    (proj / "build" / "nl" / "handout-training.pdf").unlink()
    result, diff = rebuild(proj)
    assert set(result.written) == {"nl/handout-training.html", "nl/handout-training.pdf"}
    assert (proj / "build" / "nl" / "handout-training.pdf").is_file()
    assert docs(diff) == {"nl/handout-training.pdf"}


@pytest.mark.slow
def test_incremental_result_equals_a_clean_build(proj, tmp_path):
    path = proj / "content" / "fi" / "invitation-training.md"
    text = path.read_text(encoding="utf-8")
    # A sentence more in a paragraph (a paragraph more would be an extra-paragraph error).
    path.write_text(text.replace("osallistumaan koulutukseen.", "osallistumaan koulutukseen. Tervetuloa mukaan.", 1),
                    encoding="utf-8")
    (proj / "build" / "fi" / "programme.pdf").unlink()
    build(proj, proj / "build")
    clean = tmp_path / "clean"
    build(proj, clean)
    a = {k: v[1] for k, v in state(proj / "build").items()}
    b = {k: v[1] for k, v in state(clean).items()}
    assert a == b


def test_an_image_is_embedded_checked_and_an_edited_image_rebuilds_its_pages(proj):
    """A picture is an input like the words: saved again, the pages that show it are rebuilt."""
    import io

    from PIL import Image

    from materials.translators.translation import stamp_translation

    def save(colour: str) -> None:
        buf = io.BytesIO()
        Image.new("RGB", (400, 200), colour).save(buf, "PNG")
        (proj / "content" / "images").mkdir(exist_ok=True)
        (proj / "content" / "images" / "diagram.png").write_bytes(buf.getvalue())

    save("steelblue")
    alt = {"en": "The two departments", "fi": "Kaksi toimialaa", "nl": "De twee afdelingen"}
    for lang in ("en", "fi", "nl"):
        path = proj / "content" / lang / "programme.md"
        text = path.read_text(encoding="utf-8")
        head = text.index("{#where-it-starts}") + len("{#where-it-starts}")
        path.write_text(text[:head] + f"\n\n![{alt[lang]}](../images/diagram.png)" + text[head:], encoding="utf-8")
    for lang in ("fi", "nl"):
        stamp_translation(proj, lang, "programme")
    result, _ = rebuild(proj)
    assert {f"{l}/programme.pdf" for l in ("en", "fi", "nl")} <= set(result.written)
    html = (proj / "build" / "en" / "programme.html").read_text(encoding="utf-8")
    assert 'src="data:image/png;base64,' in html
    drawn = subprocess.run(["pdfimages", "-list", str(proj / "build" / "en" / "programme.pdf")],
                           capture_output=True, text=True, check=True).stdout.split("\n")[2:]
    assert [line.split()[3:5] for line in drawn if line.strip()] == [["400", "200"]]  # drawn once, whole

    save("darkorange")
    result, diff = rebuild(proj)
    shown = {f"{l}/programme.{f}" for l in ("en", "fi", "nl") for f in ("html", "pdf")}
    assert set(result.written) - {f"{l}/index.html" for l in ("en", "fi", "nl")} == shown
    assert docs(diff) == shown  # the indexes were rendered again, and their bytes are the same

"""One load, one rule, one writer: the seams between commands, each on a real build or pack.

Every test runs the real command line on a copy of the project with one change, and asserts what
a user sees: the exit code, one message naming the file and line, and what was (not) written.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
import yaml
from pypdf import PdfReader

from tree import ROOT, copy_project

PO_NL = "locale/nl/LC_MESSAGES/messages.po"
PO_FI = "locale/fi/LC_MESSAGES/messages.po"


def invoke(proj: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "400"}
    env.pop("MATERIALS_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "invoke", *args], cwd=proj, env=env, capture_output=True,
                          text=True, timeout=timeout)


def replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").split("\n"), 1) if needle in line)


def zip_files(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


@pytest.fixture
def proj(tmp_path) -> Path:
    return copy_project(tmp_path / "project")


# 1. Draft is a property of the request: pack --draft goes as far as build --draft.

@pytest.mark.slow
def test_pack_draft_with_an_untranslated_catalog_message(proj):
    po = proj / PO_NL
    replace(po, 'msgstr "Kalenderbestanden"', 'msgstr ""')
    line = line_of(po, 'msgid "Calendar files"')
    refused = invoke(proj, "pack", "--municipality", "lindenhoven")
    assert refused.returncode == 1 and "Traceback" not in refused.stderr + refused.stdout
    assert f"{PO_NL}:{line}: catalog: Message \"Calendar files\" is not translated" in refused.stderr
    assert "--draft" in refused.stderr and not (proj / "build" / "packs").exists()

    built = invoke(proj, "build", "--lang", "nl", "--draft")
    assert built.returncode == 0, built.stderr
    packed = invoke(proj, "pack", "--municipality", "lindenhoven", "--draft")
    assert packed.returncode == 0, packed.stderr
    files = zip_files(proj / "build" / "packs" / "lindenhoven-nl.zip")
    index = files["lindenhoven-nl/index.html"].decode()
    assert ">Calendar files</h2>" in index and "Kalenderbestanden" not in index  # the English stands in
    assert "Concept: niet verspreiden" in index  # the draft mark


# 2. A pack's language is one of the municipality's; its locale is made for any pair.

def test_a_pack_language_the_municipality_did_not_ask_for_is_refused(proj):
    r = invoke(proj, "pack", "--municipality", "lindenhoven", "--lang", "fi")
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "municipalities/lindenhoven.yaml: languages: Gemeente Lindenhoven asked for nl, not fi" in r.stderr
    assert "UnknownLocaleError" not in r.stderr and not (proj / "build" / "packs").exists()


@pytest.mark.parametrize("slug, lang, words", [
    ("lindenhoven", "fi", ["huhtikuuta 2027", "Ryhmä 1"]),  # Finnish in the Netherlands: fi_FI dates
    ("heidebeek", "fi", ["kesäkuuta 2027"]),  # Finnish in Belgium
    ("heidebeek", "en", ["June 2027"]),  # English in Belgium: en_BE
])
def test_a_pack_in_a_language_of_another_country(proj, slug, lang, words):
    path = proj / "municipalities" / f"{slug}.yaml"
    replace(path, "languages: [nl]", f"languages: [nl, {lang}]")
    r = invoke(proj, "pack", "--municipality", slug, "--lang", lang)
    assert r.returncode == 0, r.stderr
    files = zip_files(proj / "build" / "packs" / f"{slug}-{lang}.zip")
    agenda = next(name for name in files if "agenda-training-day" in name and name.endswith(".pdf"))
    text = pdf_text(files[agenda])
    for word in words:
        assert word in text


# 3. Data, not code, names the sessions: a fifth session is built and packed with no code change.

FOLLOW_UP = """---
title: Agenda of the follow-up meeting
summary: Three months after the training, the group looks back at what it tried in practice.
---

A meeting of {{ sessions['follow-up-meeting'].minutes | duration }} for everyone who took the training.

## Looking back {#looking-back}

What each participant tried since the in-depth session, and what happened.

## Next steps {#next-steps}

What the group takes on next, and who brings which case to the pool.
"""


@pytest.mark.slow
def test_a_fifth_session_is_built_and_packed_with_no_code_change(proj):
    data = proj / "content" / "project.yaml"
    text = data.read_text(encoding="utf-8")
    text = text.replace("\n# The document set:", """  follow-up-meeting:
    name: Follow-up meeting
    minutes: 90
    sample_start: "15:00"
    items:
      - {id: looking-back, minutes: 60}
      - {id: next-steps, minutes: 30}

# The document set:""")
    text = text.replace("documents:\n", "documents:\n  - {id: agenda-follow-up-meeting, kind: agenda, sessions: [follow-up-meeting]}\n")
    text = text.replace("occasions:\n", "occasions:\n  - {field: follow_up_meetings, sessions: [follow-up-meeting], repeated: true}\n", 1)
    # Occasions come in order of time: the follow-up after the intervision meetings.
    lines = text.split("\n")
    first = next(i for i, l in enumerate(lines) if "follow_up_meetings" in l)
    moved = lines.pop(first)
    last = max(i for i, l in enumerate(lines) if l.startswith("  - {field:"))
    lines.insert(last + 1, moved)
    data.write_text("\n".join(lines), encoding="utf-8")
    (proj / "content" / "en" / "agenda-follow-up-meeting.md").write_text(FOLLOW_UP, encoding="utf-8")
    muni = yaml.safe_load((proj / "municipalities" / "koivulahti.yaml").read_text(encoding="utf-8"))
    muni["languages"] = ["en"]
    muni["follow_up_meetings"] = [{"date": "2027-12-01", "start": "15:00", "venue": "Kaupungintalo", "address": "Torikatu 1"}]
    (proj / "municipalities" / "koivulahti.yaml").write_text(yaml.safe_dump(muni, allow_unicode=True), encoding="utf-8")
    # The new session's name is a new catalog message, as the README says.
    for task in ("i18n.extract", "i18n.update"):
        r = invoke(proj, task)
        assert r.returncode == 0, r.stderr

    built = invoke(proj, "build", "--lang", "en")
    assert built.returncode == 0, built.stderr
    html = (proj / "build" / "en" / "agenda-follow-up-meeting.html").read_text(encoding="utf-8")
    assert "Looking back" in html and "15:00–16:00" in html and "16:00–16:30" in html
    packed = invoke(proj, "pack", "--municipality", "koivulahti")
    assert packed.returncode == 0, packed.stderr
    files = zip_files(proj / "build" / "packs" / "koivulahti-en.zip")
    assert "koivulahti-en/agenda-follow-up-meeting.pdf" in files
    ics = files["koivulahti-en/calendar/follow-up-meeting.ics"].decode()
    assert "Follow-up meeting" in ics and "DTSTART;TZID=Europe/Helsinki:20271201T150000" in ics
    # The translations lack the new document: check says so, and their build is refused.
    fi = invoke(proj, "build", "--lang", "fi")
    assert fi.returncode == 1 and "content/fi/agenda-follow-up-meeting.md: missing-document" in fi.stderr


# 4. invoke serve keeps the last good build when a save breaks something.

def test_serve_survives_a_broken_project_file_and_a_broken_catalog(proj):
    proc = subprocess.Popen([sys.executable, "-m", "invoke", "serve", "--lang", "fi", "--port", "0"], cwd=proj,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []

    def wait_for(pattern: str, timeout: float = 120) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if re.search(pattern, line):
                return line
        raise AssertionError(f"never printed {pattern!r}:\n{''.join(lines)}")

    try:
        wait_for(r"^serving http://127\.0\.0\.1:\d+/fi/index\.html")
        good = (proj / "build" / "fi" / "programme.pdf").read_bytes()
        data = proj / "content" / "project.yaml"
        replace(data, "max_group_size: 16", "max_group_size: [16")
        wait_for(r"content/project\.yaml:\d+: is not valid YAML")
        assert proc.poll() is None, "serve exited on a broken project.yaml"
        replace(data, "max_group_size: [16", "max_group_size: 16")
        wait_for(r"rebuilt \d+ files")
        po = proj / PO_FI
        replace(po, 'msgstr "Ryhmä %(number)s"', 'msgstr "Ryhmä %(numero)s"')
        wait_for(r"messages\.po:\d+: .*placeholder")
        assert proc.poll() is None, "serve exited on a wrong catalog placeholder"
        assert (proj / "build" / "fi" / "programme.pdf").read_bytes() == good
        assert "Traceback" not in "".join(lines)
    finally:
        proc.terminate()
        proc.wait(20)


# 5. A broken catalog line never reaches a page; build refuses what check finds.

@pytest.mark.parametrize("old, new, offset, expected", [
    ('msgstr "Kuntasi"', 'msgstr "Kuntasi', 0, "malformed catalog line"),
    ('msgstr "Kuntasi"', "msgstr kunta", 0, "malformed catalog line"),
    ('msgstr "Kuntasi"', 'msgstr "Kuntasi"\nmsgstr "Kaupunkisi"', 1, "malformed catalog: a second msgstr in one message"),
    # A message's problems are named at its msgid, the line before.
    ('msgstr "Ryhmä %(number)s"', 'msgstr "Ryhmä %(numero)s"', -1, "unknown named placeholder 'numero'"),
    ('msgstr "Sivu %(page)s/%(pages)s"', 'msgstr "Sivu %(sivu)s/%(pages)s"', -1, "unknown named placeholder 'sivu'"),
])
def test_a_broken_catalog_stops_the_build_with_its_line(proj, old, new, offset, expected):
    po = proj / PO_FI
    text = po.read_text(encoding="utf-8")
    if old not in text:
        pytest.fail(f"the Finnish catalog no longer has {old!r}")
    line = line_of(po, old) + offset
    po.write_text(text.replace(old, new, 1), encoding="utf-8")
    r = invoke(proj, "build", "--lang", "fi")
    assert r.returncode == 1 and "Traceback" not in r.stderr + r.stdout
    assert re.search(rf"{re.escape(PO_FI)}:{line}: .*{re.escape(expected)}", r.stderr), r.stderr
    assert "KeyError" not in r.stderr and not (proj / "build" / "fi").exists()


def test_a_damaged_output_is_rebuilt(proj):
    assert invoke(proj, "build", "--lang", "en", "--doc", "programme").returncode == 0
    pdf = proj / "build" / "en" / "programme.pdf"
    good = pdf.read_bytes()
    pdf.write_bytes(good[: len(good) // 2])
    r = invoke(proj, "build", "--lang", "en", "--doc", "programme")
    assert r.returncode == 0, r.stderr
    assert pdf.read_bytes() == good


def test_the_landing_page_escapes_the_organisation(proj):
    replace(proj / "content" / "project.yaml", "organisation: Inside Polarisation",
            'organisation: "<script>alert(1)</script> & Co"')
    r = invoke(proj, "build", "--lang", "en", "--doc", "programme")
    assert r.returncode == 0, r.stderr
    html = (proj / "build" / "index.html").read_text(encoding="utf-8")
    assert "<script>" not in html and "<title>&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co</title>" in html


def test_imports_flow_one_way():
    r = subprocess.run([str(Path(sys.executable).parent / "lint-imports")], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "1 kept, 0 broken" in r.stdout

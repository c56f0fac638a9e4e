"""`invoke pack`: personal, reproducible zips for the example municipalities, and every
validation rule of municipality files."""

from __future__ import annotations

import re

import datetime as dt
import hashlib
import json
import zipfile
from pathlib import Path

import pytest
from tree import copy_project
import yaml
from icalendar import Calendar
from pypdf import PdfReader

from materials.errors import ProjectError
from materials.sources.municipality import load_municipality
from materials.packs.pack import pack
from materials.sources.project import load_project


@pytest.fixture(scope="module")
def packs(root, tmp_path_factory):
    out = tmp_path_factory.mktemp("packs")
    results = pack(root, all=True, out_dir=out)
    return out, {(r.slug, r.lang): r for r in results}


def open_zip(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {info.filename: zf.read(info) for info in zf.infolist()}


def pdf_text(data: bytes) -> str:
    import io

    # Non-breaking spaces (between a number and its word) read as spaces.
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages).replace("\xa0", " ")


def test_the_three_examples_pack_in_their_languages(packs):
    out, results = packs
    assert set(results) == {("lindenhoven", "nl"), ("heidebeek", "nl"), ("koivulahti", "fi"), ("koivulahti", "en")}
    for (slug, lang), r in results.items():
        assert r.path == out / "packs" / f"{slug}-{lang}.zip"
        files = open_zip(r.path)
        names = {n.split("/", 1)[1] for n in files}
        assert all(n.startswith(f"{slug}-{lang}/") for n in files)
        assert not any(n.startswith("/") or ".." in n.split("/") for n in files)
        for doc in ("programme", "handout-introductory-meeting", "handout-training",
                    "invitation-introductory-meeting", "agenda-introductory-meeting"):
            assert {f"{doc}.html", f"{doc}.pdf"} <= names
        assert {"index.html", "manifest.json", "calendar/introductory-meeting.ics"} <= names
        # The participant workbook of each training group (one group: no suffix).
        assert {n for n in names if n.startswith("workbook")} >= ({"workbook.html", "workbook.pdf"}
                                                                  if slug != "lindenhoven" else {"workbook-group-1.pdf"})


def test_manifest_hashes_match_the_zips_files(packs):
    _, results = packs
    for r in results.values():
        files = open_zip(r.path)
        folder = f"{r.slug}-{r.lang}/"
        manifest = json.loads(files[folder + "manifest.json"])
        listed = {f["path"] for f in manifest["files"]}
        assert listed == {n[len(folder):] for n in files} - {"manifest.json"}
        for f in manifest["files"]:
            assert hashlib.sha256(files[folder + f["path"]]).hexdigest() == f["sha256"]


def test_groups_get_their_own_invitations_agendas_and_calendars(packs):
    _, results = packs
    names = {n.split("/", 1)[1] for n in open_zip(results["lindenhoven", "nl"].path)}
    for n in (1, 2):
        assert {f"invitation-training-group-{n}.pdf", f"agenda-training-day-group-{n}.pdf",
                f"agenda-in-depth-session-group-{n}.pdf", f"calendar/training-day-group-{n}.ics",
                f"calendar/in-depth-session-group-{n}.ics", f"workbook-group-{n}.pdf", f"workbook-group-{n}.html"} <= names
    assert {"agenda-intervision-meeting-1.pdf", "agenda-intervision-meeting-2.pdf"} <= names



def test_the_index_links_every_file_of_the_pack_the_combined_calendars_too(packs):
    """index.html lists each document and every calendar file: the one of all sessions, one per
    training group, one per session (its group named), and every link opens a file of the zip."""
    import lxml.html

    _, results = packs
    for (slug, lang), r in results.items():
        files = open_zip(r.path)
        folder = f"{slug}-{lang}/"
        index = lxml.html.fromstring(files[folder + "index.html"])
        links = {a.get("href"): " ".join(a.text_content().split()) for a in index.iter("a")}
        calendars = {n[len(folder):] for n in files if n.startswith(folder + "calendar/")}
        assert {"calendar/all-sessions.ics", "calendar/training-group-1.ics"} <= calendars
        assert calendars <= set(links), f"{slug}-{lang}: calendar files not listed: {sorted(calendars - set(links))}"
        assert {h for h in links if not h.startswith(("#", "mailto:"))} <= {n[len(folder):] for n in files}
    links = {a.get("href"): " ".join(a.text_content().split())
             for a in lxml.html.fromstring(open_zip(results["lindenhoven", "nl"].path)["lindenhoven-nl/index.html"]).iter("a")}
    assert links["calendar/all-sessions.ics"] == "Alle bijeenkomsten in één bestand"
    assert links["calendar/training-group-2.ics"] == "Trainingsgroep 2: de bijeenkomsten in één bestand"
    assert links["calendar/training-day-group-2.ics"] == "Trainingsdag – Groep 2"


def test_calendar_files_parse_back_with_local_times_venue_and_language(packs):
    _, results = packs
    files = open_zip(results["koivulahti", "fi"].path)
    cal = Calendar.from_ical(files["koivulahti-fi/calendar/training-day.ics"])
    event = cal.walk("VEVENT")[0]
    start, end = event.decoded("DTSTART"), event.decoded("DTEND")
    assert start.tzinfo is not None and str(event["DTSTART"].params["TZID"]) == "Europe/Helsinki"
    assert (start.date(), start.hour, start.minute) == (dt.date(2027, 3, 16), 8, 30)
    assert start.astimezone(dt.timezone.utc).hour == 6  # EET is UTC+2 in March
    assert end - start == dt.timedelta(minutes=420)
    assert "Monitoimitalo Aalto" in str(event["LOCATION"])
    assert str(event["SUMMARY"]).startswith("Koulutuspäivä")
    assert "Koivulahden kaupunki" in str(event["DESCRIPTION"]) and "8.30–9.05" in str(event["DESCRIPTION"])
    # Summer time: the Dutch intervision meeting in June is at 13:30 CEST = 11:30 UTC.
    files = open_zip(results["lindenhoven", "nl"].path)
    event = Calendar.from_ical(files["lindenhoven-nl/calendar/intervision-meeting-1.ics"]).walk("VEVENT")[0]
    assert event.decoded("DTSTART").astimezone(dt.timezone.utc).hour == 11


def test_invitation_pdf_has_the_municipality_and_localised_dates(packs):
    _, results = packs
    files = open_zip(results["koivulahti", "fi"].path)
    text = pdf_text(files["koivulahti-fi/invitation-training.pdf"])
    assert "Koivulahden kaupunki" in text
    assert "16. maaliskuuta 2027" in text and "8.30–15.30" in text
    assert "Monitoimitalo Aalto" in text and "aino.virtanen@koivulahti.example" in text
    files = open_zip(results["heidebeek", "nl"].path)
    text = pdf_text(files["heidebeek-nl/invitation-introductory-meeting.pdf"])
    assert "Gemeente Heidebeek" in text and "11 mei 2027" in text and "19.00–21.00" in text  # Flemish clock times
    assert "[" not in text  # no placeholder left in a personal pack


def test_same_inputs_give_a_byte_identical_zip(root, tmp_path):
    a = pack(root, "heidebeek", out_dir=tmp_path / "a")[0]
    b = pack(root, "heidebeek", out_dir=tmp_path / "b")[0]
    assert a.path.read_bytes() == b.path.read_bytes()


# -- strict: refused while check finds errors; --draft marks every page --------------------

@pytest.fixture
def tree(tmp_path):
    return copy_project(tmp_path / "p", tasks=False)


def test_pack_is_refused_while_check_finds_errors_and_draft_marks_every_page(tree):
    path = tree / "content" / "fi" / "agenda-training-day.md"
    path.write_text(path.read_text(encoding="utf-8").replace("{{ facts.max_group_size }}", "{{ facts.training_days }}", 1),
                    encoding="utf-8")
    with pytest.raises(ProjectError) as exc:
        pack(tree, "koivulahti", lang="fi")
    assert "content/fi/agenda-training-day.md:6: placeholder: Section 'intro' uses different template values" in str(exc.value)
    assert not (tree / "build" / "packs").exists()
    r = pack(tree, "koivulahti", lang="fi", draft=True)[0]
    files = open_zip(r.path)
    reader = PdfReader(__import__("io").BytesIO(files["koivulahti-fi/invitation-training.pdf"]))
    for page in reader.pages:
        assert "Luonnos: ei jakeluun" in page.extract_text()
    assert "Luonnos: ei jakeluun" in files["koivulahti-fi/index.html"].decode()


def test_a_pack_about_sessions_held_needs_allow_past(tree, monkeypatch):
    monkeypatch.setenv("MATERIALS_TODAY", "2027-07-01")  # the meeting and the training are behind us
    with pytest.raises(ProjectError) as exc:
        pack(tree, "heidebeek")
    said = str(exc.value)
    assert "municipalities/heidebeek.yaml:12: introductory_meeting.date: 2027-05-11 has passed (today is 2027-07-01)" in said
    assert "training_groups[0].in_depth_session.date: 2027-06-22 has passed" in said
    assert "intervision_meetings" not in said and not (tree / "build" / "packs").exists()
    r = pack(tree, "heidebeek", allow_past=True)[0]
    assert "11 mei 2027" in pdf_text(open_zip(r.path)["heidebeek-nl/invitation-introductory-meeting.pdf"])


def test_municipality_data_is_escaped_in_html(tree):
    path = tree / "municipalities" / "heidebeek.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["name"] = "Gemeente <script>alert(1)</script> & Co"
    data["introductory_meeting"]["venue"] = "Zaal <b>1</b>"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    r = pack(tree, "heidebeek")[0]
    files = open_zip(r.path)
    for name in ("invitation-introductory-meeting.html", "index.html", "agenda-introductory-meeting.html"):
        html = files[f"heidebeek-nl/{name}"].decode()
        assert "<script>alert" not in html and "<b>1</b>" not in html
    html = files["heidebeek-nl/invitation-introductory-meeting.html"].decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in html and "Zaal &lt;b&gt;1&lt;/b&gt;" in html


# -- validation: every rule, every error at once, with file and field path ----------------

def write_municipality(tree: Path, slug: str, change) -> None:
    base = yaml.safe_load((tree / "municipalities" / "lindenhoven.yaml").read_text(encoding="utf-8"))
    change(base)
    (tree / "municipalities" / f"{slug}.yaml").write_text(yaml.safe_dump(base, allow_unicode=True), encoding="utf-8")


def set_path(data, path: str, value):
    *parents, last = path.split(".")
    for p in parents:
        data = data[int(p)] if p.isdigit() else data[p]
    if value is KeyError:
        del data[last]
    else:
        data[int(last) if last.isdigit() else last] = value


INVALID = [
    ("training_groups.0.participants", 17, "training_groups[0].participants: expected at most 16 participants in a group"),
    ("training_groups.0.in_depth_session.date", "2027-04-01",
     "training_groups[0].in_depth_session.date: expected a date after the training day (2027-04-06)"),
    ("rsvp_deadline", "2027-03-10", "rsvp_deadline: expected a date before the introductory meeting (2027-03-09)"),
    ("languages", ["nl", "sv"], "languages[1]: expected one of en, fi, nl, got 'sv'"),
    ("department", "finance", "department: expected one of public-order-and-safety, social-development, got 'finance'"),
    ("introductory_meeting.date", "9.3.2027", "introductory_meeting.date: expected a date such as 2027-03-15, got '9.3.2027'"),
    ("introductory_meeting.start", "2 pm", "introductory_meeting.start: expected a clock time such as \"09:30\", got '2 pm'"),
    ("introductory_meeting.start", "25:00", "introductory_meeting.start: expected a clock time"),
    ("contact.email", "marieke-at-lindenhoven", "contact.email: expected an email address"),
    ("contact.name", KeyError, "contact.name: missing; expected the contact person's name"),
    ("country", "SE", "country: expected one of NL, BE, FI, got 'SE'"),
    ("intervision_meetings.0.venue", KeyError, "intervision_meetings[0].venue: missing"),
]


@pytest.mark.parametrize("field, value, expected", INVALID)
def test_each_validation_rule_names_file_and_field(tree, field, value, expected):
    write_municipality(tree, "testgemeente", lambda d: set_path(d, field, value))
    with pytest.raises(ProjectError) as exc:
        pack(tree, "testgemeente")
    assert re.search(rf"municipalities/testgemeente\.yaml:\d+: {re.escape(expected)}", str(exc.value)), str(exc.value)
    assert not (tree / "build").exists()


def test_all_errors_are_reported_at_once(tree):
    def damage(d):
        d["training_groups"][0]["participants"] = 20
        d["contact"]["email"] = "nope"
        d["department"] = "finance"
    write_municipality(tree, "testgemeente", damage)
    with pytest.raises(ProjectError) as exc:
        load_municipality(load_project(tree), "testgemeente")
    assert len(exc.value.problems) == 3


@pytest.mark.parametrize("slug", ["../content/project", "a/b", ".hidden", "Lindenhoven", "", "x..y"])
def test_a_slug_must_be_a_plain_lowercase_name(tree, slug):
    with pytest.raises(ProjectError) as exc:
        pack(tree, slug)
    assert "is not a municipality slug" in str(exc.value) or "give either" in str(exc.value)
    assert not (tree / "build").exists()


def test_unknown_municipality_names_the_known_ones(tree):
    with pytest.raises(ProjectError) as exc:
        pack(tree, "atlantis")
    assert "municipalities/atlantis.yaml: no such municipality file; known municipalities: heidebeek, koivulahti, lindenhoven" in str(exc.value)


def test_malformed_yaml_names_the_line(tree):
    (tree / "municipalities" / "broken.yaml").write_text("name: X\ncountry: [NL\nlanguages: [nl]\n", encoding="utf-8")
    with pytest.raises(ProjectError) as exc:
        pack(tree, "broken")
    assert str(exc.value).startswith("municipalities/broken.yaml:")


@pytest.mark.slow
def test_pack_all_prints_a_table_by_language_and_makes_the_same_packs(packs, tmp_path):
    """`invoke pack --all`, as a coordinator runs it: packs made side by side (HTML of the next
    packs while the PDFs of the first render) are byte for byte the packs made one by one."""
    import subprocess
    import sys

    _, results = packs
    proj = copy_project(tmp_path / "p")
    r = subprocess.run([sys.executable, "-m", "invoke", "pack", "--all", "--jobs", "2"], cwd=proj,
                       capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr
    assert "Packs by language" in r.stdout
    rows = {line.split("│")[1].strip(): [c.strip() for c in line.split("│")[2:-1]]
            for line in r.stdout.splitlines() if line.startswith("│") and line.split("│")[1].strip() in ("nl", "fi", "en")}
    assert {lang: int(cells[0]) for lang, cells in rows.items()} == {"nl": 2, "fi": 1, "en": 1}
    assert all(re.fullmatch(r"\d+ s", cells[1]) and re.fullmatch(r"\d+ MB", cells[3]) for cells in rows.values())
    assert "4 packs in build/packs/" in r.stderr
    for (slug, lang), made in results.items():
        assert (proj / "build" / "packs" / f"{slug}-{lang}.zip").read_bytes() == made.path.read_bytes(), (slug, lang)


def test_a_page_the_same_in_many_packs_is_rendered_once_per_run():
    """The workbook of a language's first training group is the same page in every such pack:
    its PDF is rendered once, and any other page is rendered as its own."""
    from concurrent.futures import Future
    from dataclasses import replace

    from materials.packs.pack import Packer
    from materials.render.pdf import PdfJob

    submitted = []

    class Workers:
        def submit(self, jobs):
            submitted.extend(jobs)
            return [Future() for _ in jobs]

    packer = Packer.__new__(Packer)  # only what pdf() uses
    packer.pdfs, packer.rendered = Workers(), {}
    job = PdfJob("workbook-group-1", "<html><body>Workbook</body></html>", "file:///build/")
    first = packer.pdf(job)
    assert packer.pdf(replace(job)) is first and len(submitted) == 1
    assert packer.pdf(replace(job, html="<html><body>Other</body></html>")) is not first
    assert packer.pdf(replace(job, key="workbook-group-2")) is not first and len(submitted) == 3

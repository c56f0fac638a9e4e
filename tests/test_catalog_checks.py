"""Catalog strings are checked at least as strictly as translate-toolkit's pofilter checks them,
with fewer false alarms: defects injected into a copy of the Finnish catalog, one per message,
are each caught by `check` whenever pofilter catches them (and some pofilter cannot, such as a
glossary term), and our clean catalogs, which pofilter flags on correct Dutch ("Agenda", "pdf"),
raise nothing."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po, write_po

from materials.rules.checks import WARNINGS, check
from tree import copy_project

PO = "locale/{lang}/LC_MESSAGES/messages.po"
POFILTER = Path(sys.executable).parent / "pofilter"


def first_sentence_id(catalog) -> str:
    """A message ending with a full stop (whichever the templates have)."""
    return next(m.id for m in catalog if isinstance(m.id, str) and m.id.endswith(".") and m.string.endswith("."))


# msgid -> (the damaged translation, the finding we expect)
def defects(catalog) -> dict[str, tuple[str, str]]:
    sentence = first_sentence_id(catalog)
    return {
        "Group %(number)s": ("Ryhmä", "catalog-placeholder"),
        "Slide %(number)s": ("Dia (%(number)s", "catalog-brackets"),
        "Skip to content": ("Skip to content", "catalog-unchanged"),
        "Present the slides": ("Esitä  diat", "catalog-spacing"),
        "Notes": ("Muistiinpanot ", "catalog-spacing"),
        sentence: (catalog[sentence].string.rstrip("."), "catalog-punctuation"),
        "Your own notes": ("Omat omat muistiinpanot", "catalog-repeated-word"),
        "Documents": ("asiakirjat", "catalog-capitals"),
        "Polarisation Framework materials": ("Materiaalit", "catalog-glossary"),
    }


def pofilter_flags(po: Path, lang: str, tmp: Path) -> dict[str, set[str]]:
    """msgid -> the pofilter checks that failed on it (pofilter's default checks)."""
    out = tmp / f"pofilter-{lang}.po"
    subprocess.run([str(POFILTER), f"--language={lang}", "-i", str(po), "-o", str(out)], check=True, capture_output=True)
    if not out.exists():  # pofilter writes nothing when every unit passes
        return {}
    flags: dict[str, set[str]] = {}
    with open(out, "rb") as fh:
        for m in read_po(fh):
            checks = {c.split(")", 1)[1].split(":", 1)[0].strip() for c in m.user_comments + m.auto_comments if "(pofilter)" in c}
            if m.id and checks:
                flags[m.id if isinstance(m.id, str) else m.id[0]] = checks
    return flags


@pytest.fixture
def tree(tmp_path):
    return copy_project(tmp_path / "p", municipalities=False, tasks=False)


def ours(report, lang: str) -> dict[int, set[str]]:
    found: dict[int, set[str]] = {}
    for f in report.findings:
        if f.lang == lang and f.file == PO.format(lang=lang):
            found.setdefault(f.line, set()).add(f.code)
    return found


def test_every_injected_defect_pofilter_finds_check_finds_too(tree, tmp_path):
    path = tree / PO.format(lang="fi")
    with open(path, "rb") as fh:
        catalog = read_po(fh, locale="fi_FI")
    injected = defects(catalog)
    for mid, (bad, _) in injected.items():
        catalog[mid].string = bad
    with open(path, "wb") as fh:
        write_po(fh, catalog, width=0)
    with open(path, "rb") as fh:  # the line each message now starts at
        lines = {m.id: m.lineno for m in read_po(fh) if m.id}

    found = ours(check(tree, "fi"), "fi")
    theirs = pofilter_flags(path, "fi", tmp_path)
    caught = {mid for mid, (_, code) in injected.items() if code in found.get(lines[mid], set())
              or (code == "catalog-placeholder" and "catalog" in found.get(lines[mid], set()))}
    assert caught == set(injected), f"missed: {sorted(set(injected) - caught)}; found {found}"
    assert set(theirs) & set(injected) <= caught  # whatever pofilter catches, we catch
    assert len(caught) > len(set(theirs) & set(injected))  # and more: the glossary, at least
    print(f"injected {len(injected)}; check caught {len(caught)}; pofilter caught {len(set(theirs) & set(injected))}")


def test_errors_stop_the_build_and_warnings_do_not(tree):
    path = tree / PO.format(lang="fi")
    with open(path, "rb") as fh:
        catalog = read_po(fh, locale="fi_FI")
    catalog["Your own notes"].string = "Omat omat muistiinpanot"
    with open(path, "wb") as fh:
        write_po(fh, catalog, width=0)
    report = check(tree, "fi")
    assert [f.code for f in report.findings] == ["catalog-repeated-word"] and report.errors == []
    assert "catalog-repeated-word" in WARNINGS
    catalog["Skip to content"].string = "Skip to content"
    with open(path, "wb") as fh:
        write_po(fh, catalog, width=0)
    assert [f.code for f in check(tree, "fi").errors] == ["catalog-unchanged"]


@pytest.mark.parametrize("lang", ["fi", "nl"])
def test_our_clean_catalogs_raise_no_false_alarm_where_pofilter_raises_some(root, tmp_path, lang):
    po = tmp_path / f"{lang}.po"
    shutil.copy(root / PO.format(lang=lang), po)
    theirs = pofilter_flags(po, lang, tmp_path)
    assert ours(check(root, lang), lang) == {}
    if lang == "nl":  # "Agenda", "PDF" → "pdf" and the like: correct Dutch that pofilter questions
        assert len(theirs) >= 3, theirs


def test_an_accepted_finding_is_set_aside_until_its_text_changes(tree):
    path = tree / PO.format(lang="nl")
    with open(path, "rb") as fh:
        catalog = read_po(fh, locale="nl_NL")
    catalog["Your own notes"].string = "Eigen eigen aantekeningen"
    with open(path, "wb") as fh:
        write_po(fh, catalog, width=0)
    [finding] = check(tree, "nl").findings  # (the project's own acceptances still hold)
    accepted = tree / "locale" / "accepted.yaml"
    kept = accepted.read_text(encoding="utf-8") if accepted.exists() else "accepted:\n"
    accepted.write_text(kept + f"  - fingerprint: {finding.fingerprint}\n"
                               "    code: catalog-repeated-word\n    lang: nl\n"
                               "    reason: the repetition is meant here\n", encoding="utf-8")
    report = check(tree, "nl")
    assert report.findings == [] and ("catalog-repeated-word", "the repetition is meant here") in [
        (f.code, r) for f, r in report.accepted]
    # The text changes: the acceptance no longer holds, and check says to remove it.
    catalog["Your own notes"].string = "Eigen eigen notities"
    with open(path, "wb") as fh:
        write_po(fh, catalog, width=0)
    report = check(tree, "nl")
    assert sorted(f.code for f in report.findings) == ["accepted", "catalog-repeated-word"]
    assert "catalog-repeated-word" not in [f.code for f, _ in report.accepted]
    assert [f.line for f in report.findings if f.code == "accepted"] == [len(kept.split("\n"))]


def test_a_malformed_acceptance_file_is_an_error_naming_its_line(tree):
    (tree / "locale" / "accepted.yaml").write_text("accepted:\n  - fingerprint: nope\n    code: x\n    lang: nl\n"
                                                  "    reason: because\n", encoding="utf-8")
    [f] = check(tree, "nl").errors
    assert f.file == "locale/accepted.yaml" and f.line == 2 and "fingerprint" in f.message

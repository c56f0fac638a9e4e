"""`invoke i18n.export` / `i18n.import`: the documents as PO and XLIFF units, read back by the
parsers translators' tools use (polib; translate-toolkit's, which Weblate uses), a lossless round
trip on the real content of every translation, unit-level confirmation, and the refusals.

Each test works on a copy of the project (tests/tree.py); a source change is an edited sentence.
"""

from __future__ import annotations

import subprocess
import sys

import polib
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from translate.storage import po as tt_po, xliff as tt_xliff
from tree import copy_project

from materials.errors import ProjectError
from materials.rules.checks import check
from materials.sources import stamps
from materials.sources.content import parse_content
from materials.sources.loader import load
from materials.translators import po, xliff
from materials.translators.exchange import Plan, export, import_files, new_text, units_of
from materials.translators.units import CURRENT, OUTDATED, document_units

LANGS = ("fi", "nl")
FORMATS = ("po", "xliff")


@pytest.fixture
def tree(tmp_path):
    return copy_project(tmp_path / "p", municipalities=False, tasks=False)


def snapshot(tree) -> dict:
    return {p.relative_to(tree): p.read_bytes() for d in ("content", "locale") for p in sorted((tree / d).rglob("*")) if p.is_file()}


def edit(tree, lang, doc, old, new):
    path = tree / "content" / lang / f"{doc}.md"
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def read_units(path):
    """(key, source, target, fuzzy) of every unit, as translate-toolkit reads the file."""
    if path.suffix == ".po":
        store = tt_po.pofile.parsefile(str(path))
        return [(u.getcontext(), u.source, u.target, u.isfuzzy()) for u in store.units if not u.isheader()]
    store = tt_xliff.xlifffile.parsefile(str(path))
    return [(u.getid().split("\x04")[-1], u.source, u.target, u.isfuzzy()) for u in store.units]


# -- round trips on the real content --------------------------------------------------------------

@pytest.mark.parametrize("format", FORMATS)
def test_export_then_import_with_no_edit_leaves_every_file_byte_identical(tree, format):
    before = snapshot(tree)
    sources = load(tree)
    for lang in LANGS:
        exported = export(tree, lang, format=format)
        assert [e.doc for e in exported] == list(sources.project.documents)
        for e in exported:
            units = [u for s in units_of(sources, lang, e.doc) for u in s.units]
            # Every unit, read by translate-toolkit as our own data has it; all current, none fuzzy.
            assert read_units(e.path) == [(u.key, u.source, u.target, False) for u in units]
            assert e.units == len(units) == e.counts[CURRENT] > 5
            if format == "po":
                entries = [x for x in polib.pofile(str(e.path)) if x.msgid]
                assert [(x.msgctxt, x.msgid, x.msgstr) for x in entries] == [(u.key, u.source, u.target) for u in units]
                result = subprocess.run(["msgfmt", "--check-format", "-o", "/dev/null", str(e.path)], capture_output=True, text=True)
                assert result.returncode == 0, result.stderr
        results = import_files(tree, [e.path for e in exported])
        assert all(not r.content and not r.confirmed for r in results)
    assert snapshot(tree) == before


def test_units_cover_paragraphs_items_titles_notes_and_front_matter(tree):
    sources = load(tree)
    units = {u.key: u for s in units_of(sources, "fi", "handout-introductory-meeting") for u in s.units}
    assert units["front-matter/title"].source == "The inner world of polarisation"
    assert units["why-this-meeting/title"].kind == "slide title"
    assert units["why-this-meeting/1"].kind == "slide: list item"
    assert units["why-this-meeting/1"].source == "Tensions between groups are part of municipal work"
    assert units["why-this-meeting/4"].kind == "slide note: paragraph"
    total = {lang: sum(len(s.units) for d in sources.project.documents for s in units_of(sources, lang, d)) for lang in LANGS}
    assert total["fi"] == total["nl"] > 200


@pytest.mark.parametrize("format", FORMATS)
def test_edit_in_a_tool_then_import_then_export_gives_the_same_units(tree, format):
    [e] = export(tree, "nl", doc="programme", format=format)
    edited = {}
    if format == "po":
        store = tt_po.pofile.parsefile(str(e.path))
        units = [u for u in store.units if not u.isheader()]
    else:
        store = tt_xliff.xlifffile.parsefile(str(e.path))
        units = list(store.units)
    for u in units:  # translate-toolkit writes the file, as Weblate would
        if "{{" not in u.source and u.target and len(edited) < 4:
            u.target = u.target.rstrip(".") + " (herzien)." if u.target.endswith(".") else u.target + " herzien"
            edited[u.getcontext() if format == "po" else u.getid().split("\x04")[-1]] = u.target
    e.path.write_bytes(bytes(store))
    [result] = import_files(tree, [e.path])
    assert sorted(result.confirmed) == sorted(edited) and result.content == "content/nl/programme.md"
    [again] = export(tree, "nl", doc="programme", format=format)
    after = {key: (target, fuzzy) for key, _, target, fuzzy in read_units(again.path)}
    for key, target in edited.items():
        assert after[key] == (target, False)
    text = (tree / "content" / "nl" / "programme.md").read_text(encoding="utf-8")
    assert all(t in text for t in edited.values())
    # Importing it again changes nothing.
    before = snapshot(tree)
    assert not import_files(tree, [again.path])[0].content
    assert snapshot(tree) == before


# -- outdated units: the fuzzy flag, the previous source, and unit-level confirmation ---------------

def two_source_edits(tree):
    edit(tree, "en", "programme", "Social Development takes the lead at other times", "Social Development takes the lead on other occasions")
    edit(tree, "en", "programme", "Policy makers decide on direction and resources.",
         "Policy makers decide on direction, priorities and resources.")


def test_an_outdated_unit_is_fuzzy_with_the_english_last_confirmed(tree):
    two_source_edits(tree)
    [p] = export(tree, "fi", doc="programme", format="po")
    [x] = export(tree, "fi", doc="programme", format="xliff")
    fuzzy = [e for e in polib.pofile(str(p.path)) if "fuzzy" in e.flags]
    assert [e.msgctxt for e in fuzzy] == ["where-it-starts/1", "connecting/1"]
    assert "Social Development takes the lead at other times" in fuzzy[0].previous_msgid
    assert "Social Development takes the lead on other occasions" in fuzzy[0].msgid
    assert "#| msgid \"The programme starts in one of two" in p.path.read_text(encoding="utf-8")
    assert p.counts == {"current": 33, "outdated": 2, "unconfirmed": 0, "missing": 0}
    [only] = export(tree, "fi", doc="programme", only="outdated", out_dir=tree / "only")
    assert only.units == 2 and [e.msgctxt for e in polib.pofile(str(only.path))] == ["where-it-starts/1", "connecting/1"]
    store = tt_xliff.xlifffile.parsefile(str(x.path))
    flagged = [u for u in store.units if u.isfuzzy()]
    assert [u.getid().split("\x04")[-1] for u in flagged] == ["where-it-starts/1", "connecting/1"]
    [alt] = flagged[0].getalttrans()
    assert "Social Development takes the lead at other times" in alt.source and alt.target == flagged[0].target
    # The notes: the document, the section's title, the glossary's terms, the check's finding.
    notes = fuzzy[0].comment
    assert "Document: The Polarisation Framework (programme)" in notes and "Section: Where the programme starts" in notes
    assert "Social Development = hyvinvointi- ja osallisuuspalvelut" in notes and "check: error outdated" in notes


def test_importing_one_updated_unit_confirms_only_it_and_check_reports_the_rest_as_before(tree):
    two_source_edits(tree)
    findings = lambda: sorted((f.line, f.message, f.diff) for f in check(tree, "fi").findings if f.code == "outdated")
    outdated_before = findings()
    assert len(outdated_before) == 2
    [e] = export(tree, "fi", doc="programme", format="po")
    catalog = polib.pofile(str(e.path))
    unit = catalog.find("where-it-starts/1", by="msgctxt")
    unit.msgstr = unit.msgstr.replace("Toisinaan asiaan tarttuvat", "Toisinaan taas asiaan tarttuvat")
    unit.flags.remove("fuzzy")
    unit.previous_msgid = None
    catalog.save(str(e.path))
    before = snapshot(tree)
    [result] = import_files(tree, [e.path])
    assert result.confirmed == ["where-it-starts/1"] and result.sections == ["where-it-starts"]
    after = snapshot(tree)
    changed = {path for path in after if after[path] != before[path]}
    assert changed == {tree.joinpath("content/fi/programme.md").relative_to(tree), tree.joinpath("locale/stamps/fi/programme.json").relative_to(tree)}
    # Only that line of the content file changed.
    old, new = (x[tree.joinpath("content/fi/programme.md").relative_to(tree)].decode().split("\n") for x in (before, after))
    assert [i for i, (a, b) in enumerate(zip(old, new)) if a != b] == [10] and len(old) == len(new)
    # The section is confirmed; the other is outdated exactly as before.
    assert findings() == [f for f in outdated_before if "connecting" in f[1]]
    stamp = stamps.load(tree, "fi", "programme")
    assert stamp["where-it-starts"].at and "on other occasions" in stamp["where-it-starts"].source
    assert "priorities" not in stamp["connecting"].source
    # A second import of the same file changes nothing.
    assert import_files(tree, [e.path])[0].confirmed == []
    assert snapshot(tree) == after


def test_a_section_with_one_of_two_changes_carried_over_stays_outdated_with_the_other(tree):
    edit(tree, "en", "programme", "It consists of one full training day", "It consists of one complete training day")
    edit(tree, "en", "programme", "The training is intensive.", "The training is demanding.")
    [e] = export(tree, "fi", doc="programme", format="xliff")
    store = tt_xliff.xlifffile.parsefile(str(e.path))
    [first, second] = [u for u in store.units if u.isfuzzy()]
    assert first.getid().endswith("training/1") and second.getid().endswith("training/2")
    # (translate-toolkit's `unit.target = text` keeps the old inline codes beside the new text,
    # which the import refuses as damaged placeholders: edit the target's last text instead.)
    target = first.xmlelement.find(f"{{{xliff.NS}}}target")
    target[-1].tail = (target[-1].tail or "") + " Muutettu."
    first.markfuzzy(False)
    e.path.write_bytes(bytes(store))
    [result] = import_files(tree, [e.path])
    assert result.confirmed == ["training/1"] and result.pending == ["training"]
    [finding] = [f for f in check(tree, "fi").findings if f.code == "outdated"]
    assert "[-intensive.-] {+demanding.+}" in finding.diff and "complete" not in finding.diff
    again = {u.key: u for s in units_of(load(tree), "fi", "programme") for u in s.units}
    assert again["training/1"].state == CURRENT and again["training/2"].state == OUTDATED


# -- refusals: nothing is written ------------------------------------------------------------------

def refused(tree, files, *needles):
    before = snapshot(tree)
    with pytest.raises(ProjectError) as info:
        import_files(tree, files)
    assert snapshot(tree) == before
    for needle in needles:
        assert needle in str(info.value), str(info.value)
    return str(info.value)


def test_a_stale_export_is_refused_with_file_and_unit(tree):
    [e] = export(tree, "fi", doc="programme")
    catalog = polib.pofile(str(e.path))
    catalog.find("aim/1", by="msgctxt").msgstr = "Uusi käännös."
    catalog.save(str(e.path))
    edit(tree, "en", "programme", "leads to results in the city.", "leads to results in the whole city.")
    message = refused(tree, [e.path], "build/translation/fi/programme.po:", "unit aim/4:", "export again")
    assert len(message.splitlines()) == 1


def test_a_damaged_placeholder_is_refused(tree):
    [e] = export(tree, "fi", doc="programme", format="xliff")
    text = e.path.read_text(encoding="utf-8")
    start = text.index('<target state="translated"><ph id="1">{{ organisation }}</ph>')
    text = text[:start] + text[start:].replace('<ph id="1">{{ organisation }}</ph>', "Inside Polarisation", 1)
    e.path.write_text(text, encoding="utf-8")
    refused(tree, [e.path], "unit intro/1:", "placeholder")


def test_a_changed_unit_still_fuzzy_is_refused_and_all_files_wait(tree):
    two_source_edits(tree)
    files = export(tree, "fi", doc=None)
    good = next(f for f in files if f.doc == "agenda-training-day")
    catalog = polib.pofile(str(good.path))
    catalog[1].msgstr += " Lisäys."
    catalog.save(str(good.path))
    bad = next(f for f in files if f.doc == "programme")
    catalog = polib.pofile(str(bad.path))
    catalog.find("connecting/1", by="msgctxt").msgstr += " Lisäys."
    catalog.save(str(bad.path))
    refused(tree, [good.path, bad.path], "unit connecting/1: is still fuzzy")


def test_a_translation_that_breaks_the_blocks_is_refused(tree):
    [e] = export(tree, "fi", doc="programme")
    catalog = polib.pofile(str(e.path))
    catalog.find("aim/1", by="msgctxt").msgstr += "\n\n## Uusi otsikko {#new}"
    catalog.save(str(e.path))
    refused(tree, [e.path], "unit aim/1:")


def test_the_commands_say_one_line_and_exit_1(tmp_path):
    tree = copy_project(tmp_path / "p", municipalities=False, tasks=True)
    invoke = [sys.executable, "-m", "invoke"]
    run = lambda *args: subprocess.run(invoke + list(args), cwd=tree, capture_output=True, text=True)
    out = run("i18n.export", "--lang", "fi", "--doc", "programme", "--format", "xliff")
    assert out.returncode == 0 and "build/translation/fi/programme.xlf: 35 units (35 current)" in out.stdout
    out = run("i18n.import", "build/translation/fi/programme.xlf")
    assert out.returncode == 0 and "nothing changed" in out.stdout
    out = run("i18n.import", "missing.po")
    assert out.returncode == 1 and out.stderr.strip() == "error: missing.po: no such file"
    out = run("i18n.export", "--lang", "en")
    assert out.returncode == 1 and "source language" in out.stderr and "Traceback" not in out.stderr


# -- generated sections (hypothesis) ---------------------------------------------------------------

WORD = st.sampled_from(["city", "group", "roles", "middle", "trust", "talk", "bridge", "case", "16", "tone"])
INLINE = st.one_of(
    WORD, WORD.map(lambda w: f"*{w}*"), WORD.map(lambda w: f"**{w}**"),
    WORD.map(lambda w: f"[{w}](https://example.org/{w})"), st.just("{{ facts.max_group_size }}"),
    st.just("{{ organisation }}"), st.just("`code`"), st.just("<b>"))
LINE = st.lists(INLINE, min_size=1, max_size=8).map(" ".join)
BLOCK = st.one_of(
    LINE.map(lambda s: s[:1].upper() + s[1:] + "."),
    st.lists(LINE, min_size=1, max_size=3).map(lambda items: "\n".join(f"- {i}" for i in items)),
    st.lists(WORD, min_size=2, max_size=3).map(lambda cells: "| " + " | ".join(cells) + " |\n|" + "---|" * len(cells)
                                               + "\n| " + " | ".join(reversed(cells)) + " |"),
    LINE.map(lambda s: "### " + s),
    st.tuples(LINE, LINE).map(lambda pair: f"{pair[0]}\n{pair[1]}"))  # a paragraph over two lines
SECTIONS = st.lists(st.tuples(LINE, st.lists(BLOCK, min_size=1, max_size=4), st.booleans()), min_size=1, max_size=4)


def document(sections, mark=lambda s: s) -> str:
    parts = ["---", f"title: {mark('The title')}", f"summary: {mark('A summary')}", "---", ""]
    for n, (title, blocks, notes) in enumerate(sections):
        parts += [f"## {mark(title)} {{#s{n}}}", ""]
        body = [mark_block(b, mark) for b in blocks]
        if notes:
            body = body[:1] + ["???"] + body[1:]
        parts += ["\n\n".join(body), ""]
    return "\n".join(parts)


def mark_block(block: str, mark) -> str:
    return "\n".join(line if set(line) <= set("|-") else mark(line) for line in block.split("\n"))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(SECTIONS, st.data())
def test_generated_sections_round_trip_through_po_and_xliff(tmp_path, sections, data):
    src = parse_content(document(sections), tmp_path / "en.md", "en.md", "en", "doc")
    original = document(sections, lambda s: s.replace("city", "kaupunki"))
    tr = parse_content(original, tmp_path / "fi.md", "fi.md", "fi", "doc")
    parts = document_units(src, tr, {})
    units = [u for s in parts for u in s.units]
    assert units and all(u.key != f"{u.section}/body" for u in units)  # the same blocks: unit by unit
    # Nothing changed: the same bytes.
    assert new_text(Plan(None, tr, parts, {}, []), original) == original
    # Every unit changed (one word more): each reads back as written, every other byte kept.
    changed = {u.key: u.target + " uusi" for u in units}
    text = new_text(Plan(None, tr, parts, changed, []), original)
    again = {u.key: u.target for s in document_units(src, parse_content(text, tmp_path / "fi.md", "fi.md", "fi", "doc"), {})
             for u in s.units}
    assert again == changed
    # Both formats carry every unit's texts exactly, as our reader and translate-toolkit read them.
    for module, suffix in ((po, ".po"), (xliff, ".xlf")):
        path = tmp_path / f"doc{suffix}"
        path.write_bytes(module.write(units, {}, {}, "fi", "doc", "en", "test"))
        read = module.read(path, path.name)
        assert [(e.key, e.source, e.target) for e in read.entries] == [(u.key, u.source, u.target) for u in units]
        assert [k for k, *_ in read_units(path)] == [u.key for u in units]
        if module is po:
            assert [(x.msgid, x.msgstr) for x in polib.pofile(str(path)) if x.msgid] == [(u.source, u.target) for u in units]


# -- what the translation lacks: a section, a document ------------------------------------------------

@pytest.mark.parametrize("cut", ["connecting", "tested", "document"])
def test_a_missing_section_or_document_is_added_whole_by_an_import(tree, cut):
    path = tree / "content" / "fi" / "programme.md"
    original = path.read_bytes()
    units = {u.key: u.target for s in units_of(load(tree), "fi", "programme") for u in s.units}
    text = original.decode("utf-8")
    if cut == "document":
        path.unlink()
    else:
        start = text.index(f"{{#{cut}}}")
        start = text.rindex("\n## ", 0, start) + 1
        end = text.find("\n## ", start + 1)
        path.write_text(text[:start] + (text[end + 1:] if end > 0 else "").rstrip("\n") + "\n" if end > 0
                        else text[:start].rstrip("\n") + "\n", encoding="utf-8")
    [e] = export(tree, "fi", doc="programme", only="missing")
    catalog = polib.pofile(str(e.path))
    assert catalog and all(not x.msgstr for x in catalog)
    first = catalog[0]
    first.msgstr = units[first.msgctxt]
    catalog.save(str(e.path))
    refused(tree, [e.path], "no translation here" if cut != "document" else "translate its front matter")
    for x in catalog:
        x.msgstr = units[x.msgctxt]
    catalog.save(str(e.path))
    [result] = import_files(tree, [e.path])
    assert path.read_bytes() == original  # written as the source is, with the translations: the file as it was
    assert sorted(result.confirmed) == sorted(x.msgctxt for x in catalog)
    assert not [f for f in check(tree, "fi").findings if f.doc == "programme" and f.severity == "error"]


def test_a_section_whose_blocks_differ_is_one_unit_until_they_match(tree):
    # The Finnish list of 'aim' written as one paragraph: its blocks are not the source's.
    path = tree / "content" / "fi" / "programme.md"
    original = path.read_text(encoding="utf-8")
    start = original.index("- antaa ammattilaisille")
    end = original.index("\n\n", start)
    listed = original[start:end]
    path.write_text(original[:start] + listed.replace("- ", "").replace("\n", " ") + original[end:], encoding="utf-8")
    [e] = export(tree, "fi", doc="programme")
    catalog = polib.pofile(str(e.path))
    body = catalog.find("aim/body", by="msgctxt")
    assert body is not None and "- gives professionals" in body.msgid and catalog.find("aim/2", by="msgctxt") is None
    paragraph = original[original.index("{#aim}") + len("{#aim}\n\n"):start].rstrip("\n")
    body.msgstr = paragraph + "\n\n" + listed
    catalog.save(str(e.path))
    [result] = import_files(tree, [e.path])
    assert result.confirmed == ["aim/body"] and path.read_text(encoding="utf-8") == original
    keys = [u.key for s in units_of(load(tree), "fi", "programme") for u in s.units if u.section == "aim"]
    assert keys == ["aim/title", "aim/1", "aim/2", "aim/3", "aim/4"]


def test_xliff_names_its_namespace_whatever_else_the_process_registered(tmp_path):
    import xml.etree.ElementTree as ET

    ET.register_namespace("other", xliff.NS)  # a library's global registration, as a PDF render can make
    try:
        text = "---\ntitle: T\nsummary: S\n---\n\n## A {#a}\n\nOne.\n"
        src = parse_content(text, tmp_path / "x.md", "x.md", "en", "doc")
        units = [u for s in document_units(src, None, {}) for u in s.units]
        data = xliff.write(units, {}, {}, "fi", "doc", "en", "test").decode("utf-8")
    finally:
        ET._namespace_map.pop(xliff.NS, None)
    assert f'<xliff xmlns="{xliff.NS}" version="1.2">' in data and "other:" not in data
    assert [u.source for u in tt_xliff.xlifffile.parsestring(data.encode("utf-8")).units if u.getid().endswith("a/1")] == ["One."]


def test_xliff_protects_expressions_links_emphasis_and_html_as_inline_codes(tmp_path):
    en = "---\ntitle: T\nsummary: S\n---\n\n## A {#a}\n\nSee [the city](https://example.org/en/) with **{{ organisation }}** and <b>.\n"
    fi = "---\ntitle: T2\nsummary: S2\n---\n\n## B {#a}\n\nKatso [kaupunki](https://example.org/fi/) ja **{{ organisation }}** ja <b>.\n"
    src, tr = (parse_content(t, tmp_path / "x.md", "x.md", lang, "doc") for t, lang in ((en, "en"), (fi, "fi")))
    units = [u for s in document_units(src, tr, {}) for u in s.units]
    data = xliff.write(units, {}, {}, "fi", "doc", "en", "test").decode("utf-8")
    assert ('<source>See <bpt id="1">[</bpt>the city<ept id="1">](https://example.org/en/)</ept> with <bpt id="2">**</bpt>'
            '<ph id="3">{{ organisation }}</ph><ept id="2">**</ept> and <ph id="4">&lt;b&gt;</ph>.</source>') in data
    # The target's codes take the source's ids where they are the same code (an end takes its beginning's id).
    assert '<target state="needs-review-translation">Katso <bpt id="1">[</bpt>kaupunki<ept id="1">](https://example.org/fi/)</ept>' in data
    assert '<bpt id="2">**</bpt><ph id="3">{{ organisation }}</ph><ept id="2">**</ept> ja <ph id="4">&lt;b&gt;</ph>' in data
    store = tt_xliff.xlifffile.parsestring(data.encode("utf-8"))
    [unit] = [u for u in store.units if u.getid().endswith("a/1")]
    assert unit.source == units[-1].source and unit.target == units[-1].target
    assert [type(p).__name__ for p in unit.rich_source[0].sub if type(p).__name__ != "StringElem"]  # read as codes


def test_a_section_never_confirmed_is_written_but_confirmed_only_whole(tree):
    import json

    path = tree / "locale" / "stamps" / "fi" / "programme.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    del data["sections"]["training"]
    path.write_text(json.dumps(data), encoding="utf-8")
    [e] = export(tree, "fi", doc="programme")
    catalog = polib.pofile(str(e.path))
    fuzzy = [x for x in catalog if "fuzzy" in x.flags]
    assert [x.msgctxt for x in fuzzy] == ["training/title", "training/1", "training/2"] and not fuzzy[0].previous_msgid
    fuzzy[1].msgstr += " Muutettu."
    fuzzy[1].flags.remove("fuzzy")
    catalog.save(str(e.path))
    [result] = import_files(tree, [e.path])
    assert result.written == ["training/1"] and result.confirmed == [] and result.pending == ["training"]
    assert "Muutettu." in (tree / "content" / "fi" / "programme.md").read_text(encoding="utf-8")
    [finding] = [f for f in check(tree, "fi").findings if f.code == "outdated"]
    assert "never been confirmed" in finding.message
    # Every unit of it done: the section is confirmed.
    for x in fuzzy[::2]:
        x.msgstr += " Muutettu."
        x.flags.remove("fuzzy")
    fuzzy[1].msgstr = fuzzy[1].msgstr.replace(" Muutettu.", " Muutettu taas.")
    catalog.save(str(e.path))
    [result] = import_files(tree, [e.path])
    assert sorted(result.confirmed) == ["training/1", "training/2", "training/title"] and result.pending == []
    assert not [f for f in check(tree, "fi").findings if f.code == "outdated"]

"""Property tests: whatever a file holds, the readers either accept it or raise a ProjectError
with a non-empty message naming the file (and a line inside it, when they give one). Nothing
else escapes: no TypeError, ValueError, RecursionError or a hang on a hostile input.

Targets: content files, gettext catalogs, municipality files (as text and as data), and `check`
over a project one of whose content files holds arbitrary text.
"""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path

import pytest
from tree import copy_project
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from materials.sources import catalogs
from materials.rules.checks import Report, check
from materials.sources.content import INTRO, SECTION_ID, read_content
from materials.errors import ProjectError
from materials.sources.municipality import MunicipalityFile, load_municipality, validate_municipality
from materials.sources.project import load_project

ROOT = Path(__file__).resolve().parent.parent
FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def lines_in(text: str | bytes) -> int:
    """How many lines a file has, counting every line break YAML knows (\\r and \\x85 as well)."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return max(text.count("\n"), len(text.splitlines())) + 1


def outcome(fn, name: str, text: str | bytes | None = None):
    """Run `fn`: its result, or None after checking the ProjectError names `name` (and a real line)."""
    try:
        return fn()
    except ProjectError as exc:
        assert str(exc).strip(), "an empty message"
        assert exc.problems
        for p in exc.problems:
            assert p.file == name, f"{p} does not name {name}"
            assert p.message.strip()
            if p.line is not None and text is not None:
                assert 1 <= p.line <= lines_in(text), f"{p}: line outside the file ({lines_in(text)} lines)"
        return None


# -- content files -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def content_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("content-fuzz")
    (root / "content" / "en").mkdir(parents=True)
    return root


CONTENT_NAME = "content/en/doc.md"


def read_text_as_content(root: Path, data: str | bytes):
    path = root / "content" / "en" / "doc.md"
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8", "surrogatepass"))
    result = outcome(lambda: read_content(path, root, "en", "doc"), CONTENT_NAME, data)
    if result is not None:
        assert isinstance(result.meta.get("title"), str) and isinstance(result.meta.get("summary"), str)
        ids = [s.id for s in result.sections]
        assert len(ids) == len(set(ids)), "duplicate section ids accepted"
        total = (data.count(b"\n") if isinstance(data, bytes) else data.count("\n")) + 1
        for s in result.sections:
            assert s.id == INTRO or SECTION_ID.match(s.id)
            assert 1 <= s.line <= total and s.body_line <= total + 1
            if s.body:
                first = s.body.split("\n")[0]
                text = data.decode("utf-8") if isinstance(data, bytes) else data
                file_lines = text.lstrip("\ufeff").replace("\r\n", "\n").split("\n")
                assert file_lines[s.body_line - 1] == first, f"section {s.id}: body_line {s.body_line} is not its first line"
    return result


FRONT_LINES = [
    "title: A title", "summary: One sentence.", "subtitle: A subtitle", "author: Someone", "title: [a, b]",
    "title:", "summary: 2027-02-30", "summary: 2027-03-15", "title: a: b", "title: &a [*a]", "- a list item",
    "title: !!python/object/apply:os.system ['true']", "summary: !!binary aGVsbG8=", "? [a, b]\n: c",
    "title: '{{ organisation }}'", "summary: |\n  Two\n  lines", "title: \"unclosed", "1: one", "true: yes",
    "summary: " + "[" * 200 + "]" * 200, "", "   ", "#", "\t", "...",
]
BODY_LINES = [
    "", "Some text.", "## Title {#title}", "## Title {#other}", "## Title", "## {#lonely}", "## Bad {#Bad_Id}",
    "## Title {#title} trailing", "### Sub {#sub}", "##Title{#x}", "#### deep", "```", "~~~", "???", "- item",
    "1. item", "| a | b |", "|---|---|", "{{ facts.max_group_size }}", "{{ nope }}", "{% if %}", "{## c ##}",
    "![alt](images/x.png)", "![](http://example.com/x.png)", "<script>alert(1)</script>", "---", "\ufeff",
    "text\r", "## Title {#}", "## Title {#a b}", "## \u00e9t\u00e9 {#ete}",
]


@st.composite
def content_like(draw) -> str:
    """Text built from front-matter-ish and heading-ish lines, to get past the first checks."""
    front = draw(st.lists(st.one_of(st.sampled_from(FRONT_LINES), st.text(max_size=15)), max_size=8))
    body = draw(st.lists(st.one_of(st.sampled_from(BODY_LINES), st.text(max_size=15)), max_size=25))
    opening = draw(st.sampled_from(["---\n", "---\r\n", "\ufeff---\n", "--- \n", "", "----\n"]))
    closing = draw(st.sampled_from(["\n---\n", "\n---", "\n--- \n", "\n", ""]))
    return opening + "\n".join(front) + closing + "\n".join(body)


@FUZZ
@given(text=st.text())
@example(text="---\ntitle: A\nsummary: B\n---\n\nIntro.\n\n## First {#first}\n\n\n\nText {{ x }}.\n")
def test_content_arbitrary_text(content_root, text):
    read_text_as_content(content_root, text)


@FUZZ
@given(data=st.binary())
@example(data=b"---\ntitle: A\nsummary: B\n---\n\xe9t\xe9\n")
@example(data=b"\xff\xfe---\n")
def test_content_arbitrary_bytes(content_root, data):
    read_text_as_content(content_root, data)


@FUZZ
@given(text=content_like())
@example(text="---\ntitle: A\nsummary: 2027-02-30\n---\n")  # was an uncaught ValueError
@example(text="---\ntitle: A\nsummary: " + "[" * 5000 + "]" * 5000 + "\n---\n")  # was a RecursionError
@example(text="---\ntitle: A\nsummary: B\n---\n\n## First {#first}\n\n\nText.\n")  # body_line was one short
def test_content_grammar(content_root, text):
    read_text_as_content(content_root, text)


# -- gettext catalogs ------------------------------------------------------------------------

PO_NAME = "locale/fi/LC_MESSAGES/messages.po"
FI_PO = (ROOT / PO_NAME).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def catalog_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("catalog-fuzz")
    (root / PO_NAME).parent.mkdir(parents=True)
    return root


KEYWORD_LINE = ("msgid", "msgstr", "msgctxt", '"', "#")


def read_text_as_catalog(root: Path, data: str | bytes, locale: str | None = "fi_FI"):
    path = root / PO_NAME
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8", "surrogatepass"))
    try:
        return catalogs.read_catalog(path, root, locale)
    except ProjectError as exc:
        outcome(lambda: (_ for _ in ()).throw(exc), PO_NAME, data)
        if isinstance(data, str):
            for p in exc.problems:
                if p.line and "misformatted keyword" in p.message:  # the line named is the bad one
                    bad = data.split("\n")[p.line - 1].strip()
                    assert not bad.startswith(KEYWORD_LINE[:4]), f"{p}: names the line {bad!r}"
        return None


PO_LINES = [
    'msgid ""', 'msgstr ""', 'msgid "Time"', 'msgstr "Aika"', 'msgid_plural "Times"', 'msgstr[0] "Aika"',
    'msgstr[1] "Ajat"', 'msgstr[5] "x"', 'msgstr[x] "x"', 'msgctxt "ctx"', '"continued"', '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"',
    '"Plural-Forms: nplurals=1000000; plural=n;\\n"', '"Plural-Forms: nplurals=x\\n"', '"Language: xx_YY\\n"',
    '"Content-Type: text/plain; charset=latin-1\\n"', '"Content-Type: text/plain; charset=nonsense\\n"', "#, fuzzy",
    "#, python-format", "#: materials/render.py:1", "#~ msgid \"old\"", "#~ msgstr \"vanha\"", "#| msgid \"prev\"", "",
    "garbage", 'msgid "unterminated', 'msgstr "\\x"', 'msgid "a" "b"',
]


@st.composite
def po_mutation(draw) -> str:
    """A copy of the Finnish catalog with a few lines deleted, duplicated, replaced or cut."""
    lines = FI_PO.split("\n")
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["delete", "duplicate", "replace", "insert", "cut", "swap"]))
        new = draw(st.one_of(st.sampled_from(PO_LINES), st.text(max_size=30)))
        if action == "delete":
            del lines[i]
        elif action == "duplicate":
            lines.insert(i, lines[i])
        elif action == "replace":
            lines[i] = new
        elif action == "insert":
            lines.insert(i, new)
        elif action == "cut":
            lines[i] = lines[i][: draw(st.integers(0, max(0, len(lines[i]) - 1)))]
        else:
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        if not lines:
            lines = [""]
    return "\n".join(lines)


@FUZZ
@given(text=st.text())
def test_catalog_arbitrary_text(catalog_root, text):
    read_text_as_catalog(catalog_root, text)


@FUZZ
@given(data=st.binary(), locale=st.sampled_from([None, "fi_FI"]))
def test_catalog_arbitrary_bytes(catalog_root, data, locale):
    read_text_as_catalog(catalog_root, data, locale)


@FUZZ
@given(text=st.lists(st.sampled_from(PO_LINES), max_size=20).map("\n".join), locale=st.sampled_from([None, "fi_FI", "nl_NL"]))
@example(text='msgid "Time"\nmsgstr "Aika"\ngarbage', locale="fi_FI")  # the line was one short
def test_catalog_grammar(catalog_root, text, locale):
    read_text_as_catalog(catalog_root, text, locale)


@FUZZ
@given(text=po_mutation())
@example(text=FI_PO.replace("charset=utf-8", "charset=nonsense"))  # was an uncaught LookupError
def test_catalog_mutated_copy(catalog_root, text):
    read_text_as_catalog(catalog_root, text)


# -- municipality files ----------------------------------------------------------------------

HEIDEBEEK = yaml.safe_load((ROOT / "municipalities" / "heidebeek.yaml").read_text(encoding="utf-8"))
MUNI_NAME = "municipalities/fuzz.yaml"


@pytest.fixture(scope="module")
def muni_project(tmp_path_factory):
    root = copy_project(tmp_path_factory.mktemp("municipality-fuzz") / "p", municipalities=False, tasks=False)
    (root / "municipalities").mkdir()
    return load_project(root)


def check_municipality(result) -> None:
    if result is None:
        return
    assert isinstance(result, MunicipalityFile)
    assert result.languages and all(isinstance(l, str) for l in result.languages)
    assert result.country in ("NL", "BE", "FI") and result.timezone
    (intro,) = result.held("introductory_meeting")
    assert result.rsvp_deadline < intro.places["introductory-meeting"].date
    groups = result.held("training_groups")
    for g in groups:
        assert 1 <= g.participants <= 16
        assert g.places["training-day"].date < g.places["in-depth-session"].date
    assert groups and result.held("intervision_meetings")


def validate_data(project, data):
    path = project.root / MUNI_NAME
    result = outcome(lambda: validate_municipality(project, "fuzz", data, path, MUNI_NAME), MUNI_NAME)
    check_municipality(result)
    return result


def load_text_as_municipality(project, data: str | bytes):
    path = project.root / MUNI_NAME
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8", "surrogatepass"))
    result = outcome(lambda: load_municipality(project, "fuzz"), MUNI_NAME, data)
    check_municipality(result)
    return result


YAML_LINES = [
    "name: Gemeente X", "country: BE", "country: [BE]", "languages: [nl]", "languages: [[nl]]", "languages: nl",
    "department: social-development", "department: {a: b}", "contact:", "  name: X", "  role: Y",
    "  email: x@y.example", "  email: nope", "  phone: \"+32 11 55 01 23\"", "  phone: 3211550123",
    "introductory_meeting:", "  date: 2027-05-11", "  date: 2027-02-30", "  date: '2027-02-30'", "  start: \"19:00\"",
    "  start: 19:00", "  start: 25:00", "  start: -5", "  venue: Zaal", "  address: Straat 1", "training_groups:",
    "  - participants: 14", "  - participants: 17", "    training_day: {date: 2027-06-01, start: '08:30', venue: V, address: A}",
    "    in_depth_session: {date: 2027-06-22, start: '08:30', venue: V, address: A}", "intervision_meetings:",
    "  - {date: 2027-10-05, start: '14:00', venue: V, address: A}", "rsvp_deadline: 2027-04-27",
    "rsvp_deadline: 2027-04-27 10:00:00", "rsvp_deadline: 20270427", "name: &a [*a]", "name: !!python/name:os.system",
    "? [a]\n: b", "a: " + "[" * 3000 + "]" * 3000, "- a list", "", "  ", "\t", "...", "--- !!set",
]
DATA_KEYS = sorted({"name", "country", "languages", "department", "contact", "introductory_meeting", "training_groups",
                    "intervision_meetings", "rsvp_deadline", "date", "start", "venue", "address", "participants",
                    "training_day", "in_depth_session", "role", "email", "phone"})
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=-10**30, max_value=10**30), st.floats(),
    st.text(max_size=20), st.dates(), st.datetimes(), st.times(),
    st.sampled_from(["2027-05-11", "2027-02-30", "09:30", "25:00", "9:5", "nl", "fi", "sv", "BE", "FI", "a@b.example",
                     "+32 11 55 01 23", "social-development", "", " "]),
)
DATA = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(DATA_KEYS), st.text(max_size=8), st.integers()), inner, max_size=6),
    ),
    max_leaves=25,
)


def paths(node, prefix=()):
    """Every (container, key) in a tree of dicts and lists."""
    if isinstance(node, dict):
        items = list(node.items())
    elif isinstance(node, list):
        items = list(enumerate(node))
    else:
        return []
    out = []
    for key, value in items:
        out.append((node, key))
        out += paths(value)
    return out


@st.composite
def mutated_heidebeek(draw):
    data = copy.deepcopy(HEIDEBEEK)
    for _ in range(draw(st.integers(1, 3))):
        spots = paths(data)
        if not spots:
            break
        container, key = draw(st.sampled_from(spots))
        if draw(st.booleans()) and isinstance(container, dict):
            del container[key]
        else:
            container[key] = draw(DATA)
    return data


@FUZZ
@given(data=DATA)
def test_municipality_arbitrary_data(muni_project, data):
    validate_data(muni_project, data)


@FUZZ
@given(data=mutated_heidebeek())
@example(data={**HEIDEBEEK, "languages": [["nl"]]})  # was TypeError: unhashable type: 'list'
@example(data={**HEIDEBEEK, "country": ["BE"]})  # was TypeError: unhashable type: 'list'
@example(data={**HEIDEBEEK, "rsvp_deadline": dt.datetime(2027, 4, 27, 10, 0)})
def test_municipality_mutated_example(muni_project, data):
    validate_data(muni_project, data)


def test_the_example_municipality_is_valid(muni_project):
    assert validate_data(muni_project, copy.deepcopy(HEIDEBEEK)) is not None


@FUZZ
@given(text=st.text())
def test_municipality_arbitrary_text(muni_project, text):
    load_text_as_municipality(muni_project, text)


@FUZZ
@given(text=st.lists(st.one_of(st.sampled_from(YAML_LINES), st.text(max_size=15)), max_size=25).map("\n".join))
@example(text="name: X\nintroductory_meeting:\n  date: 2027-02-30\n")  # was an uncaught ValueError
@example(text="a: " + "[" * 3000 + "]" * 3000)  # was a RecursionError
def test_municipality_yaml_like_text(muni_project, text):
    load_text_as_municipality(muni_project, text)


@settings(max_examples=5, deadline=None)
@given(depth=st.integers(7, 9))
def test_municipality_alias_bomb_is_refused_quickly(muni_project, depth):
    """A billion-laughs file: the message quotes the value cut short instead of expanding it."""
    names = "abcdefghij"
    lines = [f"{names[0]}: &{names[0]} [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, depth + 1):
        ref = ", ".join([f"*{names[i - 1]}"] * 9)
        lines.append(f"  {names[i]}: &{names[i]} [{ref}]")
    text = "name: Gemeente X\ndepartment:\n  " + "\n".join(lines)
    assert load_text_as_municipality(muni_project, text) is None


# -- check over a project with one arbitrary content file ---------------------------------------

@pytest.fixture(scope="module")
def check_project(tmp_path_factory):
    return copy_project(tmp_path_factory.mktemp("check-fuzz") / "p", municipalities=False, tasks=False)


EN_PROGRAMME = (ROOT / "content" / "en" / "programme.md").read_text(encoding="utf-8")


@st.composite
def programme_like(draw) -> str:
    """The English programme with some of its lines replaced by content-ish lines or arbitrary text."""
    lines = EN_PROGRAMME.split("\n")
    for _ in range(draw(st.integers(1, 5))):
        i = draw(st.integers(0, len(lines) - 1))
        lines[i] = draw(st.one_of(st.sampled_from(BODY_LINES + FRONT_LINES), st.text(max_size=40)))
    return "\n".join(lines)


ORIGINALS = {lang: (ROOT / "content" / lang / "programme.md").read_bytes() for lang in ("en", "fi")}


def check_with(root: Path, lang: str, text: str) -> Report:
    for other, data in ORIGINALS.items():  # only one content file differs from the project's
        (root / "content" / other / "programme.md").write_bytes(data)
    (root / "content" / lang / "programme.md").write_text(text, encoding="utf-8", errors="surrogatepass")
    report = check(root, "fi")
    for f in report.findings:
        assert f.message.strip() and f.code
        if f.file.startswith("content/"):
            assert f.file.startswith(("content/en/", "content/fi/")), f
    return report


@pytest.mark.slow
@FUZZ
@given(lang=st.sampled_from(["en", "fi"]), text=st.one_of(st.text(), content_like()))
def test_check_with_an_arbitrary_content_file(check_project, lang, text):
    check_with(check_project, lang, text)


@pytest.mark.slow
@FUZZ
@given(lang=st.sampled_from(["en", "fi"]), text=programme_like())
def test_check_with_a_damaged_programme(check_project, lang, text):
    check_with(check_project, lang, text)


def test_check_of_the_unchanged_project_finds_nothing(check_project):
    assert check_with(check_project, "en", EN_PROGRAMME).findings == []

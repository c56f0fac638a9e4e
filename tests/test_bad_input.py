"""Bad input, through the real command line: every defect gets one clear message, never a traceback.

Each case copies the project (content/, locale/, municipalities/, tasks.py and a small build/)
into a temporary folder, applies ONE defect, runs `python -m invoke <task>` there and asserts:

- exit code 1;
- the output names the file (relative to the project) and, where there is one, the line;
- no "Traceback" anywhere in the output;
- build/ and locale/ are exactly as they were (every file's bytes and mtime, every folder; no new
  file), and no new file appeared at the project's root.

build/ is snapshotted before the defect is applied (after it when the defect is in build/ itself:
a file where a folder should be); locale/ after it (some defects are in the catalogs).
"""

from __future__ import annotations

import os
import re
import resource
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tree import TEMPLATES, copy_project
PO_FI = "locale/fi/LC_MESSAGES/messages.po"
PO_NL = "locale/nl/LC_MESSAGES/messages.po"


def limited(memory: int | None, file_size: int | None):
    """For a subprocess (WeasyPrint's workers included): at most `memory` bytes of address
    space; no file written larger than `file_size` bytes, as on a disk that is full (the write
    fails with EFBIG instead of the process being stopped by SIGXFSZ)."""
    def apply() -> None:
        if memory:
            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        if file_size:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (file_size, file_size))
    return apply if memory or file_size else None


def invoke(proj: Path, *args: str, debug: bool = False, timeout: float = 60, extra_env: dict | None = None,
           memory: int | None = None, file_size: int | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "MATERIALS_DEBUG"} | (extra_env or {})
    env["COLUMNS"] = "400"  # rich wraps the check report at the terminal's width otherwise
    cmd = [sys.executable, "-m", "invoke", *(["--debug"] if debug else []), *args]
    return subprocess.run(cmd, cwd=proj, env=env, capture_output=True, text=True, timeout=timeout,
                          preexec_fn=limited(memory, file_size))


def snapshot(path: Path) -> dict:
    """Every file (bytes, mtime_ns), folder and link under `path`; `path` itself may be a file."""
    out: dict = {}

    def record(p: Path) -> None:
        key = str(p.relative_to(path.parent))
        if p.is_symlink():
            out[key] = ("link", os.readlink(p))
        elif p.is_dir():
            out[key] = ("dir",)
        elif not p.is_file():  # a FIFO or a device a case put there: its kind, never its bytes
            out[key] = ("special", p.stat().st_mode)
        else:
            out[key] = ("file", p.read_bytes(), p.stat().st_mtime_ns)

    if not os.path.lexists(path):
        return {str(path.name): ("absent",)}
    record(path)
    if path.is_dir() and not path.is_symlink():
        for dirpath, dirnames, filenames in os.walk(path):
            for name in dirnames + filenames:
                record(Path(dirpath) / name)
    return out


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> Path:
    """The project, with build/ holding the English programme (HTML, PDF, index, fonts, manifest)."""
    proj = copy_project(tmp_path_factory.mktemp("pristine") / "project")
    r = invoke(proj, "build", "--lang", "en", "--doc", "programme")
    assert r.returncode == 0, r.stderr
    assert (proj / "build" / "en" / "programme.pdf").is_file()
    return proj


@pytest.fixture
def proj(pristine, tmp_path) -> Path:
    dst = tmp_path / "project"
    shutil.copytree(pristine, dst, symlinks=True)
    return dst


# -- editing helpers --------------------------------------------------------------------------

def read(proj: Path, rel: str) -> str:
    return (proj / rel).read_text(encoding="utf-8")


def write(proj: Path, rel: str, text: str | bytes) -> None:
    path = proj / rel
    if path.is_symlink():
        path.unlink()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))


def replace(proj: Path, rel: str, old: str, new: str) -> None:
    text = read(proj, rel)
    assert old in text, f"{old!r} not in {rel}"
    write(proj, rel, text.replace(old, new, 1))


def line_of(proj: Path, rel: str, needle: str) -> int:
    for i, line in enumerate(read(proj, rel).split("\n"), 1):
        if needle in line:
            return i
    raise AssertionError(f"{needle!r} not in {rel}")


def insert_after(proj: Path, rel: str, needle: str, block: str) -> int:
    """Insert `block` as a new paragraph after the line holding `needle`; returns its first line."""
    lines = read(proj, rel).split("\n")
    at = next(i for i, line in enumerate(lines) if needle in line) + 1
    lines[at:at] = ["", block]
    write(proj, rel, "\n".join(lines))
    return at + 2


def set_front_matter(proj: Path, rel: str, front: str) -> None:
    text = read(proj, rel)
    end = text.index("\n---\n", 4)
    write(proj, rel, f"---\n{front}{text[end:]}")


def says(output: str, expected: str) -> bool:
    """`expected` is in the output; one that starts with a file name may name a line after it
    (`content/project.yaml: x` matches `content/project.yaml:12: x`)."""
    m = re.match(r"^([\w./<>-]+\.(?:yaml|po|pot|md|html|css)): (.*)$", expected, re.S)
    if not m:
        return expected in output
    return re.search(re.escape(m[1]) + r"(?::\d+)?: " + re.escape(m[2]), output) is not None


# -- the catalogue of defects -------------------------------------------------------------------

@dataclass
class Case:
    args: list[str]
    expect: list[str]  # every one of these must appear in the output
    one_line: bool = True  # the error is a single line (not for `check`, whose report has headings)
    in_build: bool = False  # the defect itself is in build/: snapshot after applying it
    env: dict | None = None  # more environment for the command
    memory: int | None = None  # the command's address space is limited to this (bytes)
    file_size: int | None = None  # no file the command writes may grow larger (bytes)


CASES: dict = {}


def case(name: str):
    def register(fn):
        assert name not in CASES
        CASES[name] = fn
        return fn
    return register


FI = "content/fi/programme.md"
EN = "content/en/programme.md"
BUILD_FI = ["build", "--lang", "fi", "--doc", "programme"]
BUILD_EN = ["build", "--lang", "en", "--doc", "programme"]
BOMB = "{a: &a [x, x, x, x, x, x, x, x, x], b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a], " \
       "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b], d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c], " \
       "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d], f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e], " \
       "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f], h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g], " \
       "i: [*h, *h, *h, *h, *h, *h, *h, *h, *h]}"


# front matter

@case("front-matter-malformed-yaml")
def _(p):
    set_front_matter(p, FI, "title: a: b\nsummary: Yksi lause.")
    return Case(BUILD_FI, [f"{FI}:2: front matter is not valid YAML"])


@case("front-matter-is-a-list")
def _(p):
    set_front_matter(p, FI, "- title\n- summary")
    return Case(BUILD_FI, [f"{FI}:2: front matter must be a mapping", "got list"])


@case("front-matter-missing-summary")
def _(p):
    set_front_matter(p, FI, "title: Polarisaation viitekehys")
    return Case(BUILD_FI, [f"{FI}:2: front matter: summary: missing"])


@case("front-matter-unknown-key")
def _(p):
    set_front_matter(p, FI, "title: Polarisaation viitekehys\nauthor: Joku\nsummary: Yksi lause.")
    return Case(BUILD_FI, [f"{FI}:3: front matter: author: unknown field; expected one of title, subtitle, summary"])


@case("front-matter-title-not-text")
def _(p):
    set_front_matter(p, FI, "title: [a, b]\nsummary: Yksi lause.")
    return Case(BUILD_FI, [f"{FI}:2: front matter: title: expected text"])


@case("front-matter-python-tag")
def _(p):
    set_front_matter(p, FI, "title: !!python/object/apply:os.system ['touch pwned']\nsummary: Yksi lause.")
    return Case(BUILD_FI, [f"{FI}:2: front matter is not valid YAML here: the tag tag:yaml.org,2002:python/object/apply:os.system is not allowed"])


@case("front-matter-alias-bomb")
def _(p):
    set_front_matter(p, FI, f"title: Otsikko\nsummary: Yksi lause.\nsubtitle: {BOMB}")
    return Case(BUILD_FI, [f"{FI}:4: has more than 100,000 values (aliases included)"])


@case("front-matter-impossible-date")
def _(p):
    set_front_matter(p, FI, "title: Otsikko\nsummary: 2027-02-30")
    return Case(BUILD_FI, [f"{FI}:2: front matter is not valid YAML", "day is out of range"])


@case("front-matter-too-deep")
def _(p):
    set_front_matter(p, FI, "title: Otsikko\nsummary: " + "[" * 5000 + "]" * 5000)
    return Case(BUILD_FI, [f"{FI}:2: front matter is not valid YAML"])


@case("front-matter-not-closed")
def _(p):
    write(p, FI, read(p, FI).replace("\n---\n", "\n\n", 1))
    return Case(BUILD_FI, [f"{FI}:1: front matter is not closed"])


@case("no-front-matter")
def _(p):
    write(p, FI, "# Polarisaation viitekehys\n\nTeksti.\n")
    return Case(BUILD_FI, [f"{FI}:1: must start with front matter"])


# sections

@case("heading-without-id")
def _(p):
    line = line_of(p, FI, "{#connecting}")
    replace(p, FI, " {#connecting}", "")
    return Case(BUILD_FI, [f"{FI}:{line}: heading has no id"])


@case("duplicate-section-ids")
def _(p):
    line = line_of(p, FI, "{#connecting}")
    replace(p, FI, "{#connecting}", "{#where-it-starts}")
    return Case(BUILD_FI, [f"{FI}:{line}: duplicate section id 'where-it-starts'"])


@case("section-id-not-lowercase")
def _(p):
    line = line_of(p, FI, "{#connecting}")
    replace(p, FI, "{#connecting}", "{#Connecting_Them}")
    return Case(BUILD_FI, [f"{FI}:{line}: section id 'Connecting_Them' must be lowercase"])


@case("heading-without-title")
def _(p):
    line = insert_after(p, FI, "{#connecting}", "## {#lonely}")
    return Case(BUILD_FI, [f"{FI}:{line}: heading has no title"])


# the file itself

@case("content-not-utf8")
def _(p):
    line = line_of(p, FI, "{#connecting}")
    raw = (p / FI).read_bytes()
    needle = "{#connecting}".encode()
    write(p, FI, raw.replace(needle, needle + " \xe4".encode("latin-1"), 1))
    return Case(BUILD_FI, [f"{FI}:{line}: is not UTF-8 text"])


@case("content-empty")
def _(p):
    write(p, FI, "")
    return Case(BUILD_FI, [f"{FI}: is empty"])


@case("content-whitespace-only")
def _(p):
    write(p, FI, "\ufeff\n \n\t\n")
    return Case(BUILD_FI, [f"{FI}: is empty"])


@case("content-symlink-outside-project")
def _(p):
    outside = p.parent / "outside.md"
    outside.write_text(read(p, FI), encoding="utf-8")
    (p / FI).unlink()
    os.symlink(outside, p / FI)
    return Case(BUILD_FI, [f"{FI}: points outside the project's content/ folder"])


@case("content-is-a-folder")
def _(p):
    (p / FI).unlink()
    (p / FI).mkdir()
    return Case(BUILD_FI, [f"{FI}: is not a regular file"])


# Files that are not what they seem: each refused before a byte is read, in bounded memory
# (a FIFO would hang the read; /dev/zero would fill the memory).

def fifo(p: Path, rel: str) -> None:
    (p / rel).parent.mkdir(parents=True, exist_ok=True)
    if (p / rel).exists():
        (p / rel).unlink()
    os.mkfifo(p / rel)


def dev_zero(p: Path, rel: str) -> None:
    (p / rel).parent.mkdir(parents=True, exist_ok=True)
    if (p / rel).exists():
        (p / rel).unlink()
    os.symlink("/dev/zero", p / rel)


@case("content-link-to-dev-zero")
def _(p):
    dev_zero(p, EN)
    return Case(BUILD_EN, [f"{EN}: points outside the project's content/ folder"], memory=BOUNDED)


@case("content-fifo")
def _(p):
    fifo(p, FI)
    return Case(BUILD_FI, [f"{FI}: is not a regular file (a device, a pipe or a folder)"], memory=BOUNDED)


@case("catalog-fifo")
def _(p):
    fifo(p, PO_FI)
    return Case(BUILD_FI, [f"{PO_FI}: is not a regular file"], one_line=False, memory=BOUNDED)


@case("municipality-fifo")
def _(p):
    fifo(p, MUNI)
    return Case(PACK, [f"{MUNI}: is not a regular file"], memory=BOUNDED)


@case("project-yaml-link-to-dev-zero")
def _(p):
    dev_zero(p, PROJECT)
    return Case(BUILD_EN, [f"{PROJECT}: is not a regular file"], memory=BOUNDED)


@case("template-fifo")
def _(p):
    own_templates(p)
    fifo(p, "templates/programme.html")
    return Case(BUILD_EN, ["templates/programme.html: is not a regular file"], memory=BOUNDED)


@case("template-link-to-dev-zero")
def _(p):
    own_templates(p)
    dev_zero(p, "templates/base.html")
    return Case(BUILD_EN, ["templates/base.html: points outside the project's templates/ folder"], memory=BOUNDED)


@case("stylesheet-fifo")
def _(p):
    shutil.copytree(TEMPLATES.parent / "static", p / "static")
    fifo(p, "static/style.css")
    return Case(BUILD_EN, ["static/style.css: is not a regular file"], memory=BOUNDED)


@case("image-fifo")
def _(p):
    fifo(p, "content/en/images/map.png")
    line = insert_after(p, EN, "{#connecting}", "![A map](images/map.png)")
    return Case(BUILD_EN, [f"{EN}:{line}: image 'images/map.png' is not a regular file"], memory=BOUNDED)


@case("content-file-missing")
def _(p):
    (p / "content/nl/programme.md").unlink()
    return Case(["build", "--lang", "nl", "--doc", "programme"], ["content/nl/programme.md: missing-document: Translate",
                                                                 "or add --draft"], one_line=False)


@case("content-huge")
def _(p):
    write(p, EN, read(p, EN) + ("Lorem ipsum dolor sit amet. " * 40 + "\n\n") * 4500)  # about 5 MB
    assert (p / EN).stat().st_size > 5_000_000
    return Case(BUILD_EN, [f"{EN}: is 5,", "bytes; files of this kind are limited to 1,000,000"])


# Jinja and Markdown in content

@case("content-jinja-syntax-error")
def _(p):
    line = insert_after(p, EN, "{#connecting}", "Some {% if %} text.")
    return Case(BUILD_EN, [f"{EN}:{line}: template error"])


@case("content-undefined-value")
def _(p):
    line = insert_after(p, EN, "{#connecting}", "Groups of at most {{ facts.max_groupsize }} people.")
    return Case(BUILD_EN, [f"{EN}:{line}: unknown value", "max_groupsize"])


@case("content-undefined-value-in-heading")
def _(p):
    line = line_of(p, EN, "{#connecting}")
    replace(p, EN, "## Connecting", "## {{ nothing_here }} Connecting")
    return Case(BUILD_EN, [f"{EN}:{line}: unknown value", "nothing_here"])


@case("content-sandbox-escape")
def _(p):
    insert_after(p, EN, "{#connecting}", "{{ ''.__class__.__mro__[1].__subclasses__() }}")
    return Case(BUILD_EN, [f"{EN}:", "template error", "unsafe"])


@case("content-division-by-zero")
def _(p):
    insert_after(p, EN, "{#connecting}", "{{ facts.max_group_size // 0 }}")
    return Case(BUILD_EN, [f"{EN}:", "cannot evaluate an expression"])


@case("content-filter-on-wrong-value")
def _(p):
    insert_after(p, EN, "{#connecting}", "{{ organisation | duration }}")
    return Case(BUILD_EN, [f"{EN}:", "cannot evaluate an expression"])


@case("content-date-filter-on-text")
def _(p):
    line = insert_after(p, EN, "{#connecting}", "{{ organisation | date }}")
    return Case(BUILD_EN, [f"{EN}:{line}: cannot evaluate an expression", "needs a date"])


@case("content-huge-range")
def _(p):
    insert_after(p, EN, "{#connecting}", "{{ range(10 ** 9) | list | length }}")
    return Case(BUILD_EN, [f"{EN}:"])


# What a content expression may ask for is bounded (render/policy.py): each case runs with 3 GB of
# address space at most and the 60 s bound on a hang, and must be refused at its own line.
BOUNDED = 3_000_000_000
TOO_LARGE = {
    "concat-doubling": "{% set ns = namespace(s='x') %}{% for i in range(60) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s }}",
    "format-width": "{{ '{:>999999999}'.format(1) }}",
    "percent-width": "{{ '%999999999d' % 1 }}",
    "method-width": "{{ 'x'.ljust(10 ** 9) }}",
    "nested-lists": "{{ [[1] * 100000] * 100000 }}",
    "chained-power": "{{ ((10 ** 64) ** 64) ** 64 }}",
    "nested-loops": "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
    "nested-loops-writing": "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}",
    "exponential-macro": "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(40) }}",
    "endless-macro": "{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}",
    "replace-amplifies": "{{ ('x' * 100000) | replace('x', 'xxxxxxxxxx') }}",
}


def too_large_case(expression: str):
    def apply(p):
        # The expression on the third line of its paragraph: the message names that line.
        line = insert_after(p, EN, "{#connecting}", f"A first line.\nA second line.\n{expression}") + 2
        return Case(BUILD_EN, [f"{EN}:{line}: expression too large"], memory=BOUNDED)
    return apply


for _name, _expression in TOO_LARGE.items():
    case(f"content-too-large-{_name}")(too_large_case(_expression))


@case("content-filter-that-may-amplify")
def _(p):
    line = insert_after(p, EN, "{#connecting}", "{{ 'x' | center(10 ** 9) }}")
    return Case(BUILD_EN, [f"{EN}:{line}: template error: No filter named 'center'"], memory=BOUNDED)


@case("content-lipsum")
def _(p):
    line = insert_after(p, EN, "{#connecting}", "Words.\n{{ lipsum(10 ** 6) }}") + 1
    return Case(BUILD_EN, [f"{EN}:{line}: unknown value: 'lipsum' is undefined"], memory=BOUNDED)


# Links and attributes: only safe schemes, only id, class and lang (render/policy.py).
REFUSED_MARKUP = {
    "javascript-link": ("[x](javascript:alert(1))", "link 'javascript:alert(1)': a link must be https, http, mailto or tel"),
    "javascript-link-upper-case": ("[x](JavaScript:alert(1))", "link 'JavaScript:alert(1)'"),
    "javascript-link-entity": ("[x](&#106;avascript:alert(1))", "link '&#106;avascript:alert(1)'"),
    "javascript-link-tab": ("[x](java&#x09;script:alert(1))", "link 'java&#x09;script:alert(1)'"),
    "javascript-reference-link": ("[x][r]\n\n[r]: javascript:alert(1)", "link 'javascript:alert(1)'"),
    "data-link": ("[x](data:text/html;base64,PHNjcmlwdD4=)", "link 'data:text/html;base64,PHNjcmlwdD4='"),
    "reference-image": ("![x][r]\n\n[r]: javascript:alert(1)", "image 'javascript:alert(1)' must be a file beside the content"),
    "onclick-attribute": ('Some text.\n{: onclick="alert(1)" }', "attribute 'onclick' is not allowed in content; content may set only id, class and lang"),
    "style-attribute": ('Some text.\n{: style="background: url(https://example.org/x)" }', "attribute 'style' is not allowed"),
    "href-attribute": ('[x](#connecting){: href="javascript:alert(1)" }', "link 'javascript:alert(1)'"),
}


def refused_markup_case(block: str, message: str):
    def apply(p):
        line = insert_after(p, EN, "{#connecting}", block)
        needle = next(i for i, l in enumerate(block.split("\n")) if "alert" in l or "style" in l or "data:" in l)
        return Case(BUILD_EN, [f"{EN}:{line + needle}: {message}"])
    return apply


for _name, (_block, _message) in REFUSED_MARKUP.items():
    case(f"content-{_name}")(refused_markup_case(_block, _message))


@case("agenda-sections-not-the-items")
def _(p):
    rel = "content/en/agenda-intervision-meeting.md"
    replace(p, rel, "{#questions}", "{#question}")
    return Case(["build", "--lang", "en", "--doc", "agenda-intervision-meeting"],
                [f"{rel}: The agenda's sections must be the session's items in order"])


# images

@case("image-missing")
def _(p):
    line = insert_after(p, EN, "{#connecting}", "![A map](images/nope.png)")
    return Case(BUILD_EN, [f"{EN}:{line}: image 'images/nope.png' not found"])


@case("image-url")
def _(p):
    line = insert_after(p, EN, "{#connecting}", "![A map](http://example.com/map.png)")
    return Case(BUILD_EN, [f"{EN}:{line}: image 'http://example.com/map.png' must be a file beside the content"])


@case("image-outside-content")
def _(p):
    (p / "secret.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    line = insert_after(p, EN, "{#connecting}", "![A map](../../secret.png)")
    return Case(BUILD_EN, [f"{EN}:{line}: image '../../secret.png' is outside the project's content/ folder"])


@case("image-unsupported-type")
def _(p):
    write(p, "content/en/images/notes.txt", "text")
    line = insert_after(p, EN, "{#connecting}", "![Notes](images/notes.txt)")
    return Case(BUILD_EN, [f"{EN}:{line}: image 'images/notes.txt' must be one of"])


def image_bytes(kind: str, size: tuple[int, int] = (40, 30), mode: str = "RGB") -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new(mode, size).save(buf, kind)
    return buf.getvalue()


def image_case(name: str, data, expect: str):
    def apply(p):
        path = p / "content/en/images" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data() if callable(data) else data)
        line = insert_after(p, EN, "{#connecting}", f"![A map](images/{name})")
        return Case(BUILD_EN, [f"{EN}:{line}: image 'images/{name}' {expect}"], memory=BOUNDED)
    return apply


IMAGES = {
    "truncated": ("map.png", lambda: image_bytes("PNG", (400, 300))[:200], "cannot be read as an image"),
    "not-an-image": ("map.png", b"\x89PNG\r\n\x1a\n" + b"not really" * 50, "cannot be read as an image"),
    "bomb": ("map.png", lambda: image_bytes("PNG", (30_000, 30_000), "1"),
             "is 30,000 × 30,000 pixels; images are limited to 25 megapixels"),
    "wrong-kind": ("map.png", lambda: image_bytes("JPEG"), "is a JPEG file, not what its name says (PNG)"),
    "too-large": ("map.jpg", b"\xff\xd8" + b"\0" * 11_000_000, "is 11,000,002 bytes; files of this kind are limited to 10,000,000"),
    "svg-entities": ("map.svg", b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa">]><svg xmlns="http://www.w3.org/2000/svg">&a;</svg>',
                     "declares a DOCTYPE or entities, which an SVG here may not"),
    "svg-malformed": ("map.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><g></svg>', "is not well-formed SVG"),
    "svg-not-svg": ("map.svg", b"<html></html>", "is XML but not SVG"),
}
for _name, (_file, _data, _expect) in IMAGES.items():
    case(f"image-{_name}")(image_case(_file, _data, _expect))


# templates (a project's own templates/ override the package's)

def own_templates(p: Path) -> None:
    shutil.copytree(TEMPLATES, p / "templates")


@case("template-syntax-error")
def _(p):
    own_templates(p)
    rel = "templates/programme.html"
    replace(p, rel, "{% for s in sections %}", "{% for s in sections %}{% if %}")
    return Case(BUILD_EN, [f"{rel}:{line_of(p, rel, '{% if %}')}: template error"])


@case("template-unclosed-block")
def _(p):
    own_templates(p)
    rel = "templates/programme.html"
    replace(p, rel, "{% endfor %}", "")
    return Case(BUILD_EN, [f"{rel}:", "template error"])


@case("template-undefined-value")
def _(p):
    own_templates(p)
    rel = "templates/programme.html"
    replace(p, rel, '<div class="intro">', '<div class="intro">{{ no_such_value }}')
    return Case(BUILD_EN, [f"{rel}:{line_of(p, rel, 'no_such_value')}: template uses an unknown value"])


# catalogs

@case("catalog-garbage-line")
def _(p):
    line = line_of(p, PO_FI, 'msgid "to be announced"')
    lines = read(p, PO_FI).split("\n")
    lines.insert(line - 1, "this is not a catalog line")
    write(p, PO_FI, "\n".join(lines))
    return Case(BUILD_FI, [f"{PO_FI}:{line}: malformed catalog"])


@case("catalog-missing")
def _(p):
    (p / PO_NL).unlink()
    return Case(["build", "--lang", "nl"], [f"{PO_NL}: catalog missing"])


@case("catalog-not-utf8")
def _(p):
    raw = (p / PO_FI).read_bytes()
    write(p, PO_FI, raw.replace("päivämäärä".encode(), "päivämäärä".encode("latin-1")))
    return Case(BUILD_FI, [f"{PO_FI}", "malformed catalog"])


@case("catalog-unknown-charset")
def _(p):
    replace(p, PO_FI, "charset=utf-8", "charset=nonsense")
    return Case(BUILD_FI, [f"{PO_FI}: malformed catalog: the Content-Type header names unknown encoding: nonsense"])


@case("catalog-untranslated-message")
def _(p):
    replace(p, PO_FI, 'msgstr "Aika"', 'msgstr ""')
    line = read(p, PO_FI).split("\n").index('msgid "Time"') + 1  # the message's own line
    return Case(BUILD_FI, [f"{PO_FI}:{line}: catalog: Message \"Time\" is not translated", "or add --draft"], one_line=False)


@case("catalog-fuzzy-message")
def _(p):
    replace(p, PO_FI, 'msgid "to be announced"', '#, fuzzy\nmsgid "to be announced"')
    line = read(p, PO_FI).split("\n").index('msgid "to be announced"') + 1
    return Case(BUILD_FI, [f"{PO_FI}:{line}: catalog: Message \"to be announced\" is marked fuzzy", "or add --draft"], one_line=False)


@case("catalog-wrong-plural-forms-header")
def _(p):
    replace(p, PO_FI, "nplurals=2; plural=(n != 1);", "nplurals=3; plural=(n%10==1 ? 0 : n != 0 ? 1 : 2);")
    return Case(["check", "--lang", "fi"], [f"{PO_FI}: Plural-Forms is 'nplurals=3", "fi needs 'nplurals=2"],
                one_line=False)


@case("catalog-wrong-number-of-plural-forms")
def _(p):
    text = read(p, PO_FI).rstrip("\n") + ('\n\nmsgid "one group"\nmsgid_plural "%(num)s groups"\n'
                                          'msgstr[0] "yksi ryhmä"\nmsgstr[1] "%(num)s ryhmää"\nmsgstr[2] "%(num)s ryhmää"\n')
    write(p, PO_FI, text)
    line = line_of(p, PO_FI, 'msgid "one group"')
    return Case(["check", "--lang", "fi"], [f"{PO_FI}:{line}: malformed catalog: msg has more translations than num_plurals"],
                one_line=False)


@case("catalog-placeholder-renamed")
def _(p):
    line = line_of(p, PO_FI, 'msgid "Page %(page)s of %(pages)s"')
    replace(p, PO_FI, 'msgstr "Sivu %(page)s/%(pages)s"', 'msgstr "Sivu %(sivu)s/%(pages)s"')
    return Case(["check", "--lang", "fi"], [f"{PO_FI}:{line}: Message \"Page %(page)s of %(pages)s\""], one_line=False)


# the project's word lists

WORDS_NL = "locale/words/nl.txt"
WORDS_FI = "locale/words/fi.txt"


@case("word-list-not-one-word")
def _(p):
    write(p, WORDS_NL, read(p, WORDS_NL) + "twee woorden\n")
    line = line_of(p, WORDS_NL, "twee woorden")
    return Case(["build", "--lang", "nl", "--doc", "programme"],
                [f"{WORDS_NL}:{line}: expected one word (letters, with - or ' inside), got 'twee woorden'; write one word a line."])


@case("word-list-not-utf8")
def _(p):
    write(p, WORDS_FI, read(p, WORDS_FI).encode() + "sisäinen\n".encode("latin-1"))
    line = (p / WORDS_FI).read_bytes().count(b"\n")  # the last line
    return Case(["check", "--lang", "fi"], [f"{WORDS_FI}:{line}: is not UTF-8 text; save it as UTF-8"], one_line=False)


@case("update-malformed-template")
def _(p):
    rel = "locale/messages.pot"
    lines = read(p, rel).split("\n")
    line = next(i for i, l in enumerate(lines, 1) if l.startswith("msgid ") and i > 5)
    lines.insert(line - 1, "garbage")
    write(p, rel, "\n".join(lines))
    return Case(["i18n.update"], [f"{rel}:{line}: malformed catalog"])


@case("update-one-malformed-catalog-writes-none")
def _(p):
    lines = read(p, PO_NL).split("\n")
    line = next(i for i, l in enumerate(lines, 1) if l.startswith("msgid ") and i > 5)
    lines.insert(line - 1, "garbage")
    write(p, PO_NL, "\n".join(lines))
    return Case(["i18n.update"], [f"{PO_NL}:{line}: malformed catalog"])


@case("update-unknown-language")
def _(p):
    return Case(["i18n.update", "--lang", "sv"], ["unknown language 'sv'"])


# stamps

@case("stamp-broken-translation")
def _(p):
    line = line_of(p, FI, "{#connecting}")
    replace(p, FI, " {#connecting}", "")
    return Case(["i18n.stamp", "--lang", "fi", "--doc", "programme"], [f"{FI}:{line}: heading has no id"])


@case("stamp-one-broken-document-stamps-none")
def _(p):
    rel = "content/fi/invitation-training.md"
    text = read(p, rel)
    write(p, rel, text.replace("{#", "{#Bad_", 1))
    line = line_of(p, rel, "{#Bad_")
    return Case(["i18n.stamp", "--lang", "fi", "--all"], [f"{rel}:{line}: section id 'Bad_"])


@case("stamp-source-language")
def _(p):
    return Case(["i18n.stamp", "--lang", "en", "--all"], ["en is the source language"])


@case("stamp-unknown-document")
def _(p):
    return Case(["i18n.stamp", "--lang", "fi", "--doc", "nope"], ["unknown document 'nope'"])


# translation exchange (i18n.export, i18n.import)

def exported(p, fmt="po") -> str:
    from materials.translators.exchange import export

    [e] = export(p, "fi", doc="programme", format=fmt, out_dir=p / "incoming")
    return str(e.path.relative_to(p))


@case("export-source-language")
def _(p):
    return Case(["i18n.export", "--lang", "en"], ["en is the source language"])


@case("export-unknown-format")
def _(p):
    return Case(["i18n.export", "--lang", "fi", "--format", "docx"], ["unknown format 'docx'; use po or xliff"])


@case("import-damaged-placeholder")
def _(p):
    rel = exported(p)
    replace(p, rel, 'msgstr "{{ organisation }} tarjoaa', 'msgstr "Inside Polarisation tarjoaa')
    return Case(["i18n.import", rel], [f"{rel}:", "unit intro/1: a placeholder was changed"])


@case("import-not-a-po-file")
def _(p):
    write(p, "incoming/programme.po", 'msgid "a"\nmsgstr "b\n')
    return Case(["i18n.import", "incoming/programme.po"], ["incoming/programme.po: names no language"])


@case("import-xliff-with-entities")
def _(p):
    rel = exported(p, "xliff")
    text = read(p, rel)
    write(p, rel, text.replace("<xliff ", '<!DOCTYPE xliff [<!ENTITY a "aaaa">]><xliff ', 1))
    return Case(["i18n.import", rel], [f"{rel}: has a DOCTYPE or entities"])


@case("import-into-a-broken-translation")
def _(p):
    rel = exported(p)
    line = line_of(p, FI, "{#connecting}")
    replace(p, FI, " {#connecting}", "")
    return Case(["i18n.import", rel], [f"{FI}:{line}: heading has no id"])


# check

@case("check-broken-translation")
def _(p):
    line = line_of(p, FI, "{#connecting}")
    replace(p, FI, " {#connecting}", "")
    return Case(["check"], [f"{FI}:{line}: heading has no id"], one_line=False)


@case("check-unknown-format")
def _(p):
    return Case(["check", "--format", "xml"], ["--format must be text or json"])


# content/project.yaml

PROJECT = "content/project.yaml"


@case("project-malformed-yaml")
def _(p):
    replace(p, PROJECT, "max_group_size: 16", "max_group_size: [16")
    return Case(BUILD_EN, [f"{PROJECT}:", "is not valid YAML"])


@case("project-is-a-list")
def _(p):
    write(p, PROJECT, "- organisation\n- languages\n")
    return Case(BUILD_EN, [f"{PROJECT}: expected a mapping of settings, got list"])


@case("project-not-utf8")
def _(p):
    write(p, PROJECT, (p / PROJECT).read_bytes().replace(b"Inside Polarisation", "Insid\xe9".encode("latin-1"), 1))
    return Case(BUILD_EN, [f"{PROJECT}: is not UTF-8 text"])


@case("project-missing")
def _(p):
    (p / PROJECT).unlink()
    return Case(BUILD_EN, [f"{PROJECT}: file not found"])


@case("project-session-items-do-not-add-up")
def _(p):
    replace(p, PROJECT, "- {id: closing, minutes: 30}", "- {id: closing, minutes: 40}")
    return Case(BUILD_EN, [f"{PROJECT}: Session 'training-day' lasts 420 minutes but its items add up to 430"])


@case("project-unknown-document-kind")
def _(p):
    text = read(p, PROJECT)
    start = text.index("documents:")
    write(p, PROJECT, text[:start] + text[start:].replace("kind: programme", "kind: brochure", 1))
    return Case(BUILD_EN, [f"{PROJECT}: documents[0].kind: expected 'programme', 'agenda', 'handout', 'invitation' or 'workbook', got 'brochure'"])


@case("project-document-sessions-nested-list")
def _(p):
    text = read(p, PROJECT)
    start = text.index("documents:")
    tail = text[start:]
    i = tail.index("sessions: [")
    write(p, PROJECT, text[:start] + tail[:i] + "sessions: [[a, b], " + tail[i + len("sessions: ["):])
    return Case(BUILD_EN, [f"{PROJECT}: documents[", "].sessions[0]: expected text, got ['a', 'b']"])


@case("project-language-not-a-mapping")
def _(p):
    lines = read(p, PROJECT).split("\n")
    at = next(i for i, line in enumerate(lines) if line.startswith("  fi: {"))
    lines[at] = "  fi: [Suomi, fi_FI]"
    write(p, PROJECT, "\n".join(lines))
    return Case(BUILD_EN, [f"{PROJECT}: languages.fi: expected a mapping, got ['Suomi', 'fi_FI']"])


@case("project-unknown-locale")
def _(p):
    replace(p, PROJECT, "locale: fi_FI", "locale: xx_YY")
    return Case(BUILD_EN, [f"{PROJECT}: languages.fi.locale: expected a locale Babel knows"])


@case("project-alias-bomb")
def _(p):
    replace(p, PROJECT, "organisation: Inside Polarisation", f"organisation: {BOMB}")
    return Case(BUILD_EN, [f"{PROJECT}: has more than 100,000 values (aliases included)"])


@case("project-impossible-date")
def _(p):
    replace(p, PROJECT, "tested_in: [Rotterdam, Genk]", "tested_in: 2027-02-30")
    return Case(BUILD_EN, [f"{PROJECT}: is not valid YAML: day is out of range for month"])


@case("project-max-group-size-not-a-number")
def _(p):
    replace(p, PROJECT, "max_group_size: 16", "max_group_size: sixteen")
    return Case(PACK, [f"{PROJECT}: facts.max_group_size: expected a positive whole number, got 'sixteen'"])


@case("project-sample-start-not-a-time")
def _(p):
    replace(p, PROJECT, 'sample_start: "09:00"', "sample_start: [9, 0]")
    return Case(BUILD_EN, [f"{PROJECT}: sessions.", ".sample_start: expected a clock time"])


# arguments

@case("unknown-lang")
def _(p):
    return Case(["build", "--lang", "xx"], ["unknown language 'xx'; known languages: en, fi, nl, or all"])


@case("unknown-doc")
def _(p):
    return Case(["build", "--lang", "en", "--doc", "brochure"], ["unknown document 'brochure'; known documents: programme"])


@case("jobs-not-a-number")
def _(p):
    return Case(["build", "--lang", "en", "--jobs", "abc"], ["error: --jobs must be a whole number of 1 or more, got 'abc'"])


@case("jobs-negative")
def _(p):
    return Case(["pack", "--municipality", "heidebeek", "--jobs", "-1"],
                ["error: --jobs must be a whole number of 1 or more, got '-1'"])


# municipality files (`invoke pack --municipality heidebeek`)

MUNI = "municipalities/heidebeek.yaml"
PACK = ["pack", "--municipality", "heidebeek"]


def muni_case(old: str, new: str, *expect: str):
    def apply(p):
        replace(p, MUNI, old, new)
        return Case(PACK, [f"{MUNI}: {e}" for e in expect])
    return apply


MUNICIPALITY_RULES = {
    "group-over-16": ("participants: 14", "participants: 17",
                      "training_groups[0].participants: expected at most 16 participants in a group, got 17"),
    "group-of-zero": ("participants: 14", "participants: 0", "training_groups[0].participants: expected a whole number"),
    "in-depth-before-training-day": ("date: 2027-06-22", "date: 2027-05-30",
                                     "training_groups[0].in_depth_session.date: expected a date after the training day (2027-06-01)"),
    "rsvp-after-the-meeting": ("rsvp_deadline: 2027-04-27", "rsvp_deadline: 2027-05-12",
                               "rsvp_deadline: expected a date before the introductory meeting (2027-05-11)"),
    "unknown-language": ("languages: [nl]", "languages: [nl, sv]", "languages[1]: expected one of en, fi, nl, got 'sv'"),
    "language-not-text": ("languages: [nl]", "languages: [[nl]]", "languages[0]: expected one of en, fi, nl"),
    "unknown-department": ("department: social-development", "department: finance",
                           "department: expected one of public-order-and-safety, social-development, got 'finance'"),
    "unknown-country": ("country: BE", "country: SE", "country: expected one of NL, BE, FI, got 'SE'"),
    "country-not-text": ("country: BE", "country: [BE]", "country: expected one of NL, BE, FI"),
    "malformed-date": ("date: 2027-05-11", "date: 11.5.2027",
                       "introductory_meeting.date: expected a date such as 2027-03-15, got '11.5.2027'"),
    "impossible-date": ("date: 2027-05-11", 'date: "2027-02-30"', "introductory_meeting.date: expected a date"),
    "impossible-date-unquoted": ("date: 2027-05-11", "date: 2027-02-30", "is not valid YAML: day is out of range for month"),
    "malformed-time": ('start: "19:00"', 'start: "7 pm"',
                       "introductory_meeting.start: expected a clock time such as \"09:30\", got '7 pm'"),
    "impossible-time": ('start: "19:00"', 'start: "25:00"', "introductory_meeting.start: expected a clock time"),
    "session-past-midnight": ('start: "19:00"', 'start: "23:00"',
                              "introductory_meeting.start: expected a start that ends the session before midnight"),
    "malformed-email": ("email: pieter.claes@heidebeek.example", "email: pieter.claes-at-heidebeek",
                        "contact.email: expected an email address"),
    "malformed-phone": ('phone: "+32 11 55 01 23"', "phone: 3211550123", "contact.phone: expected a phone number"),
    "missing-field": ("    venue: Sociaal Huis Heidebeek\n", "", "intervision_meetings[0].venue: missing"),
    "missing-contact-name": ("  name: Pieter Claes\n", "", "contact.name: missing; expected the contact person's name"),
    "unknown-field": ("rsvp_deadline:", "budget: 1000\nrsvp_deadline:", "budget: unknown field; expected one of name, country"),
}
for _name, (_old, _new, _expect) in MUNICIPALITY_RULES.items():
    case(f"municipality-{_name}")(muni_case(_old, _new, _expect))


@case("municipality-intervision-before-training")
def _(p):
    replace(p, MUNI, "  - date: 2027-10-05", "  - date: 2027-05-20")
    return Case(PACK, [f"{MUNI}:29: intervision_meetings[0].date: expected a date after the first training day (2027-06-01), got 2027-05-20"])


@case("municipality-dates-passed")
def _(p):
    return Case(PACK, [f"{MUNI}:12: introductory_meeting.date: 2027-05-11 has passed (today is 2027-05-20); "
                       "give the coming dates, or add --allow-past for a pack about sessions already held",
                       f"{MUNI}:33: rsvp_deadline: 2027-04-27 has passed"], one_line=False,
                env={"MATERIALS_TODAY": "2027-05-20"})


@case("municipality-today-malformed")
def _(p):
    return Case(PACK, ["MATERIALS_TODAY: expected a date such as 2027-03-15, got 'tomorrow'"], env={"MATERIALS_TODAY": "tomorrow"})


@case("municipality-no-training-groups")
def _(p):
    text = read(p, MUNI)
    start, end = text.index("training_groups:"), text.index("intervision_meetings:")
    write(p, MUNI, text[:start] + "training_groups: []\n" + text[end:])
    return Case(PACK, [f"{MUNI}: training_groups: expected at least one item, got []"])


@case("municipality-malformed-yaml")
def _(p):
    replace(p, MUNI, "languages: [nl]", "languages: [nl")
    return Case(PACK, [f"{MUNI}:", "is not valid YAML"])


@case("municipality-is-a-list")
def _(p):
    write(p, MUNI, "- name\n- country\n")
    return Case(PACK, [f"{MUNI}: expected a mapping of fields"])


@case("municipality-not-utf8")
def _(p):
    write(p, MUNI, (p / MUNI).read_bytes().replace(b"Heidebeek", "Heideb\xe9ek".encode("latin-1"), 1))
    return Case(PACK, [f"{MUNI}: is not UTF-8 text"])


@case("municipality-alias-bomb")
def _(p):
    replace(p, MUNI, "department: social-development", f"department: {BOMB}")
    return Case(PACK, [f"{MUNI}: has more than 100,000 values (aliases included)"])


@case("municipality-unknown")
def _(p):
    return Case(["pack", "--municipality", "atlantis"],
                ["municipalities/atlantis.yaml: no such municipality file; known municipalities: heidebeek"])


@case("municipality-symlink-outside")
def _(p):
    outside = p.parent / "elsewhere.yaml"
    outside.write_text(read(p, MUNI), encoding="utf-8")
    os.symlink(outside, p / "municipalities" / "linked.yaml")
    return Case(["pack", "--municipality", "linked"], ["municipalities/linked.yaml: points outside the municipalities/ folder"])


@case("slug-with-slash")
def _(p):
    return Case(["pack", "--municipality", "a/b"], ["'a/b' is not a municipality slug", "municipalities/<slug>.yaml"])


@case("slug-with-dot-dot")
def _(p):
    return Case(["pack", "--municipality", "../content/project"],
                ["'../content/project' is not a municipality slug", "municipalities/<slug>.yaml"])


@case("slug-with-leading-dot")
def _(p):
    shutil.copy2(p / MUNI, p / "municipalities" / ".hidden.yaml")
    return Case(["pack", "--municipality", ".hidden"], ["'.hidden' is not a municipality slug", "municipalities/<slug>.yaml"])


@case("pack-without-municipality")
def _(p):
    return Case(["pack"], ["give either --municipality SLUG or --all"])


@case("pack-refused-while-check-finds-errors")
def _(p):
    rel = "content/fi/agenda-training-day.md"
    replace(p, rel, "{{ facts.max_group_size }}", "{{ facts.training_days }}")
    return Case(["pack", "--municipality", "koivulahti"], [f"{rel}:6: placeholder: Section 'intro' uses different template values",
                                                             "the pack stops here: run `invoke check --lang fi`"], one_line=False)


# the output folder is not writable

@case("build-is-a-file")
def _(p):
    shutil.rmtree(p / "build")
    (p / "build").write_text("not a folder\n")
    return Case(BUILD_EN, ["error: build: is a file, not a folder"], in_build=True)


@case("build-lang-is-a-file")
def _(p):
    shutil.rmtree(p / "build" / "en")
    (p / "build" / "en").write_text("not a folder\n")
    return Case(BUILD_EN, ["error: build/en: is a file, not a folder"], in_build=True)


@case("build-assets-is-a-file")
def _(p):
    shutil.rmtree(p / "build" / "assets")
    (p / "build" / "assets").write_text("not a folder\n")
    (p / "content/en/programme.md").write_text(read(p, EN) + "\nOne more line.\n", encoding="utf-8")
    return Case(BUILD_EN, ["error: build/assets: is a file, not a folder"], in_build=True)


@case("disk-full-while-rendering")
def _(p):
    """WeasyPrint writes each font to a temporary file: on a full disk that fails (test_safety
    fills the disk while the outputs are written)."""
    write(p, EN, read(p, EN) + "\nOne more paragraph.\n")
    return Case(BUILD_EN, [f"error: {EN}: cannot render its PDF (File too large); make room on the disk"],
                file_size=20_000)


@case("pack-build-is-a-file")
def _(p):
    shutil.rmtree(p / "build")
    (p / "build").write_text("not a folder\n")
    return Case(PACK, ["error: build: is a file, not a folder"], in_build=True)


# -- the tests ------------------------------------------------------------------------------------

WATCHED = ("build", "locale")


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_gives_one_clear_message_and_changes_nothing(proj, name):
    before = {"build": snapshot(proj / "build")}
    spec: Case = CASES[name](proj)  # applies the defect
    if spec.in_build:
        before["build"] = snapshot(proj / "build")
    before["locale"] = snapshot(proj / "locale")  # an input, but also what i18n.* write
    top = sorted(os.listdir(proj))
    r = invoke(proj, *spec.args, timeout=60, extra_env=spec.env, memory=spec.memory,
               file_size=spec.file_size)  # a bound on a hang, not a speed test
    output = r.stdout + r.stderr
    assert r.returncode == 1, f"exit {r.returncode}\n{output}"
    assert "Traceback" not in output, output
    for expected in spec.expect:
        assert says(output, expected), f"{expected!r} not in:\n{output}"
    assert str(proj) not in output and str(proj.resolve()) not in output, f"an absolute path:\n{output}"
    if spec.one_line:
        lines = [line for line in r.stderr.split("\n") if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("error: "), r.stderr
    for w in WATCHED:
        assert snapshot(proj / w) == before[w], f"{w}/ changed"
    assert sorted(os.listdir(proj)) == top, "new files at the project's root"


def test_the_catalogue_is_large_enough():
    assert len(CASES) >= 28


def test_the_snapshot_sees_a_successful_rebuild(proj):
    """The unchanged-build/ assertion is not vacuous: a real change to the input changes build/."""
    before = snapshot(proj / "build")
    assert invoke(proj, *BUILD_EN).returncode == 0
    assert snapshot(proj / "build") == before  # a no-op build touches nothing
    replace(proj, EN, "## Connecting", "## Bringing together")
    assert invoke(proj, *BUILD_EN).returncode == 0
    assert snapshot(proj / "build") != before


def test_debug_shows_the_traceback_and_plain_runs_do_not(proj):
    plain = invoke(proj, "build", "--lang", "xx")
    assert plain.returncode == 1
    assert "Traceback" not in plain.stdout + plain.stderr
    assert plain.stderr.strip() == "error: unknown language 'xx'; known languages: en, fi, nl, or all"
    debug = invoke(proj, "build", "--lang", "xx", debug=True)
    assert debug.returncode != 0
    assert "Traceback" in debug.stderr and "ProjectError" in debug.stderr
    assert "unknown language 'xx'" in debug.stderr

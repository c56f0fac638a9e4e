"""Gettext catalogs for the template strings: extract, update, compile and load (Babel's API, in-process).

Layout: `locale/messages.pot` and `locale/<lang>/LC_MESSAGES/messages.po`, the layout
Poedit, Weblate and Crowdin read.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path

from babel.messages import pofile
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.support import NullTranslations, Translations

from materials.errors import Problem, ProjectError, relative
from materials.sources.files import read_bytes

DOMAIN = "messages"
PACKAGE = Path(__file__).resolve().parent.parent  # materials/
# What to extract from: the shared templates and the package's own Python (placeholders, footer).
METHOD_MAP = [("render/templates/**.html", "jinja2"), ("**.py", "python")]
OPTIONS = {"render/templates/**.html": {"extensions": "jinja2.ext.i18n", "newstyle_gettext": "true", "trimmed": "true"}}
HEADER = """\
# Template strings of the Polarisation Framework materials ({lang}).
# Generated from locale/messages.pot by `invoke i18n.update`; translate msgstr only."""
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}


def N_(message: str) -> str:
    """Marks a string for extraction; it is translated where it is used."""
    return message


def pot_path(locale_dir: Path) -> Path:
    return locale_dir / f"{DOMAIN}.pot"


def po_path(locale_dir: Path, lang: str) -> Path:
    return locale_dir / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


_CODE_IDS: dict = {}  # the message ids of the templates and code, by the files' sizes and mtimes


def message_ids(project) -> set:
    """The ids `extract(project)` would give, without extracting again while no template or
    module changed (check runs this on every build; extraction reads every file)."""
    files = sorted(PACKAGE.rglob("*.py")) + sorted((PACKAGE / "render" / "templates").rglob("*.html"))
    signature = tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in files)
    if _CODE_IDS.get("signature") != signature:
        _CODE_IDS["signature"], _CODE_IDS["ids"] = signature, {m.id for m in extract() if m.id}
    return _CODE_IDS["ids"] | {s.name for s in project.sessions.values()}


MARKED = re.compile(r"\b(?:%s)\s*\(" % "|".join(KEYWORDS))


def method_map() -> list[tuple[str, str]]:
    """METHOD_MAP with its Python pattern narrowed to the modules that mark a string (a keyword
    call, MARKED): tokenising the rest, most of the package, found nothing and took most of
    the extraction's time, which every build pays."""
    modules = [(p.relative_to(PACKAGE).as_posix(), method) for pattern, method in METHOD_MAP if method == "python"
               for p in sorted(PACKAGE.rglob("*.py")) if MARKED.search(p.read_text(encoding="utf-8"))]
    return [(pattern, method) for pattern, method in METHOD_MAP if method != "python"] + modules


def extract(project=None, project_name: str = "polarisation-materials") -> Catalog:
    """A template catalog of every translatable string in the templates and the package, and,
    given the project, the session names of content/project.yaml."""
    catalog = Catalog(project=project_name, version="1", copyright_holder="Inside Polarisation",
                      msgid_bugs_address="", charset="utf-8", fuzzy=False,
                      header_comment=HEADER.format(lang="template"), last_translator="Inside Polarisation",
                      language_team="Inside Polarisation")
    for filename, lineno, message, comments, context in extract_from_dir(
        PACKAGE, method_map(), options_map=OPTIONS, keywords=KEYWORDS, strip_comment_tags=True,
        comment_tags=("Translators:",),
    ):
        catalog.add(message, None, [(f"materials/{filename}", lineno)], auto_comments=comments, context=context)
    if project is not None:
        for sid, session in project.sessions.items():
            catalog.add(session.name, None, [("content/project.yaml", project.lines.get(("sessions", sid, "name"), 0))],
                        auto_comments=[f"The name of a session ({sid})."])
    return catalog


TRANSLATED, FUZZY, UNTRANSLATED = "translated", "fuzzy", "untranslated"


def state(message) -> str:
    """Whether a catalog message is translated, fuzzy or untranslated: the one rule for it."""
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    if not all(strings):
        return UNTRANSLATED
    return FUZZY if message.fuzzy else TRANSLATED


def write_catalog(catalog: Catalog, path: Path) -> None:
    """Write a .pot/.po without a creation date, so the same strings give the same file."""
    buf = io.BytesIO()
    pofile.write_po(buf, catalog, width=100, omit_header=False, sort_output=False, sort_by_file=True)
    text = buf.getvalue().decode("utf-8")
    text = "\n".join(line for line in text.split("\n") if not line.startswith('"POT-Creation-Date:') and not line.startswith('"PO-Revision-Date:'))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


PO_STRING = r'"(?:[^"\\\n]|\\.)*"'
PO_LINE = re.compile(rf"^(?:(?P<keyword>msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?)[ \t]+)?{PO_STRING}[ \t]*$")
MAX_BYTES = 2_000_000


def po_syntax(text: str, name: str) -> list[Problem]:
    """What Babel's reader lets through but gettext would refuse: a string without its closing
    quote, a keyword without a quoted string, a second msgstr in one message, a msgstr before
    its msgid. Each is a problem with its line, so a broken line never reaches a page."""
    problems = []
    seen: set[str] = set()
    for number, line in enumerate(text.split("\n"), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            if not stripped:
                seen = set()
            continue
        match = PO_LINE.match(stripped)
        if not match:
            problems.append(Problem(name, f"malformed catalog line: expected a keyword and a \"quoted string\", got {stripped[:60]!r}", number))
            continue
        keyword = match["keyword"]
        if keyword is None:
            continue
        if keyword in ("msgctxt", "msgid") and (seen & {"msgstr"} or any(k.startswith("msgstr[") for k in seen)):
            seen = set()
        if keyword in seen:
            problems.append(Problem(name, f"malformed catalog: a second {keyword} in one message", number))
        elif keyword.startswith("msgstr") and "msgid" not in seen:
            problems.append(Problem(name, f"malformed catalog: {keyword} before its msgid", number))
        seen.add(keyword)
    return problems


def read_catalog(path: Path, root: Path, locale: str | None = None) -> Catalog:
    """Parse a .po or .pot file; malformed files are a ProjectError naming the line."""
    name = relative(path, root)
    try:
        raw = read_bytes(path, name, MAX_BYTES, inside=root / "locale")
        if problems := po_syntax(raw.decode("utf-8", errors="replace"), name):
            raise ProjectError(problems)
        return pofile.read_po(io.BytesIO(raw), locale=locale, abort_invalid=True)
    except FileNotFoundError:
        raise ProjectError(Problem(name, "catalog missing; run `invoke i18n.update` to create it from locale/messages.pot"))
    except pofile.PoFileError as exc:
        # Babel counts lines from 0 here (its messages' own line numbers count from 1).
        line = exc.lineno + 1 if isinstance(getattr(exc, "lineno", None), int) else None
        message = str(exc).removesuffix(f" on {getattr(exc, 'lineno', '')}")
        raise ProjectError(Problem(name, f"malformed catalog: {message}", line))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ProjectError(Problem(name, f"malformed catalog: {exc}"))
    except LookupError as exc:  # the header's charset= names an encoding Python does not know
        raise ProjectError(Problem(name, f"malformed catalog: the Content-Type header names {exc}"))


def compiled(catalog: Catalog | None) -> NullTranslations:
    """A parsed catalog compiled in memory for the templates (the source language has none: its
    strings are the message ids). Fuzzy and untranslated messages are left out, so a draft
    build shows the English in their place; a normal build has refused them already (rules)."""
    if catalog is None:
        return NullTranslations()
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    buf.seek(0)
    return Translations(buf, domain=DOMAIN)


@dataclass(frozen=True)
class CatalogResult:
    lang: str
    path: str
    messages: int
    translated: int
    fuzzy: int


def update(root: Path, langs: list[str], locales: dict[str, str]) -> list[CatalogResult]:
    """Merge locale/messages.pot into each language's .po (new strings empty, changed ones fuzzy)."""
    template = read_catalog(pot_path(root / "locale"), root)
    results, problems, existing = [], [], {}
    for lang in langs:  # every catalog is read before any is written: all or nothing
        path = po_path(root / "locale", lang)
        if path.exists():
            try:
                existing[lang] = read_catalog(path, root, locales[lang])
            except ProjectError as exc:
                problems += exc.problems
    if problems:
        raise ProjectError(problems)
    for lang in langs:
        path = po_path(root / "locale", lang)
        catalog = existing[lang] if lang in existing else Catalog(locale=locales[lang], domain=DOMAIN, fuzzy=False)
        catalog.update(template, update_header_comment=False)
        catalog.project, catalog.version = "polarisation-materials", "1"
        catalog.copyright_holder = "Inside Polarisation"
        catalog.header_comment = HEADER.format(lang=lang)
        catalog.last_translator = catalog.language_team = "Inside Polarisation"
        catalog.obsolete.clear()
        write_catalog(catalog, path)
        results.append(_count(lang, relative(path, root), catalog))
    return results


def compile_all(root: Path, langs: list[str], locales: dict[str, str]) -> list[CatalogResult]:
    """Write each language's .mo beside its .po (for tools that want them; the build compiles in memory)."""
    results = []
    for lang in langs:
        path = po_path(root / "locale", lang)
        catalog = read_catalog(path, root, locales[lang])
        mo = path.with_suffix(".mo")
        tmp = mo.with_name(mo.name + ".tmp")
        with open(tmp, "wb") as fh:
            write_mo(fh, catalog)
        tmp.replace(mo)
        results.append(_count(lang, relative(mo, root), catalog))
    return results


def _count(lang: str, path: str, catalog: Catalog) -> CatalogResult:
    msgs = [m for m in catalog if m.id]
    states = [state(m) for m in msgs]
    return CatalogResult(lang, path, len(msgs), states.count(TRANSLATED), states.count(FUZZY))

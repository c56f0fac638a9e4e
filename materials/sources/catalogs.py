"""Gettext catalogs for the template strings: extract, update, compile and load (Babel's API, in-process).

Layout: `locale/messages.pot` and `locale/<lang>/LC_MESSAGES/messages.po`, the layout
Poedit, Weblate and Crowdin read.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from babel.messages import pofile
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.support import NullTranslations, Translations

from materials.errors import Problem, ProjectError, relative

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


def extract(project_name: str = "polarisation-materials") -> Catalog:
    """A template catalog of every translatable string in the templates and the package."""
    catalog = Catalog(project=project_name, version="1", copyright_holder="Inside Polarisation",
                      msgid_bugs_address="", charset="utf-8", fuzzy=False,
                      header_comment=HEADER.format(lang="template"), last_translator="Inside Polarisation",
                      language_team="Inside Polarisation")
    for filename, lineno, message, comments, context in extract_from_dir(
        PACKAGE, METHOD_MAP, options_map=OPTIONS, keywords=KEYWORDS, strip_comment_tags=True,
        comment_tags=("Translators:",),
    ):
        catalog.add(message, None, [(f"materials/{filename}", lineno)], auto_comments=comments, context=context)
    return catalog


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


def read_catalog(path: Path, root: Path, locale: str | None = None) -> Catalog:
    """Parse a .po or .pot file; malformed files are a ProjectError naming the line."""
    name = relative(path, root)
    try:
        with open(path, "rb") as fh:
            return pofile.read_po(fh, locale=locale, abort_invalid=True)
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


def translations(root: Path, lang: str, locale: str, source: bool, draft: bool = False) -> NullTranslations:
    """The compiled catalog for one language, compiled in memory from its .po as part of the build.

    The source language's strings are the msgids themselves, so it needs no catalog; a missing
    or incomplete catalog for another language is an error the build reports, except in a
    draft build, where untranslated and fuzzy messages fall back to the source's.
    """
    if source:
        return NullTranslations()
    path = po_path(root / "locale", lang)
    catalog = read_catalog(path, root, locale)
    name = relative(path, root)
    missing = [m for m in catalog if m.id and (not m.string or (isinstance(m.string, tuple) and not all(m.string)))]
    fuzzy = [m for m in catalog if m.id and m.fuzzy]
    problems = [Problem(name, f"message not translated: {m.id!r}", m.lineno) for m in missing]
    problems += [Problem(name, f"message marked fuzzy (check and confirm it): {m.id!r}", m.lineno) for m in fuzzy]
    if problems and not draft:
        raise ProjectError(problems)
    buf = io.BytesIO()
    write_mo(buf, catalog)
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
    translated = sum(1 for m in msgs if m.string and not m.fuzzy and (not isinstance(m.string, tuple) or all(m.string)))
    return CatalogResult(lang, path, len(msgs), translated, sum(1 for m in msgs if m.fuzzy))

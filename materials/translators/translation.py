"""The translator's workflow beyond catalogs: confirming (stamping) translations."""

from __future__ import annotations

from pathlib import Path

from materials.errors import Problem, ProjectError, relative
from materials.output import write_atomic
from materials.sources.files import read_text
from materials.sources import stamps
from materials.sources.loader import load


def stamp_translation(root: Path, lang: str, doc: str | None = None) -> list[tuple[str, int]]:
    """Record the current source of each section as confirmed for `lang`; returns (doc, sections)."""
    sources = load(root)
    project = sources.project
    if lang == "all":
        raise ProjectError("stamp one language at a time: --lang fi, for example")
    project.select_languages(lang)
    if lang == project.source_language:
        raise ProjectError(f"{lang} is the source language; only translations are stamped")
    # Every file is read (every problem reported) before any stamp is written: all or nothing.
    doc_ids = project.select_documents(doc)
    problems = [u.problem for u in sources.unreadable
                if u.code == "content" and u.lang in (lang, project.source_language) and u.doc in doc_ids]
    problems += [Problem(relative(project.content_file(lang, d), project.root), "missing: translate it before confirming it")
                 for d in doc_ids if (lang, d) in sources.absent]
    if problems:
        raise ProjectError(problems)
    pairs = [(d, sources.content(project.source_language, d), sources.content(lang, d)) for d in doc_ids]
    return [(doc_id, stamps.stamp(project.root, lang, src, tr)) for doc_id, src, tr in pairs]


def new_language(root: Path, lang: str) -> list[str]:
    """Add a language with no code change: registered in content/project.yaml, a catalog from
    messages.pot, and a content skeleton (front matter only) that `check` reports as missing.
    Returns the files created or changed."""
    import re

    from babel import Locale, UnknownLocaleError
    from babel.core import get_global

    from materials.sources import catalogs

    sources = load(root)
    project = sources.project
    if not re.fullmatch(r"[a-z]{2,3}", lang or ""):
        raise ProjectError(f"'{lang}' is not a language code: use two or three lowercase letters, such as sv")
    if lang in project.languages:
        raise ProjectError(f"{lang} is already a language of the project ({', '.join(project.languages)})")
    try:
        likely = get_global("likely_subtags").get(lang, lang)
        parsed = Locale.parse(likely)
        locale = f"{parsed.language}_{parsed.territory}" if parsed.territory else parsed.language
        name = Locale.parse(lang).display_name
    except (ValueError, UnknownLocaleError):
        raise ProjectError(f"Babel does not know the language '{lang}'")
    name = name[:1].upper() + name[1:]
    # Register it in the language-neutral configuration, after the last language.
    data_file = project.content_dir / "project.yaml"
    lines = read_text(data_file, "content/project.yaml", 1_000_000).split("\n")
    start = next(i for i, line in enumerate(lines) if line.startswith("languages:"))
    end = start + 1
    while end < len(lines) and lines[end].startswith("  "):
        end += 1
    lines.insert(end, f'  {lang}: {{name: {name}, locale: {locale}, quotes: "“”‘’"}}')
    changed = [data_file]
    # A catalog from the template: every message empty, for the translator.
    catalogs.update(project.root, [lang], {lang: locale})
    changed.append(catalogs.po_path(project.locale_dir, lang))
    # Content skeletons: the source's front matter to translate; the sections are still missing.
    source = project.source_language
    for doc_id in project.documents:
        src = sources.content(source, doc_id)
        if src is None:
            raise ProjectError(sources.problems("content") or f"content/{source}/{doc_id}.md is missing")
        target = project.content_file(lang, doc_id)
        if target.exists():
            continue
        front = "\n".join(f"{key}: {json_string(value)}" for key, value in src.meta.items())
        text = (f"---\n# Not yet translated into {name}: translate the title and summary, then add the\n"
                f"# sections of content/{source}/{doc_id}.md with the same ids.\n{front}\n---\n")
        write_atomic(target, text.encode("utf-8"))
        changed.append(target)
    write_atomic(data_file, "\n".join(lines).encode("utf-8"))
    return [str(p.relative_to(project.root)) for p in changed]


def json_string(value: str) -> str:
    """A YAML scalar that is always read back as the same text (JSON strings are YAML)."""
    import json

    return json.dumps(value, ensure_ascii=False)

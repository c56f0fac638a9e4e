"""The translator's workflow beyond catalogs: confirming (stamping) translations."""

from __future__ import annotations

from pathlib import Path

from materials.errors import Problem, ProjectError, relative
from materials.output import write_atomic
from materials.sources.files import read_text
from materials.sources import stamps
from materials.sources.loader import load


def one_translation(project, lang: str, verb: str, done: str) -> str:
    """`lang`, when it is one translation of the project (not all, not the source language)."""
    if lang == "all":
        raise ProjectError(f"{verb} one language at a time: --lang fi, for example")
    project.select_languages(lang)
    if lang == project.source_language:
        raise ProjectError(f"{lang} is the source language; only translations are {done}")
    return lang


def stamp_translation(root: Path, lang: str, doc: str | None = None, all: bool = False,
                      unchanged: tuple[str, ...] = ()) -> list[stamps.Decision]:
    """Confirm `lang`'s translation of `doc` (or of every document, `all`), section by section:
    a section is confirmed when its translation changed since its source changed (or it was never
    confirmed); one whose source changed and whose translation did not is refused, unless it is
    named in `unchanged` (the source's change needs none here). Refused sections stop the whole
    command before any stamp is written."""
    sources = load(root)
    project = sources.project
    one_translation(project, lang, "stamp", "stamped")
    if bool(doc) == bool(all):
        raise ProjectError(f"give --doc ID to confirm one document, or --all to confirm every document of {lang}")
    if unchanged and not doc:
        raise ProjectError("--unchanged names sections of one document: give --doc ID as well")
    # Every file is read (every problem reported) before any stamp is written: all or nothing.
    doc_ids = project.select_documents(doc)
    problems = [u.problem for u in sources.unreadable
                if u.code == "content" and u.lang in (lang, project.source_language) and u.doc in doc_ids]
    problems += [Problem(relative(project.content_file(lang, d), project.root), "missing: translate it before confirming it")
                 for d in doc_ids if (lang, d) in sources.absent]
    if problems:
        raise ProjectError(problems)
    decisions = []
    for d in doc_ids:
        src, tr = sources.content(project.source_language, d), sources.content(lang, d)
        decision = stamps.decide(src, tr, sources.stamps.get((lang, d), {}), set(unchanged))
        not_outdated = [sid for sid in unchanged if sid not in decision.unchanged]
        problems += [Problem(tr.name, f"--unchanged {sid}: the section '{sid}' is not outdated (or not in this "
                                      "document); --unchanged is for a source change that needs no change here")
                     for sid in not_outdated]
        problems += [Problem(tr.name, f"section '{sid}' changed in the source since it was confirmed, and its translation "
                                      f"did not; update the translation (invoke check --lang {lang} shows the change), or "
                                      f"if the change needs none here, confirm it with --unchanged {sid}",
                             tr.section(sid).line if tr.section(sid) else 1)
                     for sid in decision.refused]
        decisions.append((src, decision))
    if problems:
        raise ProjectError(problems)
    for src, decision in decisions:
        stamps.write(project.root, lang, src, decision.sections)
    return [decision for _, decision in decisions]


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

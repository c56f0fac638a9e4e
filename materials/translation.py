"""The translator's workflow beyond catalogs: confirming (stamping) translations."""

from __future__ import annotations

from pathlib import Path

from . import stamps
from .content import read_content
from .errors import ProjectError
from .project import load_project


def stamp_translation(root: Path, lang: str, doc: str | None = None) -> list[tuple[str, int]]:
    """Record the current source of each section as confirmed for `lang`; returns (doc, sections)."""
    project = load_project(root)
    if lang == "all":
        raise ProjectError("stamp one language at a time: --lang fi, for example")
    project.select_languages(lang)
    if lang == project.source_language:
        raise ProjectError(f"{lang} is the source language; only translations are stamped")
    done = []
    for doc_id in project.select_documents(doc):
        src = read_content(project.content_file(project.source_language, doc_id), project.root, project.source_language, doc_id)
        tr = read_content(project.content_file(lang, doc_id), project.root, lang, doc_id)
        done.append((doc_id, stamps.stamp(project.root, lang, src, tr)))
    return done

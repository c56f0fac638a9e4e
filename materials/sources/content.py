"""Reading content files: YAML front matter, then sections split on `## Title {#id}` headings.

The reader keeps each section's source text and line number, so that rendering and the
consistency checks can both name the exact line of a problem.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import Field, ValidationError

from materials.errors import Problem, ProjectError, relative
from materials.sources.files import read_bytes
from materials.sources.yamlfile import Strict, parse_yaml, problems_of

HEADING = re.compile(r"^##(?!#)\s*(?P<title>.*?)\s*(?:\{#(?P<id>[^}\s]*)\})?\s*$")
SECTION_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
NOTES_MARK = "???"
INTRO = "intro"
MAX_BYTES = 1_000_000  # a content file is a few kilobytes; refuse anything absurd early


class FrontMatter(Strict):
    """What a content file's front matter may hold: words only, every language the same keys."""

    title: str = Field(min_length=1)
    subtitle: str | None = Field(default=None, min_length=1)
    summary: str = Field(min_length=1)


@dataclass(frozen=True)
class Section:
    """One `## Title {#id}` section (or the introduction before the first one)."""

    id: str
    title: str  # source text of the heading; empty for the introduction
    body: str  # source Markdown of the section, without its heading
    line: int  # line of the heading (of the first body line for the introduction)
    skipped: int = 0  # blank lines between the heading and the body's first line (not in `body`)

    @property
    def text(self) -> str:
        """The section as the source has it: heading and body (the body alone for the intro)."""
        return self.body if self.id == INTRO else f"## {self.title}\n\n{self.body}"

    @property
    def body_line(self) -> int:
        """The file's line of the first line of `body`."""
        return (self.line if self.id == INTRO else self.line + 1) + self.skipped


@dataclass(frozen=True)
class ContentFile:
    lang: str
    doc_id: str
    path: Path
    name: str  # path relative to the project, for messages
    meta: dict
    sections: tuple[Section, ...]
    meta_lines: dict[str, int] = field(default_factory=dict, compare=False)  # front matter key -> its line

    def meta_line(self, key: str) -> int:
        return self.meta_lines.get(key, 1)

    def section(self, section_id: str) -> Section | None:
        return next((s for s in self.sections if s.id == section_id), None)


def read_content(path: Path, root: Path, lang: str, doc_id: str) -> ContentFile:
    """Read one content file; a ProjectError lists every problem with file and line."""
    name = relative(path, root)
    try:
        raw = read_bytes(path, name, MAX_BYTES, inside=root / "content")
    except FileNotFoundError:
        raise ProjectError(Problem(name, f"missing: every document needs a file in content/{lang}/"))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ProjectError(Problem(name, "is not UTF-8 text; save it as UTF-8", line))
    return parse_content(text, path, name, lang, doc_id)


def parse_content(text: str, path: Path, name: str, lang: str, doc_id: str) -> ContentFile:
    """A content file's text as read_content reads it (an import checks what it would write)."""
    text = text.lstrip("\ufeff").replace("\r\n", "\n")
    if not text.strip():
        raise ProjectError(Problem(name, "is empty; it needs front matter (title, summary) and the document's text"))
    meta, lines, body, body_start = _front_matter(text, name)
    sections = _sections(body, body_start, name)
    return ContentFile(lang, doc_id, path, name, meta, sections, lines)


def _front_matter(text: str, name: str) -> tuple[dict, dict[str, int], str, int]:
    lines = text.split("\n")
    if lines[0].strip() != "---":
        raise ProjectError(Problem(name, "must start with front matter: a line '---', title: and summary:, then '---'", 1))
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        raise ProjectError(Problem(name, "front matter is not closed with a line '---'", 1))
    source = "\n".join(lines[1:end])
    meta, where = parse_yaml(source, name, first_line=2, subject="front matter ")
    if meta is None:
        meta, where = {}, {}
    if not isinstance(meta, dict):
        raise ProjectError(Problem(name, f"front matter must be a mapping of keys (title:, summary:), got {type(meta).__name__}", 2))
    try:
        FrontMatter.model_validate(meta)
    except ValidationError as exc:
        problems = problems_of(exc, name, where, known=list(FrontMatter.model_fields))
        raise ProjectError([Problem(p.file, f"front matter: {p.message}", p.line or 1) for p in problems])
    keys = {path[0]: line for path, line in where.items() if len(path) == 1}
    return meta, keys, "\n".join(lines[end + 1 :]), end + 2


def _sections(body: str, first_line: int, name: str) -> tuple[Section, ...]:
    sections: list[Section] = []
    problems: list[Problem] = []
    current_id, current_title, current_line, buf = INTRO, "", first_line, []
    fenced = False

    def close() -> None:
        joined = "\n".join(buf)
        text = joined.strip("\n")
        skipped = len(joined) - len(joined.lstrip("\n"))  # blank lines stripped before the body
        if current_id != INTRO or text.strip():
            sections.append(Section(current_id, current_title, text, current_line, skipped if text else 0))

    for offset, line in enumerate(body.split("\n")):
        lineno = first_line + offset
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        match = None if fenced else HEADING.match(line)
        if not match:
            buf.append(line)
            continue
        sid = match["id"]
        if sid is None:
            problems.append(Problem(name, "heading has no id; write it as '## Title {#some-id}'", lineno))
            sid = f"line-{lineno}"
        elif not SECTION_ID.match(sid):
            problems.append(Problem(name, f"section id '{sid}' must be lowercase letters and digits joined by hyphens", lineno))
        elif any(s.id == sid for s in sections) or sid == current_id:
            problems.append(Problem(name, f"duplicate section id '{sid}'; each section needs its own id", lineno))
        if not match["title"]:
            problems.append(Problem(name, "heading has no title", lineno))
        close()
        current_id, current_title, current_line, buf = sid, match["title"], lineno, []
    close()
    if problems:
        raise ProjectError(problems)
    return tuple(sections)


def split_notes(section: Section) -> tuple[str, str | None]:
    """A slide's content and its notes (after a line holding only `???`)."""
    lines = section.body.split("\n")
    for i, line in enumerate(lines):
        if line.strip() == NOTES_MARK:
            return "\n".join(lines[:i]).strip(), "\n".join(lines[i + 1 :]).strip()
    return section.body.strip(), None


def notes_line(section: Section) -> int:
    """The file's line where a slide's notes begin (the first non-blank line after `???`)."""
    lines = section.body.split("\n")
    for i, line in enumerate(lines):
        if line.strip() == NOTES_MARK:
            j = i + 1
            while j < len(lines) and not lines[j].strip():
                j += 1
            return section.body_line + j
    return section.body_line

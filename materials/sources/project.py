"""The language-neutral data (content/project.yaml): languages, facts, sessions, documents.

Validated when loaded: every problem is collected and reported at once as
`content/project.yaml: <field path>: expected ..., got ...`.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from materials.errors import Problem, ProjectError, shown

# The package's own templates and styles (a project may bring its own templates/ and static/).
PACKAGE_TEMPLATES = Path(__file__).resolve().parent.parent / "render" / "templates"
PACKAGE_STATIC = Path(__file__).resolve().parent.parent / "render" / "static"
KINDS = ("programme", "agenda", "handout", "invitation")
ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
LANG = re.compile(r"^[a-z]{2,3}$")


@dataclass(frozen=True)
class Language:
    code: str
    name: str
    locale: str
    source: bool = False
    quotes: str = "“”‘’"  # double open, double close, single open, single close


@dataclass(frozen=True)
class AgendaItem:
    id: str
    minutes: int


@dataclass(frozen=True)
class Session:
    id: str
    minutes: int
    sample_start: dt.time
    items: tuple[AgendaItem, ...]


@dataclass(frozen=True)
class Document:
    id: str
    kind: str
    sessions: tuple[str, ...] = ()


@dataclass
class Project:
    """Everything that is the same in every language, plus where things live."""

    root: Path
    organisation: str
    languages: dict[str, Language]
    facts: dict[str, Any]
    sessions: dict[str, Session]
    documents: dict[str, Document]
    data_file: Path = field(default=None)  # type: ignore[assignment]

    @property
    def content_dir(self) -> Path:
        return self.root / "content"

    @property
    def locale_dir(self) -> Path:
        return self.root / "locale"

    @property
    def templates_dir(self) -> Path:
        """The shared templates: the package's, unless the project has its own templates/."""
        own = self.root / "templates"
        return own if own.is_dir() else PACKAGE_TEMPLATES

    @property
    def static_dir(self) -> Path:
        own = self.root / "static"
        return own if own.is_dir() else PACKAGE_STATIC

    @property
    def source_language(self) -> str:
        return next(code for code, lang in self.languages.items() if lang.source)

    def content_file(self, lang: str, doc_id: str) -> Path:
        return self.content_dir / lang / f"{doc_id}.md"

    def select_languages(self, lang: str) -> list[str]:
        """`all` or one known code; anything else is a user error naming the known ones."""
        if lang == "all":
            return list(self.languages)
        if lang not in self.languages:
            known = ", ".join(self.languages)
            raise ProjectError(f"unknown language '{lang}'; known languages: {known}, or all")
        return [lang]

    def select_documents(self, doc: str | None) -> list[str]:
        if doc is None:
            return list(self.documents)
        if doc not in self.documents:
            known = ", ".join(self.documents)
            raise ProjectError(f"unknown document '{doc}'; known documents: {known}")
        return [doc]


def load_project(root: Path, strict: bool = True) -> Project:
    """Read and validate content/project.yaml under `root`.

    `strict=False` (for `check`) accepts agenda items that do not add up, so that the check
    reports them as findings beside everything else.
    """
    root = Path(root)
    path = root / "content" / "project.yaml"
    name = "content/project.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ProjectError(Problem(name, "file not found; it lists the languages, sessions and documents"))
    except UnicodeDecodeError:
        raise ProjectError(Problem(name, "is not UTF-8 text"))
    except yaml.YAMLError as exc:
        line = exc.problem_mark.line + 1 if getattr(exc, "problem_mark", None) else None
        raise ProjectError(Problem(name, f"is not valid YAML: {getattr(exc, 'problem', exc)}", line))
    except (ValueError, RecursionError) as exc:  # a date such as 2027-02-30, nesting too deep
        raise ProjectError(Problem(name, f"is not valid YAML: {exc}"))
    problems: list[Problem] = []

    def bad(field_path: str, expected: str, got: Any) -> None:
        problems.append(Problem(name, f"{field_path}: expected {expected}, got {shown(got)}"))

    if not isinstance(data, dict):
        raise ProjectError(Problem(name, f"expected a mapping of settings, got {type(data).__name__}"))

    organisation = data.get("organisation")
    if not isinstance(organisation, str) or not organisation.strip():
        bad("organisation", "the organisation's name", organisation)

    languages: dict[str, Language] = {}
    raw_langs = data.get("languages")
    if not isinstance(raw_langs, dict) or not raw_langs:
        bad("languages", "a mapping of language codes", raw_langs)
        raw_langs = {}
    for code, spec in raw_langs.items():
        where = f"languages.{code}"
        if not isinstance(code, str) or not LANG.match(code):
            bad(where, "a two- or three-letter lowercase language code", code)
            continue
        if not isinstance(spec, dict) or not isinstance(spec.get("name"), str) or not isinstance(spec.get("locale"), str):
            bad(where, "a mapping with name and locale", spec)
            continue
        from babel import Locale, UnknownLocaleError

        try:
            Locale.parse(spec["locale"])
        except (ValueError, UnknownLocaleError):
            bad(f"{where}.locale", "a locale Babel knows, such as fi_FI", spec["locale"])
            continue
        quotes = spec.get("quotes", "“”‘’")
        if not isinstance(quotes, str) or len(quotes) != 4:
            bad(f"{where}.quotes", "four quotation marks: double open, double close, single open, single close", quotes)
            continue
        languages[code] = Language(code, spec["name"], spec["locale"], bool(spec.get("source", False)), quotes)
    if languages and sum(lang.source for lang in languages.values()) != 1:
        problems.append(Problem(name, "languages: expected exactly one language with source: true"))

    facts = data.get("facts")
    if not isinstance(facts, dict):
        bad("facts", "a mapping of facts", facts)
        facts = {}
    group = facts.get("max_group_size", 16)  # the code checks municipality files against it
    if not isinstance(group, int) or isinstance(group, bool) or group < 1:
        bad("facts.max_group_size", "a positive whole number", group)

    sessions: dict[str, Session] = {}
    raw_sessions = data.get("sessions")
    if not isinstance(raw_sessions, dict):
        bad("sessions", "a mapping of sessions", raw_sessions)
        raw_sessions = {}
    for sid, spec in raw_sessions.items():
        session = _session(str(sid), spec, bad, strict)
        if session:
            sessions[session.id] = session

    declared = {str(sid) for sid in raw_sessions}
    documents: dict[str, Document] = {}
    raw_docs = data.get("documents")
    if not isinstance(raw_docs, list) or not raw_docs:
        bad("documents", "a list of documents", raw_docs)
        raw_docs = []
    for i, spec in enumerate(raw_docs):
        where = f"documents[{i}]"
        if not isinstance(spec, dict):
            bad(where, "a mapping with id and kind", spec)
            continue
        did, kind, sess = spec.get("id"), spec.get("kind"), spec.get("sessions", [])
        if not isinstance(did, str) or not ID.match(did):
            bad(f"{where}.id", "a lowercase id such as agenda-training-day", did)
            continue
        if did in documents:
            bad(f"{where}.id", "an id not used before", did)
        if kind not in KINDS:
            bad(f"{where}.kind", "one of " + ", ".join(KINDS), kind)
            continue
        # A session with problems of its own is reported once, not again by each document naming it.
        if not isinstance(sess, list) or any(not isinstance(s, str) or s not in declared for s in sess):
            bad(f"{where}.sessions", "a list of session ids from sessions", sess)
            continue
        if kind != "programme" and not sess:
            bad(f"{where}.sessions", f"at least one session for a {kind}", sess)
            continue
        documents[did] = Document(did, kind, tuple(sess))

    if problems:
        raise ProjectError(problems)
    return Project(root, organisation, languages, facts, sessions, documents, path)


def _session(sid: str, spec: Any, bad, strict: bool = True) -> Session | None:
    where = f"sessions.{sid}"
    if not ID.match(sid):
        bad(where, "a lowercase session id", sid)
        return None
    if not isinstance(spec, dict):
        bad(where, "a mapping with minutes, sample_start and items", spec)
        return None
    minutes = spec.get("minutes")
    if not isinstance(minutes, int) or isinstance(minutes, bool) or minutes <= 0:
        bad(f"{where}.minutes", "a positive whole number of minutes", minutes)
        return None
    try:
        value = spec.get("sample_start")
        if not isinstance(value, (str, int)) or isinstance(value, bool):  # not str() of any structure
            raise ValueError(value)
        start = dt.time.fromisoformat(str(value))
    except ValueError:
        bad(f"{where}.sample_start", "a clock time such as \"09:00\"", spec.get("sample_start"))
        return None
    items: list[AgendaItem] = []
    raw_items = spec.get("items")
    if not isinstance(raw_items, list) or not raw_items:
        bad(f"{where}.items", "a list of agenda items", raw_items)
        return None
    for i, item in enumerate(raw_items):
        iw = f"{where}.items[{i}]"
        if not isinstance(item, dict) or not isinstance(item.get("id"), str) or not ID.match(item["id"]):
            bad(iw, "a mapping with a lowercase id and minutes", item)
            return None
        m = item.get("minutes")
        if not isinstance(m, int) or isinstance(m, bool) or m <= 0:
            bad(f"{iw}.minutes", "a positive whole number of minutes", m)
            return None
        if any(x.id == item["id"] for x in items):
            bad(f"{iw}.id", "an id not used before in this session", item["id"])
            return None
        items.append(AgendaItem(item["id"], m))
    total = sum(x.minutes for x in items)
    if total != minutes and strict:
        bad(f"{where}.items", f"minutes adding up to the session's {minutes}", f"{total} minutes")
        return None
    return Session(sid, minutes, start, tuple(items))

"""The language-neutral data (content/project.yaml): languages, facts, sessions, documents.

Validated when loaded (pydantic): every problem is collected and reported at once as
`content/project.yaml:<line>: <field path>: expected ..., got ...`. Whether each session's
agenda items add up to its length is a rule (rules/), reported by `check` and refused by the build.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BeforeValidator, Field, PositiveInt, field_validator, model_validator

from materials.errors import Problem, ProjectError, shown
from materials.sources.outline import PACKAGE_STATIC, PACKAGE_TEMPLATES, Outline  # noqa: F401 (re-exported)
from materials.sources.yamlfile import Strict, must, read_yaml, validate

KINDS = ("programme", "agenda", "handout", "invitation", "workbook")

ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
LANG = re.compile(r"^[a-z]{2,3}$")
FIELD = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass
class Project(Outline):
    """Everything that is the same in every language, plus where things live."""

    organisation: str = ""
    facts: dict[str, Any] = field(default_factory=dict)
    sessions: dict[str, Session] = field(default_factory=dict)
    data_file: Path = field(default=None)  # type: ignore[assignment]
    occasions: tuple[Occasion, ...] = ()
    departments: tuple[str, ...] = ()
    countries: dict[str, str] = field(default_factory=dict)
    lines: dict = field(default_factory=dict, repr=False)  # a value's path -> its line in project.yaml
    # Names no language translates and no line breaks (locale/glossary.yaml's names; sources.load
    # fills them in once it has read the glossary).
    names: tuple[str, ...] = ()


# -- the file's model: what content/project.yaml may say ---------------------------------------

def _id(what: str):
    return must(lambda v: ID.match(v), what)


def _clock(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return dt.time.fromisoformat(value)
        except ValueError:
            pass
    if isinstance(value, dt.time):
        return value
    raise ValueError(f'expected a clock time such as "09:00", got {shown(value)}')


def _locale(value: str) -> bool:
    from babel import Locale

    return Locale.parse(value) is not None


class Language(Strict):
    code: str  # the key it is listed under
    name: str = Field(min_length=1)
    locale: Annotated[str, must(_locale, "a locale Babel knows, such as fi_FI")]
    source: bool = False
    quotes: Annotated[str, must(lambda v: len(v) == 4, "four quotation marks: double open, double close, "
                                                     "single open, single close")] = "“”‘’"  # double open and close, single open and close


class AgendaItem(Strict):
    id: Annotated[str, _id("a lowercase id such as welcome")]
    minutes: PositiveInt


class Session(Strict):
    id: str  # the key it is listed under
    name: str = Field(min_length=1)  # in English; translated in the catalogs like a template string
    minutes: PositiveInt
    sample_start: Annotated[dt.time, BeforeValidator(_clock)]
    items: Annotated[list[AgendaItem], Field(min_length=1)]

    @field_validator("items")
    @classmethod
    def _unique(cls, items):
        seen = set()
        for item in items:
            if item.id in seen:
                raise ValueError(f"expected ids not used before in this session, got {shown(item.id)} twice")
            seen.add(item.id)
        return items

    @property
    def items_minutes(self) -> int:
        return sum(i.minutes for i in self.items)


class Document(Strict):
    id: Annotated[str, _id("a lowercase id such as agenda-training-day")]
    kind: Literal[KINDS]
    sessions: list[str] = []


class Occasion(Strict):
    """A field of a municipality file: when and where some of its sessions take place."""

    field: Annotated[str, must(lambda v: FIELD.match(v), "a field name such as training_groups")]
    sessions: Annotated[list[str], Field(min_length=1)]
    repeated: bool = False  # a list: the municipality may hold it several times
    participants: bool = False  # each one is a group of participants (at most facts.max_group_size)

    def place_key(self, session_id: str) -> str:
        """Where a session's place is written in one occasion of several sessions."""
        return session_id.replace("-", "_")


class ProjectFile(Strict):
    organisation: str = Field(min_length=1)
    languages: Annotated[dict[Annotated[str, must(lambda v: LANG.match(v), "a two- or three-letter lowercase language code")],
                              Language], Field(min_length=1)]
    facts: dict[str, Any] = {}
    sessions: dict[Annotated[str, _id("a lowercase session id")], Session]
    documents: Annotated[list[Document], Field(min_length=1)]
    occasions: list[Occasion] = []
    departments: list[Annotated[str, _id("a lowercase department id")]] = []
    countries: dict[str, str] = {}  # country code -> the time zone of its sessions

    @model_validator(mode="before")
    @classmethod
    def _keys(cls, data: Any) -> Any:
        """A language knows its code and a session its id: the keys they are listed under."""
        if isinstance(data, dict):
            data = dict(data)
            for field_name, key in (("languages", "code"), ("sessions", "id")):
                if isinstance(data.get(field_name), dict):
                    data[field_name] = {k: {**v, key: k} if isinstance(v, dict) else v for k, v in data[field_name].items()}
        return data



def _references(spec: ProjectFile, name: str, lines) -> list[Problem]:
    """What one field says about another: sessions named by documents and occasions exist."""
    problems = []

    def bad(loc: tuple, message: str) -> None:
        line = next((lines[loc[:n]] for n in range(len(loc), -1, -1) if loc[:n] in lines), None)
        problems.append(Problem(name, message, line))

    if sum(lang.source for lang in spec.languages.values()) != 1:
        bad(("languages",), "languages: expected exactly one language with source: true")
    group = spec.facts.get("max_group_size", 16)  # municipality files are checked against it
    if not isinstance(group, int) or isinstance(group, bool) or group < 1:
        bad(("facts", "max_group_size"), f"facts.max_group_size: expected a positive whole number, got {shown(group)}")
    seen: set[str] = set()
    for i, doc in enumerate(spec.documents):
        if doc.id in seen:
            bad(("documents", i, "id"), f"documents[{i}].id: expected an id not used before, got {shown(doc.id)}")
        seen.add(doc.id)
        if any(s not in spec.sessions for s in doc.sessions):
            bad(("documents", i, "sessions"),
                f"documents[{i}].sessions: expected a list of session ids from sessions, got {shown(list(doc.sessions))}")
        elif doc.kind != "programme" and not doc.sessions:
            bad(("documents", i, "sessions"), f"documents[{i}].sessions: expected at least one session for a {doc.kind}, got []")
    placed: set[str] = set()
    for i, occasion in enumerate(spec.occasions):
        for s in occasion.sessions:
            if s not in spec.sessions:
                bad(("occasions", i, "sessions"), f"occasions[{i}].sessions: expected session ids from sessions, got {shown(s)}")
            elif s in placed:
                bad(("occasions", i, "sessions"), f"occasions[{i}].sessions: expected each session in one occasion only, got {shown(s)} again")
            placed.add(s)
    for code, zone in spec.countries.items():
        try:
            ZoneInfo(zone)
        except (ValueError, ZoneInfoNotFoundError):
            bad(("countries", code), f"countries.{code}: expected a time zone such as Europe/Helsinki, got {shown(zone)}")
    return problems


def load_project(root: Path) -> Project:
    """Read and validate content/project.yaml under `root`: every problem at once, each as
    `content/project.yaml:line: field: expected ..., got ...`."""
    root = Path(root)
    path = root / "content" / "project.yaml"
    name = "content/project.yaml"
    try:
        data, lines = read_yaml(path, name)
    except FileNotFoundError:
        raise ProjectError(Problem(name, "file not found; it lists the languages, sessions and documents"))
    if not isinstance(data, dict):
        raise ProjectError(Problem(name, f"expected a mapping of settings, got {type(data).__name__}"))
    spec = validate(ProjectFile, data, name, lines)
    if problems := _references(spec, name, lines):
        raise ProjectError(problems)
    return Project(root, spec.languages, {d.id: d for d in spec.documents}, organisation=spec.organisation,
                   facts=dict(spec.facts), sessions=spec.sessions, data_file=path, occasions=tuple(spec.occasions),
                   departments=tuple(spec.departments), countries=dict(spec.countries), lines=lines)

"""Municipality files (`municipalities/<slug>.yaml`): who signed up, in which language, and when
and where each session takes place.

The file's fields come from content/project.yaml: its `occasions` say which field places which
sessions (so a new session needs no code), its `departments` and `countries` what may be chosen.
A file is validated by a pydantic model made from the project, every problem reported at once as
`municipalities/<slug>.yaml:<line>: <field path>: expected ..., got ...`.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Optional

from pydantic import BeforeValidator, Field, create_model

from materials.errors import Problem, ProjectError, relative, shown
from materials.sources.project import Occasion, Project
from materials.sources.yamlfile import Lines, Strict, must, read_yaml, validate

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
EMAIL = re.compile(r"^[^@\s<>\"']+@[^@\s<>\"']+\.[A-Za-z]{2,}$")
PHONE = re.compile(r"^\+?[\d ()-]{6,20}$")
# What a missing field should have held, for its message.
DESCRIBED = {
    "name": "the municipality's name", "contact.name": "the contact person's name", "country": "the country's code", "languages": "a list of the pack's languages",
    "department": "the department that starts the programme", "contact": "name, role, email and phone",
    "role": "the contact person's role", "email": "an email address", "phone": "a phone number",
    "date": "a date such as 2027-03-15", "start": 'a clock time such as "09:30"', "venue": "the venue's name",
    "address": "the venue's address", "participants": "a number of participants", "rsvp_deadline": "a date such as 2027-03-15",
}


@dataclass(frozen=True)
class EventPlace:
    """Where and when a session happens, as given by a municipality (or None for a plain build)."""

    date: dt.date
    start: dt.time
    venue: str
    address: str = ""


@dataclass
class Municipality:
    """What templates see of a municipality; a plain build shows placeholders instead."""

    name: str
    contact: dict
    rsvp_deadline: dt.date | None
    places: dict[str, EventPlace] = field(default_factory=dict)


@dataclass(frozen=True)
class Held:
    """One occasion of a municipality: its sessions' places, and for a group its number."""

    field: str
    suffix: str  # for its file names: "", "-2", "-group-1"
    group: int | None  # the training group's number, when the municipality has several
    participants: int | None
    places: dict[str, EventPlace]


@dataclass(frozen=True)
class MunicipalityFile:
    """A validated municipality file."""

    slug: str
    name: str
    country: str
    languages: tuple[str, ...]
    department: str
    contact: dict
    occasions: tuple[Held, ...]
    rsvp_deadline: dt.date
    path: Path
    timezone: str
    distribution: str | None = None  # where invitations go; None: to the contact, to forward

    def held(self, field_name: str) -> list[Held]:
        return [h for h in self.occasions if h.field == field_name]

    def view(self, places: dict[str, EventPlace]) -> Municipality:
        """What templates see: the municipality with the given sessions' places."""
        return Municipality(self.name, dict(self.contact), self.rsvp_deadline, places)


# -- the model -----------------------------------------------------------------------------------

def _date(value: Any) -> Any:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError(f"expected a date such as 2027-03-15, got {shown(value)}")


def _clock(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 24 * 60:
        value = f"{value // 60:02d}:{value % 60:02d}"  # YAML 1.1 reads 09:30 unquoted as 570
    if isinstance(value, str) and re.match(r"^\d{1,2}:\d{2}$", value):
        h, m = map(int, value.split(":"))
        if h < 24 and m < 60:
            return dt.time(h, m)
    raise ValueError(f'expected a clock time such as "09:30", got {shown(value)}')


def _matching(pattern: re.Pattern, expected: str):
    return must(lambda v: pattern.match(v.strip()), expected, before=True)


def _one_of(values):
    return must(lambda v: isinstance(v, str) and v in values, f"one of {', '.join(values)}", before=True)


Date = Annotated[dt.date, BeforeValidator(_date)]
Clock = Annotated[dt.time, BeforeValidator(_clock)]
Text = Annotated[str, Field(min_length=1)]


class PlaceSpec(Strict):
    date: Date
    start: Clock
    venue: Text
    address: Text


class ContactSpec(Strict):
    name: Text
    role: Text
    email: Annotated[str, _matching(EMAIL, "an email address such as name@municipality.fi")]
    phone: Annotated[str, _matching(PHONE, 'a phone number in quotes, such as "+358 9 123 4567"')]


def _participants(limit: int) -> BeforeValidator:
    def check(value: Any) -> Any:
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"expected a whole number from 1 to {limit}, got {shown(value)}")
        if value > limit:
            raise ValueError(f"expected at most {limit} participants in a group, got {shown(value)}")
        return value
    return BeforeValidator(check)


def _item_model(project: Project, occasion: Occasion):
    """What one occasion holds: a place, or a mapping of places (and participants)."""
    if len(occasion.sessions) == 1 and not occasion.participants:
        return PlaceSpec
    fields: dict[str, Any] = {occasion.place_key(s): (PlaceSpec, ...) for s in occasion.sessions}
    if occasion.participants:
        limit = project.facts.get("max_group_size", 16)
        fields["participants"] = (Annotated[int, _participants(limit)], ...)
    return create_model(f"{occasion.field}_item", __base__=Strict, **fields)


def municipality_model(project: Project):
    """The model of a municipality file for this project (cached on the project)."""
    cached = getattr(project, "_municipality_model", None)
    if cached is not None:
        return cached
    fields: dict[str, Any] = {
        "name": (Text, ...),
        "country": (Annotated[str, _one_of(list(project.countries))], ...),
        "languages": (Annotated[list[Annotated[str, _one_of(list(project.languages))]], Field(min_length=1)], ...),
        "department": (Annotated[str, _one_of(list(project.departments))], ...),
        "contact": (ContactSpec, ...),
        "rsvp_deadline": (Date, ...),
        "distribution": (Optional[Annotated[str, _matching(EMAIL, "an email address such as name@municipality.fi")]], None),
    }
    for occasion in project.occasions:
        item = _item_model(project, occasion)
        fields[occasion.field] = ((Annotated[list[item], Field(min_length=1)]) if occasion.repeated else item, ...)
    model = create_model("MunicipalityFile", __base__=Strict, **fields)
    object.__setattr__(project, "_municipality_model", model)
    return model


# -- reading -------------------------------------------------------------------------------------

def municipality_path(root: Path, slug: str) -> Path:
    if not isinstance(slug, str) or not SLUG.match(slug):
        raise ProjectError(f"'{slug}' is not a municipality slug: use lowercase letters, digits and hyphens, "
                           "as in the file name municipalities/<slug>.yaml")
    return root / "municipalities" / f"{slug}.yaml"


def list_slugs(root: Path) -> list[str]:
    return sorted(p.stem for p in (root / "municipalities").glob("*.yaml"))


def today() -> dt.date:
    """Today, for the rule that a pack's dates lie ahead: MATERIALS_TODAY (an ISO date) fixes it,
    so that tests and re-made packs do not depend on the day they run."""
    value = os.environ.get("MATERIALS_TODAY", "")
    try:
        return dt.date.fromisoformat(value) if value else dt.date.today()
    except ValueError:
        raise ProjectError(f"MATERIALS_TODAY: expected a date such as 2027-03-15, got '{value}'")


def load_municipality(project: Project, slug: str, after: dt.date | None = None) -> MunicipalityFile:
    """`after`: dates before it are refused (a pack for sessions still to come)."""
    path = municipality_path(project.root, slug)
    name = relative(path, project.root)
    if not path.exists() and not path.is_symlink():
        known = ", ".join(list_slugs(project.root)) or "none yet"
        raise ProjectError(Problem(name, f"no such municipality file; known municipalities: {known}"))
    if not path.resolve().is_relative_to((project.root / "municipalities").resolve()):
        raise ProjectError(Problem(name, "points outside the municipalities/ folder"))
    try:
        data, lines = read_yaml(path, name)
    except FileNotFoundError:
        raise ProjectError(Problem(name, "no such municipality file"))
    return validate_municipality(project, slug, data, path, name, lines, after)


def validate_municipality(project: Project, slug: str, data: Any, path: Path, name: str,
                          lines: Lines | None = None, after: dt.date | None = None) -> MunicipalityFile:
    lines = lines or {}
    if not isinstance(data, dict):
        raise ProjectError(Problem(name, f"expected a mapping of fields (name:, country:, ...), got {type(data).__name__}"))
    spec = validate(municipality_model(project), data, name, lines, described=DESCRIBED)
    held = []
    for occasion in project.occasions:
        value = getattr(spec, occasion.field)
        items = value if occasion.repeated else [value]
        for n, item in enumerate(items, 1):
            several = len(items) > 1
            suffix = (f"-group-{n}" if occasion.participants else f"-{n}") if several else ""
            if isinstance(item, PlaceSpec):
                places = {occasion.sessions[0]: item}
            else:
                places = {s: getattr(item, occasion.place_key(s)) for s in occasion.sessions}
            places = {s: EventPlace(p.date, p.start, p.venue, p.address) for s, p in places.items()}
            held.append(Held(occasion.field, suffix, n if several and occasion.participants else None,
                             getattr(item, "participants", None), places))
    if problems := _when(project, spec, held, name, lines, after):
        raise ProjectError(problems)
    return MunicipalityFile(slug, spec.name, spec.country, tuple(dict.fromkeys(spec.languages)), spec.department,
                            spec.contact.model_dump(), tuple(held), spec.rsvp_deadline, path,
                            project.countries[spec.country], spec.distribution)


def _when(project: Project, spec, held: list[Held], name: str, lines: Lines,
          after: dt.date | None = None) -> list[Problem]:
    """The rules of time: each session ends before midnight, a group's sessions follow one
    another, every occasion comes after the first day of the ones before it, the RSVP
    deadline comes before the first session, and (`after`) no date lies before that day."""
    problems = []
    occasions = {o.field: o for o in project.occasions}

    def bad(h: Held | None, sid: str, key: str, message: str) -> None:
        loc: tuple = (key,)
        if h is not None:
            o = occasions[h.field]
            loc = (h.field,) + ((held_of(h.field).index(h),) if o.repeated else ()) \
                + (() if len(o.sessions) == 1 and not o.participants else (o.place_key(sid),)) + (key,)
        line = next((lines[loc[:n]] for n in range(len(loc), 0, -1) if loc[:n] in lines), None)
        dotted = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")
        problems.append(Problem(name, f"{dotted}: {message}", line))

    def held_of(field_name: str) -> list[Held]:
        return [h for h in held if h.field == field_name]

    def called(sid: str) -> str:
        return project.sessions[sid].name.lower()

    firsts: list[tuple[str, dt.date]] = []  # (session, date) first of each occasion before this one
    for o in project.occasions:
        for h in held_of(o.field):
            previous = None
            for sid, place in h.places.items():
                end = dt.datetime.combine(place.date, place.start) + dt.timedelta(minutes=project.sessions[sid].minutes)
                if end.date() != place.date:
                    bad(h, sid, "start", f"expected a start that ends the session before midnight, got '{place.start:%H:%M}'")
                if previous and place.date <= previous[1]:
                    bad(h, sid, "date", f"expected a date after the {called(previous[0])} ({previous[1]}), got {place.date}")
                for first_sid, first in firsts:
                    if place.date <= first:
                        bad(h, sid, "date", f"expected a date after the first {called(first_sid)} ({first}), got {place.date}")
                if after and place.date < after:
                    bad(h, sid, "date", f"{place.date} has passed (today is {after}); {PAST}")
                previous = (sid, place.date)
        dates = [(p.date, sid) for h in held_of(o.field) for sid, p in h.places.items()]
        if dates:
            firsts.append(min(dates)[::-1])
    if firsts and spec.rsvp_deadline >= firsts[0][1]:
        bad(None, "", "rsvp_deadline", f"expected a date before the {called(firsts[0][0])} ({firsts[0][1]}), "
                                       f"got {spec.rsvp_deadline}")
    if after and spec.rsvp_deadline < after:
        bad(None, "", "rsvp_deadline", f"{spec.rsvp_deadline} has passed (today is {after}); {PAST}")
    return problems


PAST = "give the coming dates, or add --allow-past for a pack about sessions already held"

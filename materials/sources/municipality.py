"""Municipality files (`municipalities/<slug>.yaml`): who signed up, in which language, and when
and where each session takes place. Validated when loaded, every problem reported at once as
`municipalities/<slug>.yaml: <field path>: expected ..., got ...`.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from materials.errors import Problem, ProjectError, relative, shown
from materials.sources.project import Project

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
EMAIL = re.compile(r"^[^@\s<>\"']+@[^@\s<>\"']+\.[A-Za-z]{2,}$")
DEPARTMENTS = ("public-order-and-safety", "social-development")
# Country -> time zone of its sessions (the calendar files carry it).
COUNTRIES = {"NL": "Europe/Amsterdam", "BE": "Europe/Brussels", "FI": "Europe/Helsinki"}
KEYS = {"name", "country", "languages", "department", "contact", "introductory_meeting",
        "training_groups", "intervision_meetings", "rsvp_deadline"}


@dataclass(frozen=True)
class EventPlace:
    """Where and when a session happens, as given by a municipality (or None for a plain build)."""

    date: dt.date
    start: dt.time
    venue: str
    address: str = ""


@dataclass
class Municipality:
    """The data a pack adds; a plain build uses `placeholders()` instead."""

    name: str
    contact: dict
    rsvp_deadline: dt.date | None
    places: dict[str, EventPlace] = field(default_factory=dict)


@dataclass(frozen=True)
class TrainingGroup:
    participants: int
    training_day: EventPlace
    in_depth_session: EventPlace


@dataclass(frozen=True)
class MunicipalityFile:
    """A validated municipality file."""

    slug: str
    name: str
    country: str
    languages: tuple[str, ...]
    department: str
    contact: dict
    introductory_meeting: EventPlace
    training_groups: tuple[TrainingGroup, ...]
    intervision_meetings: tuple[EventPlace, ...]
    rsvp_deadline: dt.date
    path: Path

    @property
    def timezone(self) -> str:
        return COUNTRIES[self.country]

    def locale(self, lang: str) -> str:
        """The pack's locale: its language as written in the municipality's country (nl_BE, fi_FI)."""
        return f"{lang}_{self.country}"

    def view(self, places: dict[str, EventPlace]) -> Municipality:
        """What templates see: the municipality with the given sessions' places."""
        return Municipality(self.name, dict(self.contact), self.rsvp_deadline, places)


def municipality_path(root: Path, slug: str) -> Path:
    if not isinstance(slug, str) or not SLUG.match(slug):
        raise ProjectError(f"'{slug}' is not a municipality slug: use lowercase letters, digits and hyphens, "
                           "as in the file name municipalities/<slug>.yaml")
    return root / "municipalities" / f"{slug}.yaml"


def list_slugs(root: Path) -> list[str]:
    return sorted(p.stem for p in (root / "municipalities").glob("*.yaml"))


def load_municipality(project: Project, slug: str) -> MunicipalityFile:
    path = municipality_path(project.root, slug)
    name = relative(path, project.root)
    if not path.is_file():
        known = ", ".join(list_slugs(project.root)) or "none yet"
        raise ProjectError(Problem(name, f"no such municipality file; known municipalities: {known}"))
    if not path.resolve().is_relative_to((project.root / "municipalities").resolve()):
        raise ProjectError(Problem(name, "points outside the municipalities/ folder"))
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise ProjectError(Problem(name, "is not UTF-8 text"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ProjectError(Problem(name, f"is not valid YAML: {getattr(exc, 'problem', None) or exc}",
                                   mark.line + 1 if mark else None))
    except (ValueError, RecursionError) as exc:  # a date such as 2027-02-30, nesting too deep
        raise ProjectError(Problem(name, f"is not valid YAML: {exc}"))
    return validate(project, slug, data, path, name)


def validate(project: Project, slug: str, data: Any, path: Path, name: str) -> MunicipalityFile:
    problems: list[Problem] = []

    def bad(field: str, expected: str, got: Any = None, *, missing: bool = False) -> None:
        if missing:
            problems.append(Problem(name, f"{field}: missing; expected {expected}"))
        else:
            problems.append(Problem(name, f"{field}: expected {expected}, got {shown(got)}"))

    if not isinstance(data, dict):
        raise ProjectError(Problem(name, f"expected a mapping of fields (name:, country:, ...), got {type(data).__name__}"))

    def get(mapping: dict, key: str, where: str, expected: str):
        if key not in mapping or mapping[key] is None:
            bad(where, expected, missing=True)
            return None
        return mapping[key]

    for key in data:
        if key not in KEYS:
            bad(str(key), "one of " + ", ".join(sorted(KEYS)), key)

    def text(mapping, key, where, expected="text"):
        value = get(mapping, key, where, expected)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            bad(where, expected, value)
            return None
        return value.strip() if value is not None else None

    def date(mapping, key, where):
        value = get(mapping, key, where, "a date such as 2027-03-15")
        if value is None:
            return None
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value
        try:
            if not isinstance(value, (str, int)) or isinstance(value, bool):  # not str() of any structure
                raise ValueError(value)
            return dt.date.fromisoformat(str(value))
        except ValueError:
            bad(where, "a date such as 2027-03-15", value)
            return None

    def clock(mapping, key, where):
        value = get(mapping, key, where, 'a clock time such as "09:30"')
        if value is None:
            return None
        if isinstance(value, int) and not isinstance(value, bool):  # YAML 1.1 reads 09:30 as sexagesimal
            value = f"{value // 60:02d}:{value % 60:02d}"
        if not isinstance(value, str) or not re.match(r"^\d{1,2}:\d{2}$", value):
            bad(where, 'a clock time such as "09:30"', value)
            return None
        try:
            h, m = value.split(":")
            return dt.time(int(h), int(m))
        except ValueError:
            bad(where, 'a clock time such as "09:30"', value)
            return None

    def place(mapping, key, where, session_id):
        value = get(mapping, key, where, "date, start, venue and address")
        if value is None:
            return None
        if not isinstance(value, dict):
            bad(where, "a mapping with date, start, venue and address", value)
            return None
        d = date(value, "date", f"{where}.date")
        t = clock(value, "start", f"{where}.start")
        venue = text(value, "venue", f"{where}.venue", "the venue's name")
        address = text(value, "address", f"{where}.address", "the venue's address")
        for k in value:
            if k not in ("date", "start", "venue", "address"):
                bad(f"{where}.{k}", "only date, start, venue, address", k)
        if t is not None and session_id in project.sessions:
            end = dt.datetime.combine(dt.date(2000, 1, 1), t) + dt.timedelta(minutes=project.sessions[session_id].minutes)
            if end.date() != dt.date(2000, 1, 1):
                bad(f"{where}.start", "a start that ends the session before midnight", value.get("start"))
        if None in (d, t, venue, address):
            return None
        return EventPlace(d, t, venue, address)

    muni_name = text(data, "name", "name", "the municipality's name")
    country = get(data, "country", "country", "one of " + ", ".join(COUNTRIES))
    if country is not None and (not isinstance(country, str) or country not in COUNTRIES):
        bad("country", "one of " + ", ".join(COUNTRIES), country)
        country = None
    langs = get(data, "languages", "languages", "a list of the pack's languages")
    if langs is not None:
        if not isinstance(langs, list) or not langs:
            bad("languages", "a list such as [fi]", langs)
            langs = None
        else:
            for i, lang in enumerate(langs):
                if not isinstance(lang, str) or lang not in project.languages:
                    bad(f"languages[{i}]", "one of " + ", ".join(project.languages), lang)
            langs = [l for l in langs if isinstance(l, str) and l in project.languages]
    department = get(data, "department", "department", "one of " + ", ".join(DEPARTMENTS))
    if department is not None and department not in DEPARTMENTS:
        bad("department", "one of " + ", ".join(DEPARTMENTS), department)

    contact = get(data, "contact", "contact", "name, role, email and phone")
    contact_out = None
    if contact is not None:
        if not isinstance(contact, dict):
            bad("contact", "a mapping with name, role, email and phone", contact)
        else:
            cname = text(contact, "name", "contact.name", "the contact person's name")
            role = text(contact, "role", "contact.role", "the contact person's role")
            email = text(contact, "email", "contact.email", "an email address")
            if email is not None and not EMAIL.match(email):
                bad("contact.email", "an email address such as name@municipality.fi", email)
                email = None
            phone = get(contact, "phone", "contact.phone", "a phone number")
            if phone is not None and (not isinstance(phone, str) or not re.match(r"^\+?[\d ()-]{6,20}$", phone)):
                bad("contact.phone", 'a phone number in quotes, such as "+358 9 123 4567"', phone)
                phone = None
            if None not in (cname, role, email, phone):
                contact_out = {"name": cname, "role": role, "email": email, "phone": phone}

    intro = place(data, "introductory_meeting", "introductory_meeting", "introductory-meeting")

    groups_out = []
    groups = get(data, "training_groups", "training_groups", "a list of training groups")
    max_group = project.facts.get("max_group_size", 16)
    if groups is not None:
        if not isinstance(groups, list) or not groups:
            bad("training_groups", "a list of one or more training groups", groups)
        else:
            for i, group in enumerate(groups):
                where = f"training_groups[{i}]"
                if not isinstance(group, dict):
                    bad(where, "a mapping with participants, training_day and in_depth_session", group)
                    continue
                n = get(group, "participants", f"{where}.participants", f"a number of participants, at most {max_group}")
                if n is not None and (not isinstance(n, int) or isinstance(n, bool) or n < 1):
                    bad(f"{where}.participants", f"a whole number from 1 to {max_group}", n)
                    n = None
                elif n is not None and n > max_group:
                    bad(f"{where}.participants", f"at most {max_group} participants in a group", n)
                    n = None
                day = place(group, "training_day", f"{where}.training_day", "training-day")
                deep = place(group, "in_depth_session", f"{where}.in_depth_session", "in-depth-session")
                if day and deep and deep.date <= day.date:
                    bad(f"{where}.in_depth_session.date", f"a date after the training day ({day.date.isoformat()})",
                        deep.date.isoformat())
                    deep = None
                if n and day and deep:
                    groups_out.append(TrainingGroup(n, day, deep))

    meetings_out = []
    meetings = get(data, "intervision_meetings", "intervision_meetings", "a list of intervision meetings")
    if meetings is not None:
        if not isinstance(meetings, list) or not meetings:
            bad("intervision_meetings", "a list of one or more meetings (date, start, venue, address)", meetings)
        else:
            for i, meeting in enumerate(meetings):
                m = place({"meeting": meeting}, "meeting", f"intervision_meetings[{i}]", "intervision-meeting")
                if m:
                    meetings_out.append(m)

    deadline = date(data, "rsvp_deadline", "rsvp_deadline")
    if deadline and intro and deadline >= intro.date:
        bad("rsvp_deadline", f"a date before the introductory meeting ({intro.date.isoformat()})", deadline.isoformat())

    if problems:
        raise ProjectError(problems)
    return MunicipalityFile(slug, muni_name, country, tuple(langs), department, contact_out, intro,
                            tuple(groups_out), tuple(meetings_out), deadline, path)

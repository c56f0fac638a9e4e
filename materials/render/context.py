"""What templates and content know about a document's sessions and its municipality.

A plain build has no municipality: what a pack fills in is said in words in the reader's language
(date to be announced, your municipality's contact person), and clock times start at the
session's sample start, marked as an example.
A pack passes a municipality's data to the very same function instead.
"""

from __future__ import annotations

from dataclasses import dataclass

from materials.render.formatting import Formatter, add_minutes
from materials.sources.catalogs import N_
from materials.sources.municipality import EventPlace, Municipality
from materials.sources.project import Project, Session


# What a plain build says where a pack has a municipality's data. Each reads in every sentence
# and field that shows it (content/*/invitation-*.md, the templates).
PLACEHOLDERS = {
    # Translators: opens a sentence of an invitation, where a pack names the municipality.
    "municipality": N_("Your municipality"),
    # Translators: a session's date and its venue, before a municipality has set them.
    "date": N_("to be announced"),
    "venue": N_("to be announced"),
    # Translators: the contact box of an invitation, where a pack names its contact person.
    "contact_name": N_("Your municipality's contact person"),
    # Translators: completes "Register by …" and "Please register by … with an email"; a pack gives the date.
    "deadline": N_("the date your municipality gives"),
}


@dataclass(frozen=True)
class AgendaSlot:
    id: str
    time_range: str
    duration: str
    minutes: int


@dataclass(frozen=True)
class Event:
    """One session as it takes place: when, where, and its agenda's clock times."""

    session: str
    date: str
    start: str
    end: str
    time_range: str
    length: str
    venue: str
    address: str
    slots: tuple[AgendaSlot, ...]
    sample: bool = False


def event(session: Session, fmt: Formatter, translate, place: EventPlace | None) -> Event:
    start = place.start if place else session.sample_start
    slots, offset = [], 0
    for item in session.items:
        a, b = add_minutes(start, offset), add_minutes(start, offset + item.minutes)
        slots.append(AgendaSlot(item.id, fmt.time_range(a, b), fmt.short_duration(item.minutes), item.minutes))
        offset += item.minutes
    end = add_minutes(start, session.minutes)
    return Event(
        session=session.id,
        date=fmt.date(place.date) if place else translate(PLACEHOLDERS["date"]),
        start=fmt.time(start),
        end=fmt.time(end),
        time_range=fmt.time_range(start, end),
        length=fmt.duration(session.minutes),
        venue=place.venue if place else translate(PLACEHOLDERS["venue"]),
        address=(place.address if place else "") or "",
        slots=tuple(slots),
        sample=place is None,
    )


def document_context(project: Project, session_ids, fmt: Formatter, translate,
                     municipality: Municipality | None = None) -> dict:
    """The variables shared by a document's content and its template."""
    if municipality is None:
        p = {key: translate(text) for key, text in PLACEHOLDERS.items()}
        who = {"name": p["municipality"]}
        contact = {"name": p["contact_name"], "role": "", "email": "", "phone": ""}
        deadline = p["deadline"]
        places: dict = {}
    else:
        who = {"name": municipality.name}
        contact = municipality.contact
        deadline = fmt.date(municipality.rsvp_deadline, "long") if municipality.rsvp_deadline else ""
        places = municipality.places
    events = [event(project.sessions[s], fmt, translate, places.get(s)) for s in session_ids]
    return {
        "organisation": project.organisation,
        "facts": project.facts,
        "sessions": {
            sid: {"minutes": s.minutes, "items": {i.id: i.minutes for i in s.items}}
            for sid, s in project.sessions.items()
        },
        "municipality": who,
        "contact": contact,
        "rsvp_deadline": deadline,
        "events": events,
        "sample": municipality is None,
    }

"""Calendar files (.ics): a pack's files to import (METHOD:PUBLISH) and the invitations that
`invoke send` mails (METHOD:REQUEST, and METHOD:CANCEL for a session that was called off).

Every session keeps one UID; its SEQUENCE and DTSTAMP come from the send ledger (ledger.py), so
the same inputs give the same bytes. The time zone is written from the zone database itself:
the observance in force at the first event and every transition up to the last one.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, Timezone, TimezoneDaylight, TimezoneStandard, vCalAddress, vText

PRODID = "-//Inside Polarisation//Polarisation Framework materials//EN"
UID_DOMAIN = "polarisation-framework.materials"


def stamp_time() -> dt.datetime:
    """The DTSTAMP of a session never sent: fixed (SOURCE_DATE_EPOCH when set), so the same
    inputs give the same bytes."""
    epoch = int(os.environ.get("SOURCE_DATE_EPOCH") or 0) or 946684800  # 2000-01-01 by default
    return dt.datetime.fromtimestamp(epoch, dt.timezone.utc)


@dataclass(frozen=True)
class CalendarEvent:
    """One session as a calendar event, with its version (SEQUENCE, DTSTAMP)."""

    uid: str
    start: dt.datetime  # aware, in the municipality's zone
    end: dt.datetime
    summary: str
    location: str
    description: str
    lang: str
    sequence: int = 0
    stamp: dt.datetime | None = None
    cancelled: bool = False


def calendar(events: list[CalendarEvent], method: str = "PUBLISH", organizer: tuple[str, str] | None = None,
             attendee: str | None = None) -> bytes:
    """A VCALENDAR of `events` (all in one zone). REQUEST and CANCEL (RFC 5546) need the
    organiser, (name, address), and the attendee's address."""
    if method in ("REQUEST", "CANCEL") and not (organizer and attendee):
        raise ValueError(f"METHOD:{method} needs an organiser and an attendee")
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method)
    zone = events[0].start.tzinfo
    cal.add_component(vtimezone(zone.key, min(e.start for e in events), max(e.end for e in events)))
    for e in events:
        event = Event()
        event.add("uid", e.uid)
        event.add("sequence", e.sequence)
        event.add("dtstamp", e.stamp or stamp_time())
        event.add("dtstart", e.start)
        event.add("dtend", e.end)
        event.add("summary", e.summary, parameters={"LANGUAGE": e.lang})
        event.add("location", e.location, parameters={"LANGUAGE": e.lang})
        event.add("description", e.description, parameters={"LANGUAGE": e.lang})
        event.add("status", "CANCELLED" if e.cancelled else "CONFIRMED")
        event.add("transp", "OPAQUE")
        if organizer:
            who = vCalAddress(f"mailto:{organizer[1]}")
            who.params["CN"] = vText(organizer[0])
            event.add("organizer", who)
        if attendee:
            guest = vCalAddress(f"mailto:{attendee}")
            guest.params.update({"ROLE": "REQ-PARTICIPANT", "PARTSTAT": "NEEDS-ACTION", "RSVP": "FALSE"})
            event.add("attendee", guest)
        cal.add_component(event)
    return cal.to_ical()


# -- the time zone, from the zone database ---------------------------------------------------

STEP = dt.timedelta(hours=6)  # no zone changes its offset twice within six hours


def transitions(zone: ZoneInfo, start: dt.datetime, end: dt.datetime) -> list[dt.datetime]:
    """The UTC instants in (start, end] at which the zone's offset or name changes, to the second.
    Each calendar year of a zone is searched once per process (a pack run writes hundreds of
    calendars over the same few years)."""
    utc = dt.timezone.utc
    years = range(start.astimezone(utc).year, end.astimezone(utc).year + 1)
    return [t for y in years for t in _year_transitions(zone.key, y) if start < t <= end]


@lru_cache(maxsize=256)
def _year_transitions(key: str, year: int) -> tuple[dt.datetime, ...]:
    """The changes of zone `key` in (1 January `year`, 1 January `year + 1`] (UTC)."""
    zone = ZoneInfo(key)

    def state(t: dt.datetime) -> tuple:
        local = t.astimezone(zone)
        return (local.utcoffset(), local.tzname())

    start = dt.datetime(year, 1, 1, tzinfo=dt.timezone.utc)
    end = start.replace(year=year + 1)
    found, t = [], start
    while t < end:
        nxt = min(t + STEP, end)
        if state(t) != state(nxt):
            lo, hi = t, nxt  # the change lies in (lo, hi]: halve to the second
            while hi - lo > dt.timedelta(seconds=1):
                mid = lo + (hi - lo) / 2
                lo, hi = (mid, hi) if state(mid) == state(lo) else (lo, mid)
            found.append(hi.replace(microsecond=0))
        t = nxt
    return tuple(found)


def vtimezone(key: str, first: dt.datetime, last: dt.datetime) -> Timezone:
    """VTIMEZONE for the events from `first` to `last`: the observance in force at `first`
    (from the zone's last change before it, looked for up to two years back) and every change
    up to `last`. A zone that never changed in that time has one STANDARD observance."""
    zone = ZoneInfo(key)  # its utcoffset(t) reads t as a wall time: instants go through astimezone
    utc = dt.timezone.utc
    first_utc, last_utc = first.astimezone(utc), last.astimezone(utc)
    earlier = transitions(zone, first_utc - dt.timedelta(days=731), first_utc)
    changes = earlier[-1:] + transitions(zone, first_utc, last_utc)
    tz = Timezone()
    tz.add("tzid", key)
    if not changes:
        local = first_utc.astimezone(zone)
        part = TimezoneStandard()
        part.add("dtstart", dt.datetime(1970, 1, 1))
        part.add("tzoffsetfrom", local.utcoffset())
        part.add("tzoffsetto", local.utcoffset())
        part.add("tzname", local.tzname())
        tz.add_component(part)
        return tz
    for change in changes:
        before, after = (change - dt.timedelta(seconds=1)).astimezone(zone), change.astimezone(zone)
        offset_from, offset_to = before.utcoffset(), after.utcoffset()
        part = TimezoneDaylight() if after.dst() else TimezoneStandard()
        # DTSTART is the local time of the change as the clocks showed it before (RFC 5545).
        part.add("dtstart", (change + offset_from).replace(tzinfo=None))
        part.add("tzoffsetfrom", offset_from)
        part.add("tzoffsetto", offset_to)
        part.add("tzname", after.tzname())
        tz.add_component(part)
    return tz

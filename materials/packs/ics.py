"""Calendar files (.ics) for a pack's sessions, made with the icalendar library."""

from __future__ import annotations

import datetime as dt
import os
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

from materials.sources.municipality import EventPlace

PRODID = "-//Inside Polarisation//Polarisation Framework materials//EN"


def stamp_time() -> dt.datetime:
    """DTSTAMP: fixed (SOURCE_DATE_EPOCH when set), so the same inputs give the same bytes."""
    epoch = int(os.environ.get("SOURCE_DATE_EPOCH") or 0) or 946684800  # 2000-01-01 by default
    return dt.datetime.fromtimestamp(epoch, dt.timezone.utc)


def session_calendar(uid: str, place: EventPlace, minutes: int, timezone: str, lang: str,
                     summary: str, description: str) -> bytes:
    """One VEVENT in the municipality's time zone, with venue and a description in `lang`."""
    tz = ZoneInfo(timezone)
    start = dt.datetime.combine(place.date, place.start, tzinfo=tz)
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp_time())
    event.add("dtstart", start)
    event.add("dtend", start + dt.timedelta(minutes=minutes))
    event.add("summary", summary, parameters={"LANGUAGE": lang})
    event.add("location", f"{place.venue}, {place.address}", parameters={"LANGUAGE": lang})
    event.add("description", description, parameters={"LANGUAGE": lang})
    cal.add_component(event)
    cal.add_missing_timezones(first_date=place.date - dt.timedelta(days=366), last_date=place.date + dt.timedelta(days=366))
    return cal.to_ical()

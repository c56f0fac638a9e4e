"""Locale formatting by Babel: numbers, durations, dates, clock times and time ranges.

Nothing locale-specific is written by hand here; where Babel's CLDR data lacks a long unit
pattern for a locale (Dutch "duration-hour"), the short pattern of the same locale is used.
"""

from __future__ import annotations

import datetime as dt

from babel import Locale
from babel.dates import format_date, format_interval, format_time
from babel.lists import format_list
from babel.numbers import format_decimal
from babel.units import format_unit


class Formatter:
    """Formats values for one locale; its methods are the Jinja filters of templates and content."""

    def __init__(self, locale: str):
        self.locale = Locale.parse(locale)

    def number(self, value) -> str:
        return format_decimal(value, locale=self.locale)

    def _unit(self, value: int, unit: str, length: str) -> str:
        text = format_unit(value, unit, length=length, locale=self.locale)
        if unit in text:  # no pattern of this length in the locale's data
            text = format_unit(value, unit, length="short", locale=self.locale)
        return text

    def duration(self, minutes: int, length: str = "long") -> str:
        """120 -> "2 hours" / "2 tuntia" / "2 uur"; 210 -> "3 hours, 30 minutes"."""
        hours, mins = divmod(int(minutes), 60)
        parts = []
        if hours:
            parts.append(self._unit(hours, "duration-hour", length))
        if mins or not hours:
            parts.append(self._unit(mins, "duration-minute", length))
        return format_list(parts, style="unit" if length == "long" else "unit-short", locale=self.locale)

    def short_duration(self, minutes: int) -> str:
        return self.duration(minutes, "short")

    def date(self, value: dt.date, format: str = "full") -> str:
        # Also a filter of content: a wrong value is a TypeError/ValueError the renderer reports
        # with the file and line (Babel itself would fail with an AssertionError or AttributeError).
        if not isinstance(value, dt.date):
            raise TypeError(f"the date filter needs a date, not {type(value).__name__}")
        if not isinstance(format, str):
            raise TypeError(f"a date format is text such as \"long\", not {type(format).__name__}")
        try:
            return format_date(value, format, locale=self.locale)
        except (AttributeError, KeyError, TypeError) as exc:
            raise ValueError(f"{format!r} is not a date format (full, long, medium or short)") from exc

    def time(self, value: dt.time) -> str:
        if not isinstance(value, (dt.time, dt.datetime)):
            raise TypeError(f"the time filter needs a clock time, not {type(value).__name__}")
        return format_time(value, "short", locale=self.locale)

    def time_range(self, start: dt.time, end: dt.time) -> str:
        return format_interval(start, end, "Hm", locale=self.locale)

    def filters(self) -> dict:
        return {
            "number": self.number,
            "duration": self.duration,
            "short_duration": self.short_duration,
            "date": self.date,
            "time": self.time,
        }


def add_minutes(start: dt.time, minutes: int) -> dt.time:
    """A clock time `minutes` after `start` (sessions never cross midnight)."""
    moment = dt.datetime.combine(dt.date(2000, 1, 1), start) + dt.timedelta(minutes=minutes)
    return moment.time()

"""Locale formatting by Babel: numbers, durations, dates, clock times and time ranges.

Babel's CLDR data says how each locale writes these; where a locale lacks a long unit pattern,
its short one is used. Three things CLDR does not have are written here, each in one place:
durations in words for running text ("three and a half hours": num2words has the whole
numbers, a language's "and a half" is in `SPELLED`), a short duration as one quantity
("1 t 45 min", not CLDR's list "1 t, 45 min") and a country's clock times where CLDR's data
for it differs from the country's usage (`CLOCK`: Flemish "9.00 u").
"""

from __future__ import annotations

import datetime as dt

from babel import Locale
from babel.dates import format_date, format_interval, format_time
from babel.lists import format_list
from babel.numbers import format_decimal
from babel.units import format_unit
from num2words import num2words

# Clock times as a country writes them where CLDR's data for the locale says otherwise: the
# Dutch Language Union's Taaladvies gives Flemish "9.00 u"; CLDR's nl_BE has 09:00 (and nl_NL's
# 09:00 is one of the Netherlands' own ways, so it stays). Locale: (Babel pattern, what follows).
CLOCK = {"nl_BE": ("H.mm", "\u00a0u")}

SPELLED_UP_TO = 12  # whole numbers of hours or days up to this are written in words


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
        if length != "long":
            # One quantity in a table, "1 t 45 min" / "1 uur 45 min" / "1 hr 45 mins": CLDR's
            # short lists put a comma between the parts, which Finnish and Dutch do not write.
            return " ".join(parts)
        return format_list(parts, style="unit", locale=self.locale)

    def short_duration(self, minutes: int) -> str:
        return self.duration(minutes, "short")

    def duration_words(self, value, unit: str = "minutes", form: str = "plain") -> str:
        """A length for running text, whole and half hours or days in words: 210 -> "three and a
        half hours" / "kolme ja puoli tuntia" / "drieënhalf uur"; (1.5, "days") -> "one and a half
        days" / "puolitoista päivää" / "anderhalve dag"; form "attributive", before a noun:
        "one-and-a-half-day" / "puolentoista päivän" / "anderhalvedaagse" (Dutch has it for whole
        days and one and a half only). Other lengths, and languages with no words here (a new
        language's skeleton, still in English), get numerals."""
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(f"duration_words needs a number, not {type(value).__name__}")
        if unit not in ("minutes", "days"):
            raise ValueError(f"duration_words counts minutes or days, not {unit!r}")
        if form not in ("plain", "attributive"):
            raise ValueError(f"duration_words has the forms plain and attributive, not {form!r}")
        name = "hour" if unit == "minutes" else "day"
        halves = value * 2 / 60 if unit == "minutes" else value * 2
        spell = SPELLED.get(self.locale.language)
        if spell and halves == int(halves) and 0 < halves <= 2 * SPELLED_UP_TO:
            whole, half = divmod(int(halves), 2)
            pattern = self.locale._data["unit_patterns"][f"duration-{name}"]["long"]  # as format_unit reads it
            return spell(whole, bool(half), name, form == "attributive",
                         lambda n: pattern[self.locale.plural_form(n)].replace("{0}", "").strip(),
                         lambda n, case=None: num2words(n, lang=self.locale.language, **({"case": case} if case else {})))
        if form == "attributive" and spell:  # a language with words, but not this form of them
            raise ValueError(f"duration_words has no attributive form of {value} {unit} here; "
                             "write the plain form after the noun")
        if unit == "minutes":
            return self.duration(int(value))
        return self._unit(value, "duration-day", "long")

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
        if clock := CLOCK.get(str(self.locale)):
            return format_time(value, clock[0], locale=self.locale) + clock[1]
        return format_time(value, "short", locale=self.locale)

    def time_range(self, start: dt.time, end: dt.time) -> str:
        if clock := CLOCK.get(str(self.locale)):
            pattern, after = clock
            return f"{format_time(start, pattern, locale=self.locale)}–{format_time(end, pattern, locale=self.locale)}{after}"
        return format_interval(start, end, "Hm", locale=self.locale)

    def filters(self) -> dict:
        return {
            "number": self.number,
            "duration": self.duration,
            "short_duration": self.short_duration,
            "duration_words": self.duration_words,
            "date": self.date,
            "time": self.time,
        }


def add_minutes(start: dt.time, minutes: int) -> dt.time:
    """A clock time `minutes` after `start` (sessions never cross midnight)."""
    moment = dt.datetime.combine(dt.date(2000, 1, 1), start) + dt.timedelta(minutes=minutes)
    return moment.time()


# How each language says a length in words: (whole, half, unit ("hour" or "day"), attributive,
# unit(n): the unit's word after n from CLDR ("hours", "tuntia", "uur"), number(n, case): n in
# words from num2words) -> the words.

def _english(whole, half, unit, attributive, word, number):
    if attributive:  # a three-and-a-half-hour meeting, a half-day session
        head = "half" if not whole else number(whole) + ("-and-a-half" if half else "")
        return f"{head}-{word(1)}"
    if not whole:
        return {"hour": "half an hour", "day": "half a day"}[unit]
    return f"{number(whole)} and a half {word(2)}" if half else f"{number(whole)} {word(whole)}"


FINNISH_GENITIVE = {"hour": "tunnin", "day": "päivän"}


def _finnish(whole, half, unit, attributive, word, number):
    if attributive:  # kolmen ja puolen tunnin tapaaminen, puolentoista päivän koulutus
        noun = FINNISH_GENITIVE[unit]
        if half:
            head = {0: "puolen", 1: "puolentoista"}.get(whole) or f"{number(whole, 'genitive')} ja puolen"
            return f"{head} {noun}"
        return f"{number(whole, 'genitive')} {noun}"
    if half:
        head = {0: "puoli", 1: "puolitoista"}.get(whole) or f"{number(whole)} ja puoli"
        return f"{head} {word(2)}"
    return f"{number(whole)} {word(whole)}"


DUTCH_HALF = {"hour": "half", "day": "halve"}  # het uur, de dag


def _dutch(whole, half, unit, attributive, word, number):
    if attributive:  # een tweedaagse, een anderhalvedaagse training; other lengths go after the noun
        if unit == "day" and whole and (not half or whole == 1):
            return ("anderhalve" if half else "een" if whole == 1 else number(whole)) + "daagse"
        raise ValueError("Dutch has this length only after its noun: write \"van\" and the plain form")
    if half:
        if whole == 0:
            return f"een {DUTCH_HALF[unit]} {word(1)}"
        if whole == 1:
            return f"ander{DUTCH_HALF[unit]} {word(1)}"
        n = number(whole)
        return f"{n}{'ën' if n.endswith('e') else 'en'}{DUTCH_HALF[unit]} {word(1)}"  # drieënhalf, vierenhalf
    return f"{number(whole)} {word(whole)}"


SPELLED = {"en": _english, "fi": _finnish, "nl": _dutch}

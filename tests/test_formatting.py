"""Babel formats numbers, durations, dates and times per locale."""

import datetime as dt

import pytest

from materials.render.formatting import Formatter
from materials.render.html import page_label_css


@pytest.mark.parametrize("locale, hours, mixed, number, time_range, date", [
    ("en_GB", "2 hours", "3 hours, 30 minutes", "1.5", "09:00–10:30", "Monday, 15 March 2027"),
    ("fi_FI", "2 tuntia", "3 tuntia ja 30 minuuttia", "1,5", "9.00–10.30", "maanantai 15. maaliskuuta 2027"),
    ("nl_NL", "2 uur", "3 uur en 30 minuten", "1,5", "09:00–10:30", "maandag 15 maart 2027"),
])
def test_locale_formats(locale, hours, mixed, number, time_range, date):
    f = Formatter(locale)
    assert f.duration(120) == hours
    assert f.duration(210) == mixed
    assert f.number(1.5) == number
    assert f.time_range(dt.time(9), dt.time(10, 30)) == time_range
    assert f.date(dt.date(2027, 3, 15)) == date


def test_page_label_becomes_css_counters():
    assert page_label_css("Sivu %(page)s/%(pages)s") == '"Sivu " counter(page) "/" counter(pages)'
    assert page_label_css('Page "%(page)s"') == '"Page \\"" counter(page) "\\""'


@pytest.mark.parametrize("locale, short", [
    ("en_GB", ["15 mins", "1 hr", "1 hr 45 mins"]),
    ("fi_FI", ["15 min", "1 t", "1 t 45 min"]),
    ("nl_NL", ["15 min", "1 uur", "1 uur 45 min"]),
])
def test_a_short_duration_is_one_quantity_without_a_comma(locale, short):
    f = Formatter(locale)
    assert [f.short_duration(m) for m in (15, 60, 105)] == short


@pytest.mark.parametrize("locale, minutes, days, attributive", [
    ("en_GB", ["half an hour", "two hours", "two and a half hours", "three and a half hours", "seven hours"],
     ["half a day", "one and a half days", "two days"], ["one-and-a-half-day", "two-hour"]),
    ("fi_FI", ["puoli tuntia", "kaksi tuntia", "kaksi ja puoli tuntia", "kolme ja puoli tuntia", "seitsemän tuntia"],
     ["puoli päivää", "puolitoista päivää", "kaksi päivää"], ["puolentoista päivän", "kahden tunnin"]),
    ("nl_NL", ["een half uur", "twee uur", "tweeënhalf uur", "drieënhalf uur", "zeven uur"],
     ["een halve dag", "anderhalve dag", "twee dagen"], ["anderhalvedaagse", None]),
])
def test_durations_in_words_for_running_text(locale, minutes, days, attributive):
    f = Formatter(locale)
    assert [f.duration_words(m) for m in (30, 120, 150, 210, 420)] == minutes
    assert [f.duration_words(d, "days") for d in (0.5, 1.5, 2)] == days
    assert f.duration_words(1.5, "days", "attributive") == attributive[0]
    if attributive[1]:
        assert f.duration_words(120, form="attributive") == attributive[1]
    else:  # Dutch says "een bijeenkomst van twee uur"
        with pytest.raises(ValueError):
            f.duration_words(120, form="attributive")
    # What has no words here is said in numerals, as the duration filter says it.
    assert f.duration_words(105) == f.duration(105)


def test_a_language_with_no_words_for_durations_gets_numerals():
    """A new language (i18n.new-language) starts from the English, attributive forms included."""
    f = Formatter("sv_SE")
    assert f.duration_words(210) == f.duration(210)
    assert f.duration_words(1.5, "days", "attributive") == f.duration_words(1.5, "days")
    assert f.duration_words(1.5, "days").startswith("1,5\u00a0") or f.duration_words(1.5, "days").startswith("1,5 ")


def test_flemish_clock_times_follow_the_country():
    assert Formatter("nl_BE").time(dt.time(9)) == "9.00\u00a0u"
    assert Formatter("nl_BE").time_range(dt.time(8, 30), dt.time(10)) == "8.30–10.00\u00a0u"
    assert Formatter("nl_NL").time_range(dt.time(8, 30), dt.time(10)) == "08:30–10:00"

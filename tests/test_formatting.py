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

"""Time for a term (``descent.course.clock``): lateness in elapsed time across a change of the
clocks, dates outside a term's years refused, and a clock time the zone skips or shows twice
refused rather than guessed."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from descent.course import clock

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast

SYDNEY = ZoneInfo("Australia/Sydney")  # clocks jump from 02:00 to 03:00 on 2026-10-04


def test_elapsed_time_across_the_change_to_summer_time_is_an_hour_less_than_the_clocks():
    before = datetime(2026, 10, 4, 1, 0, tzinfo=SYDNEY)
    after = datetime(2026, 10, 4, 4, 0, tzinfo=SYDNEY)
    assert after - before == timedelta(hours=3)  # Python's clock-time subtraction
    assert clock.elapsed(after, before) == timedelta(hours=2)


def test_a_clock_time_the_zone_skips_or_shows_twice_is_refused():
    with pytest.raises(ValueError, match="does not exist in Australia/Sydney"):
        clock.in_zone(datetime(2026, 10, 4, 2, 30), SYDNEY)
    with pytest.raises(
        ValueError, match=r"happens twice in Australia/Sydney .*\(\+1100 or \+1000\)"
    ):
        clock.in_zone(datetime(2026, 4, 5, 2, 30), SYDNEY)
    read = clock.in_zone(datetime(2026, 10, 5, 9, 0), SYDNEY)
    assert read.utcoffset() == timedelta(hours=11)


def test_dates_outside_a_terms_years_are_refused_naming_what_they_are():
    assert clock.sane(datetime(2027, 1, 8)) == datetime(2027, 1, 8)
    for year in (1, 1969, 2200, 9999):
        with pytest.raises(ValueError, match=f"the due date {year:04d}-.* is outside the years"):
            clock.sane(datetime(year, 1, 1), "the due date")
    assert clock.zone_name(SYDNEY) == "Australia/Sydney"

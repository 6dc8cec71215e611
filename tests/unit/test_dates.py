"""engine.jobs.dates: when a job was posted, from whatever the board printed."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.jobs.dates import parse_posted

TODAY = date(2026, 11, 28)

# --- parse_posted -----------------------------------------------------------------------------

POSTED = [
    (None, None),
    (math.nan, None),
    (np.nan, None),
    (pd.NaT, None),
    (pd.NA, None),
    (math.inf, None),
    (date(2026, 11, 1), date(2026, 11, 1)),
    (datetime(2026, 11, 2, 23, 59), date(2026, 11, 2)),
    (pd.Timestamp("2026-11-20"), date(2026, 11, 20)),
    (pd.Timestamp("2026-11-20 10:00", tz="Europe/Berlin"), date(2026, 11, 20)),
    (np.datetime64("2026-11-04"), date(2026, 11, 4)),
    ("2026-11-03", date(2026, 11, 3)),
    ("2026-11-03T10:00:00Z", date(2026, 11, 3)),
    ("2026-11-03 10:00:00", date(2026, 11, 3)),
    ("2026-02-30", None),
    ("Posted 3 days ago", date(2026, 11, 25)),
    ("posted 1 day ago", date(2026, 11, 27)),
    ("Employer active 3 days ago", date(2026, 11, 25)),
    ("Yesterday", date(2026, 11, 27)),
    ("Today", TODAY),
    ("Just posted", TODAY),
    ("just now", TODAY),
    ("30+ days ago", date(2026, 10, 29)),
    ("2 weeks ago", date(2026, 11, 14)),
    ("an hour ago", TODAY),
    ("5 minutes ago", TODAY),
    ("1 month ago", date(2026, 10, 29)),
    ("3d ago", date(2026, 11, 25)),
    ("Nov 20, 2026", date(2026, 11, 20)),
    ("November 20, 2026", date(2026, 11, 20)),
    ("20 Nov 2026", date(2026, 11, 20)),
    # numeric: day-first or month-first when only one reading is a date
    ("25/11/2026", date(2026, 11, 25)),
    ("25.11.2026", date(2026, 11, 25)),
    ("11/25/2026", date(2026, 11, 25)),
    ("05/05/2026", date(2026, 5, 5)),
    # both readings valid: the one not in the future, else ambiguous
    ("03/12/2026", date(2026, 3, 12)),
    ("03/04/2026", None),
    # other languages through dateparser
    ("il y a 3 jours", date(2026, 11, 25)),
    ("vor 2 Tagen", date(2026, 11, 26)),
    ("hace 5 días", date(2026, 11, 23)),
    # never after today; one day ahead is a time zone running ahead
    ("2026-11-29", TODAY),
    ("2026-12-25", None),
    ("Dec 25, 2026", None),
    (date(2027, 1, 1), None),
    # unreadable
    ("", None),
    ("   ", None),
    ("garbage", None),
    ("5", None),
    ("///", None),
    ([1, 2], None),
    (True, None),
    (1764000000, date(2025, 11, 24)),
    (1764000000000, date(2025, 11, 24)),
    ("1850-01-01", None),
]


@pytest.mark.parametrize(("value", "expected"), POSTED)
def test_parse_posted(value: Any, expected: date | None) -> None:
    assert parse_posted(value, TODAY) == expected


posted_values = st.one_of(
    st.none(),
    st.floats(),
    st.integers(),
    st.dates(),
    st.datetimes(),
    st.text(max_size=30),
    st.builds(
        lambda n, unit, plus: f"{n}{'+' if plus else ''} {unit} ago",
        st.integers(min_value=-5, max_value=10**6),
        st.sampled_from(["day", "days", "week", "months", "hours", "year"]),
        st.booleans(),
    ),
    st.builds(
        lambda a, b, y: f"{a}/{b}/{y}",
        st.integers(0, 40),
        st.integers(0, 40),
        st.integers(0, 3000),
    ),
    st.sampled_from([pd.NaT, np.nan, "Today", "Yesterday", "tomorrow", "in 3 days", "next week"]),
)


@settings(max_examples=300, deadline=None)
@given(value=posted_values, today=st.dates(min_value=date(1995, 1, 1)))
def test_parse_posted_never_after_today(value: Any, today: date) -> None:
    found = parse_posted(value, today)
    assert found is None or (isinstance(found, date) and found <= today)


def test_parse_posted_today_argument_is_respected() -> None:
    assert parse_posted("Yesterday", date(2020, 1, 1)) == date(2019, 12, 31)
    assert parse_posted("3 days ago", TODAY + timedelta(days=10)) == date(2026, 12, 5)

"""When a job was posted, from whatever the board printed: dates, timestamps, "3 days ago",
"Posted yesterday", "25/11/2026", and (through dateparser) dates in the boards' languages."""

from __future__ import annotations

import contextlib
import functools
import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from engine.jobs.fields import is_missing
from engine.text import pg_text

_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ].*)?$")
_NUMERIC_DATE = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})$")
_AGO = re.compile(
    r"^(?:posted|active|employer active|reposted|updated)?\s*"
    r"(\d+|an?|one)\+?\s*(second|sec|minute|min|hour|hr|h|day|d|week|wk|w|month|mo|year|yr|y)s?"
    r"\.?\s*ago$"
)
_UNIT_DAYS = {
    "second": 0,
    "sec": 0,
    "minute": 0,
    "min": 0,
    "hour": 0,
    "hr": 0,
    "h": 0,
    "d": 1,
    "w": 7,
    "y": 365,
    "day": 1,
    "week": 7,
    "wk": 7,
    "month": 30,
    "mo": 30,
    "year": 365,
    "yr": 365,
}
_TODAY_WORDS = {
    "today",
    "just posted",
    "just now",
    "posted today",
    "new",
    "active today",
    "posted just now",
    "few hours ago",
    "a few hours ago",
    "hours ago",
}
_YESTERDAY_WORDS = {"yesterday", "posted yesterday"}
_EARLIEST = date(1990, 1, 1)


def parse_posted(value: Any, today: date) -> date | None:
    """When a job was posted, from whatever the board gave; None if unreadable.

    Never after ``today``: a date one day ahead is the board's time zone running ahead of ours and
    reads as today; anything later is wrong and reads as None. Numeric dates are day-first when
    that is the only valid reading ("25/11/2026"), month-first likewise ("11/25/2026"); when both
    readings are valid ("03/04/2026") the one not in the future wins, and if both are past the
    date is ambiguous and reads as None.
    """
    if is_missing(value):
        return None
    if isinstance(value, datetime):  # also pandas.Timestamp
        found: date | None = value.date()
    elif isinstance(value, date):
        found = value
    elif isinstance(value, str):
        found = _parse_posted_text(value.strip().lower(), today)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        found = _epoch(float(value))
    else:
        found = _parse_posted_text(str(value).strip().lower(), today)
    if found is None or found < _EARLIEST:
        return None
    if found > today:
        return today if found - today <= timedelta(days=1) else None
    return found


def _epoch(seconds: float) -> date | None:
    if seconds > 1e11:  # milliseconds, as Indeed's dateOnIndeed
        seconds /= 1000
    try:
        return datetime.fromtimestamp(seconds, tz=UTC).date() if seconds > 0 else None
    except (OverflowError, OSError, ValueError):
        return None


def _parse_posted_text(text: str, today: date) -> date | None:
    if not text:
        return None
    match = _ISO_DATE.match(text)
    if match:
        try:
            return date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            return None
    text = pg_text(text)
    if text in _TODAY_WORDS:
        return today
    if text in _YESTERDAY_WORDS:
        return today - timedelta(days=1)
    match = _AGO.match(text)
    if match:
        count = 1 if match[1] in ("a", "an", "one") else int(match[1])
        return _days_before(today, count * _UNIT_DAYS[match[2]])
    match = _NUMERIC_DATE.match(text)
    if match:
        return _numeric_date(int(match[1]), int(match[2]), int(match[3]), today)
    if text.isdigit() or not any(ch.isalpha() for ch in text):
        return None
    return _fuzzy_date(text, today)


def _days_before(today: date, days: int) -> date | None:
    try:
        return today - timedelta(days=days)
    except OverflowError:
        return None


def _numeric_date(first: int, second: int, year: int, today: date) -> date | None:
    if year < 100:
        year += 2000
    readings = []
    for day, month in ((first, second), (second, first)):
        with contextlib.suppress(ValueError):
            readings.append(date(year, month, day))
    unique = sorted(set(readings))
    if len(unique) == 1:
        return unique[0]
    past = [d for d in unique if d <= today]
    return past[0] if len(past) == 1 else None


_DATE_LANGUAGES = ["en", "fr", "de", "es", "it", "pt", "nl"]


@functools.lru_cache(maxsize=4096)
def _fuzzy_date(text: str, today: date) -> date | None:
    import dateparser  # slow to import; only rows with unusual dates need it

    try:
        parsed = dateparser.parse(
            text,
            # Detecting among all of dateparser's 200 locales costs ~20 ms a string; these are the
            # languages jobspy's boards write dates in, at ~1 ms.
            languages=_DATE_LANGUAGES,
            settings={
                # Noon, so "an hour ago" stays today.
                "RELATIVE_BASE": datetime.combine(today, time(12, 0)),
                "PREFER_DATES_FROM": "past",
                "RETURN_AS_TIMEZONE_AWARE": False,
            },
        )
    except Exception:  # dateparser raises assorted errors on odd input; unreadable is the answer
        return None
    return parsed.date() if parsed is not None else None

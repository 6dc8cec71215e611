"""Active hours of a node: when it may scrape, as a window of wall-clock time in a time zone.

A node's spec may give one of two kinds of window (never both), read in ``timezone`` (an IANA
name such as ``Europe/Berlin``; UTC when none is given):

* ``schedule``: a five-field cron expression (minute hour day-of-month month day-of-week, as
  croniter reads it). The node is active during every whole minute the expression matches, in
  local time: ``* 8-20 * * 1-5`` is 08:00 to 20:59 Monday to Friday, ``*/30 * * * *`` would be
  the two minutes :00 and :30 of every hour. Cron only says which minutes; a field other than
  minute or hour narrows the days. Note that ``0 8-20 * * *`` is thirteen one-minute windows,
  not a day: use ``*`` in the minute field for whole hours.
* ``active``: ``HH:MM-HH:MM``, every day from the first time (included) to the second
  (excluded); a range whose end is earlier than its start crosses midnight (``22:00-06:00``).

Daylight saving time follows the wall clock. On the night clocks go forward, minutes that do not
exist are in no window: a cron minute in the gap does not happen that night, and a daily range
that starts in the gap (02:30 in Berlin) opens when the clock jumps (03:00 local, which is inside
the range). On the night clocks go back, a minute that happens twice is in the window both times.

Pure functions of a spec's strings and an aware ``datetime`` (the supervisor passes the
database's clock); parsed windows are cached, since the supervisor asks every tick.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_HHMM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


class ScheduleError(ValueError):
    """A schedule, active range or time zone that cannot be used (the message says why)."""


def parse_timezone(name: str | None) -> tzinfo:
    """The zone of that IANA name (UTC for None or empty); ScheduleError if unknown."""
    if not name:
        return UTC
    if name.upper() == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleError(
            f"unknown time zone {name[:60]!r}; use an IANA name such as Europe/Berlin or UTC"
        ) from None


def check_cron(expression: str) -> str:
    """The expression normalised (single spaces); ScheduleError when it is no usable window."""
    from croniter import CroniterBadDateError, croniter

    fields = expression.split()
    if len(fields) != 5:
        raise ScheduleError(
            "a schedule is five cron fields: minute hour day-of-month month day-of-week, "
            "for instance '* 8-20 * * 1-5' (08:00 to 20:59, Monday to Friday)"
        )
    text = " ".join(fields)
    if not croniter.is_valid(text):
        raise ScheduleError(f"{text!r} is not a valid cron expression")
    try:
        croniter(text, datetime(2000, 1, 1, tzinfo=UTC)).get_next(datetime)
    except CroniterBadDateError:
        raise ScheduleError(f"{text!r} never matches (no such date)") from None
    return text


def parse_active(text: str) -> tuple[time, time]:
    """``HH:MM-HH:MM`` as (start, end); ScheduleError if malformed or empty."""
    start_text, sep, end_text = text.replace(" ", "").partition("-")
    start, end = _HHMM.match(start_text), _HHMM.match(end_text)
    if not sep or start is None or end is None:
        raise ScheduleError(
            f"active hours must look like HH:MM-HH:MM (for instance 08:00-20:00), not {text[:40]!r}"
        )
    begin = time(int(start.group(1)), int(start.group(2)))
    finish = time(int(end.group(1)), int(end.group(2)))
    if begin == finish:
        raise ScheduleError(
            "active hours start and end at the same time; leave them out to run all day"
        )
    return begin, finish


@dataclass(frozen=True)
class Window:
    """When a node may run: a cron expression or a daily range, in a time zone."""

    tz: tzinfo
    cron: str | None = None
    daily: tuple[time, time] | None = None

    def is_active(self, now: datetime) -> bool:
        local = now.astimezone(self.tz)
        if self.cron is not None:
            from croniter import croniter

            wall = local.replace(tzinfo=None, second=0, microsecond=0)
            return bool(croniter.match(self.cron, wall))
        assert self.daily is not None
        start, end = self.daily
        clock = local.time().replace(tzinfo=None)
        if start < end:
            return start <= clock < end
        return clock >= start or clock < end

    def next_start(self, now: datetime) -> datetime:
        """The first moment at or after ``now`` when the window is open (``now`` if it is)."""
        if self.is_active(now):
            return now
        local = now.astimezone(self.tz)
        if self.cron is not None:
            from croniter import croniter

            # croniter walks wall times (naive): a zone-aware walk misreads DST changes.
            matches = croniter(self.cron, local.replace(tzinfo=None, second=0, microsecond=0))
            for _ in range(1000):
                wall: datetime = matches.get_next(datetime)
                for fold in (0, 1):  # a repeated hour happens twice
                    aware = wall.replace(tzinfo=self.tz, fold=fold).astimezone(UTC)
                    if aware.astimezone(self.tz).replace(tzinfo=None) != wall:
                        continue  # in a DST gap: that minute does not happen
                    if aware > now:
                        return aware
            raise ScheduleError(f"{self.cron!r} does not match again")  # pragma: no cover
        assert self.daily is not None
        start = self.daily[0]
        for days in range(3):
            day = local.date() + timedelta(days=days)
            opens = datetime.combine(day, start, tzinfo=self.tz).astimezone(UTC)
            if opens.astimezone(self.tz).time() != start:
                # The start is in a DST gap that day: the window opens at the jump, the first
                # minute after the wall time before the gap (fold=1 reads it with the old offset).
                opens = _first_active_minute(
                    self,
                    datetime.combine(day, start, tzinfo=self.tz).replace(fold=1).astimezone(UTC),
                )
            if opens > now:
                return opens
        raise AssertionError("a daily window opens within two days")  # pragma: no cover

    def local(self, moment: datetime) -> str:
        """``moment`` as people read it in the window's zone: ``2026-03-30 08:00 CEST``."""
        return moment.astimezone(self.tz).strftime("%Y-%m-%d %H:%M %Z")

    def describe(self) -> str:
        zone = str(getattr(self.tz, "key", None) or "UTC")
        if self.cron is not None:
            return f"cron '{self.cron}' ({zone})"
        assert self.daily is not None
        start, end = self.daily
        return f"{start:%H:%M}-{end:%H:%M} ({zone})"


def _first_active_minute(window: Window, since: datetime) -> datetime:
    moment = since.replace(second=0, microsecond=0)
    for _ in range(24 * 60):
        if window.is_active(moment):
            return moment
        moment += timedelta(minutes=1)
    return since  # pragma: no cover (a gap is at most hours long)


@lru_cache(maxsize=1024)
def make_window(cron: str | None, active: str | None, timezone: str | None) -> Window | None:
    """The window of these spec values (None: always active); ScheduleError if invalid."""
    if cron and active:
        raise ScheduleError("give a cron schedule or active hours, not both")
    tz = parse_timezone(timezone)
    if cron:
        return Window(tz, cron=check_cron(cron))
    if active:
        return Window(tz, daily=parse_active(active))
    return None


def window_of(spec: dict[str, Any]) -> Window | None:
    """The window of a stored spec (None: always active). A stored window that no longer parses
    (a spec written by hand into the table) counts as none: the node runs rather than the
    supervisor failing on it."""
    try:
        return make_window(spec.get("schedule"), spec.get("active"), spec.get("timezone"))
    except (ScheduleError, TypeError):
        return None


@dataclass(frozen=True)
class WindowState:
    """A node's window at one moment, as the supervisor's plan reads it."""

    in_window: bool = True
    window_opens_at: datetime | None = None  # when it opens next (None: it is open)


def window_state(spec: dict[str, Any], now: datetime | None) -> WindowState:
    window = window_of(spec)
    if window is None or now is None:
        return WindowState()
    if window.is_active(now):
        return WindowState()
    return WindowState(in_window=False, window_opens_at=window.next_start(now))

"""New postings per day, split by site and by country: the numbers behind ``jobs stats``'s
chart and the TUI jobs screen's stats panel. Days are UTC dates of first sight, oldest first,
with every day of the window present (zeros included) so charts need no gap filling."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from engine.db.connections import ConnectionSource
from engine.db.queries import q

DEFAULT_DAYS = 30
MAX_DAYS = 366
# A chart keeps this many series (the largest); the rest are summed as OTHER.
TOP = 6
OTHER = "other"


@dataclass(frozen=True)
class DailySeries:
    """Counts per day for each key (a site or a country), oldest day first."""

    days: list[date]
    series: dict[str, list[int]]

    def totals(self) -> list[int]:
        return [sum(column) for column in zip(*self.series.values(), strict=True)] or [
            0 for _ in self.days
        ]

    def top(self, keep: int = TOP) -> DailySeries:
        """The ``keep`` largest series, the others summed into one named ``other``."""
        ranked = sorted(self.series, key=lambda k: (-sum(self.series[k]), k))
        if len(ranked) <= keep:
            return DailySeries(self.days, {k: self.series[k] for k in ranked})
        kept = {k: self.series[k] for k in ranked[: keep - 1]}
        rest = [self.series[k] for k in ranked[keep - 1 :]]
        kept[OTHER] = [sum(column) for column in zip(*rest, strict=True)]
        return DailySeries(self.days, kept)

    def as_json(self) -> dict[str, dict[str, int]]:
        """{day: {key: count}} for the days and keys with postings."""
        out: dict[str, dict[str, int]] = {}
        for i, day in enumerate(self.days):
            counts = {k: v[i] for k, v in self.series.items() if v[i]}
            if counts:
                out[day.isoformat()] = counts
        return out


@dataclass(frozen=True)
class DailyStats:
    by_site: DailySeries
    by_country: DailySeries

    def as_json(self) -> dict[str, Any]:
        return {
            "days": len(self.by_site.days),
            "first_day": self.by_site.days[0].isoformat() if self.by_site.days else None,
            "per_day_by_site": self.by_site.as_json(),
            "per_day_by_country": self.by_country.as_json(),
        }


def _series(rows: list[Any], days: list[date]) -> DailySeries:
    index = {day: i for i, day in enumerate(days)}
    series: dict[str, list[int]] = {}
    for row in rows:
        i = index.get(row["day"])
        if i is None:
            continue
        key = str(row["key"]) or "?"
        series.setdefault(key, [0] * len(days))[i] += int(row["n"])
    return DailySeries(days, series)


def postings_per_day(
    db: ConnectionSource, days: int = DEFAULT_DAYS, *, now: datetime | None = None
) -> DailyStats:
    """New postings on each of the last ``days`` UTC days (today included), by site and by
    country (``?`` for postings without one)."""
    days = max(1, min(days, MAX_DAYS))
    params = {"days": days, "now": now}
    with db.connection() as conn:
        today_row = conn.execute(q("job_stats_today_utc"), params).fetchone()
        assert today_row is not None
        sites = conn.execute(q("job_stats_per_day_site"), params).fetchall()
        countries = conn.execute(q("job_stats_per_day_country"), params).fetchall()
    today: date = today_row["today"]
    window = [today - timedelta(days=days - 1 - i) for i in range(days)]
    return DailyStats(_series(sites, window), _series(countries, window))

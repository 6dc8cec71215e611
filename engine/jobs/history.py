"""A node's history over time, from ``scrape_runs`` and ``node_rss_samples`` (sql/0018): what
the TUI's node screen charts (new postings, outcomes per site, scrape durations, memory), its
recent scrapes and failures, and the dashboard cards' sparklines.

Imports only engine.db, like :mod:`engine.jobs.runs`. Every function takes ``now`` (None for
the database clock): tests pass a fixed time and get the same buckets on every run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from engine.db.connections import ConnectionSource
from engine.db.queries import q

OUTCOMES = ("ok", "blocked", "timeout", "error")


@dataclass(frozen=True)
class Window:
    """A span of time cut into equal buckets; the charts' x axis."""

    label: str  # "24h", "7d"
    hours: int  # the span
    bucket_s: int  # one bar of the postings and durations charts
    rss_bucket_s: int  # one point of the memory chart (samples are five minutes apart)


WINDOWS: dict[str, Window] = {
    "24h": Window("24h", 24, 3600, 300),
    "7d": Window("7d", 168, 6 * 3600, 3600),
}


@dataclass
class NodeHistory:
    """One node over one window. Lists are per bucket, oldest first (``buckets`` long)."""

    window: Window
    start_at: datetime
    end_at: datetime
    new: list[int]
    found: list[int]
    scrapes: list[int]
    # Mean and longest scrape per bucket, in seconds; None where no scrape started.
    avg_s: list[float | None]
    max_s: list[float | None]
    # site → outcome → scrapes in the window.
    outcomes: dict[str, dict[str, int]]
    # The largest RSS sample per memory bucket (``rss_buckets`` long); None where none.
    rss: list[int | None]
    recent_runs: list[dict[str, Any]] = field(default_factory=list)
    recent_errors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def buckets(self) -> int:
        return len(self.new)

    def bucket_start(self, index: int, bucket_s: int | None = None) -> datetime:
        return self.start_at + timedelta(seconds=index * (bucket_s or self.window.bucket_s))

    @property
    def total_new(self) -> int:
        return sum(self.new)

    @property
    def total_scrapes(self) -> int:
        return sum(self.scrapes)


def node_history(
    db: ConnectionSource,
    node_id: int,
    window: str = "24h",
    *,
    now: datetime | None = None,
    recent: int = 8,
) -> NodeHistory:
    """The node's scrapes and memory over ``window`` ("24h" or "7d"), plus its ``recent`` last
    scrapes and failed scrapes (whenever they were)."""
    win = WINDOWS[window]
    buckets = win.hours * 3600 // win.bucket_s
    rss_buckets = win.hours * 3600 // win.rss_bucket_s
    with db.connection() as conn:
        row = conn.execute(q("history_window"), {"now": now, "bucket_s": win.bucket_s}).fetchone()
        assert row is not None
        end_at: datetime = row["end_at"]
        start_at = end_at - timedelta(hours=win.hours)
        span = {"node_id": node_id, "start_at": start_at, "end_at": end_at}
        per_bucket = conn.execute(
            q("history_runs_per_bucket"), {**span, "bucket_s": win.bucket_s}
        ).fetchall()
        outcome_rows = conn.execute(q("history_outcomes_by_site"), span).fetchall()
        rss_rows = conn.execute(
            q("history_rss_per_bucket"), {**span, "bucket_s": win.rss_bucket_s}
        ).fetchall()
        limit = {"node_id": node_id, "limit": recent}
        recent_runs = [dict(r) for r in conn.execute(q("history_recent_runs"), limit)]
        recent_errors = [dict(r) for r in conn.execute(q("history_recent_errors"), limit)]

    history = NodeHistory(
        window=win,
        start_at=start_at,
        end_at=end_at,
        new=[0] * buckets,
        found=[0] * buckets,
        scrapes=[0] * buckets,
        avg_s=[None] * buckets,
        max_s=[None] * buckets,
        outcomes={},
        rss=[None] * rss_buckets,
        recent_runs=recent_runs,
        recent_errors=recent_errors,
    )
    for r in per_bucket:
        i = int(r["bucket"])
        if 0 <= i < buckets:
            history.new[i] = int(r["new"] or 0)
            history.found[i] = int(r["found"] or 0)
            history.scrapes[i] = int(r["scrapes"] or 0)
            history.avg_s[i] = r["avg_s"]
            history.max_s[i] = r["max_s"]
    for r in outcome_rows:
        history.outcomes.setdefault(str(r["site"]), {})[str(r["outcome"])] = int(r["n"])
    for r in rss_rows:
        i = int(r["bucket"])
        if 0 <= i < rss_buckets:
            history.rss[i] = int(r["rss_bytes"])
    return history


@dataclass(frozen=True)
class Sparkline:
    """New postings per bucket, newest last; ``step_s`` is one bucket (60 s to an hour)."""

    values: list[int]
    step_s: int = 3600


def sparklines(
    db: ConnectionSource,
    node_ids: list[int],
    buckets: int = 24,
    *,
    now: datetime | None = None,
) -> dict[int, Sparkline]:
    """Each node's new postings in ``buckets`` buckets, newest last. The bucket grows with the
    node's scrapes of the last day (1, 5, 15 or 60 minutes): a node that started ten minutes
    ago shows ten one-minute bars, not one hourly bar. Nodes without scrapes get zeros."""
    result = {node_id: Sparkline([0] * buckets) for node_id in node_ids}
    if not node_ids:
        return result
    params = {"node_ids": node_ids, "buckets": buckets, "now": now}
    with db.connection() as conn:
        rows = conn.execute(q("history_sparklines"), params).fetchall()
    for row in rows:
        node_id, ago = int(row["node_id"]), int(row["buckets_ago"])
        if node_id not in result or not 0 <= ago < buckets:
            continue
        spark = result[node_id]
        if spark.step_s != int(row["step_s"]):
            spark = result[node_id] = Sparkline([0] * buckets, int(row["step_s"]))
        spark.values[buckets - 1 - ago] += int(row["new"] or 0)
    return result

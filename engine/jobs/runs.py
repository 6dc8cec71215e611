"""The history of scrapes (``scrape_runs``, written by :mod:`engine.jobs.ingest`): reading it
newest first, and its retention. Imports only engine.db: the supervisor prunes with it without
loading the rest of engine.jobs (engine.geo and pycountry)."""

from __future__ import annotations

from typing import Any

from engine.db.connections import ConnectionSource
from engine.db.queries import q

OUTCOMES = ("ok", "blocked", "timeout", "error")
# The most rows one listing returns (the CLI's --limit is bounded by the same number).
MAX_RUNS = 10_000


def list_runs(
    db: ConnectionSource,
    *,
    since_s: float,
    node_id: int | None = None,
    site: str | None = None,
    outcome: str | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """Scrapes started in the last ``since_s`` seconds, newest first, with the node's name
    (None once the node is removed) and the scrape's duration in ``seconds``."""
    if outcome is not None and outcome not in OUTCOMES:
        raise ValueError(f"unknown outcome {outcome!r}")
    params = {
        "since_s": float(since_s),
        "node_id": node_id,
        "site": site,
        "outcome": outcome,
        "limit": max(1, min(limit, MAX_RUNS)),
    }
    with db.connection() as conn:
        return list(conn.execute(q("list_scrape_runs"), params).fetchall())


def prune_runs(db: ConnectionSource, *, keep_days: float) -> int:
    """Retention: delete the scrapes that started more than ``keep_days`` ago (index on
    started_at, sql/0012), and the RSS samples as old (sql/0018). Node health reads only the
    last few scrapes per site, so old rows are history only. Returns the scrapes deleted."""
    with db.connection() as conn:
        cur = conn.execute(q("prune_scrape_runs_by_age"), {"keep_days": keep_days})
        conn.execute(q("prune_rss_samples_by_age"), {"keep_days": keep_days})
        return max(cur.rowcount, 0)

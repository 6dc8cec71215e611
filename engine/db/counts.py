"""How many rows the main tables hold, cheaply enough for a status command."""

from __future__ import annotations

from psycopg import sql

from engine.db.connections import ConnectionSource

TABLES = ("hosts", "nodes", "node_logs", "scrape_runs", "alerts", "jobs", "job_sightings")
# Beyond this many rows (the planner's estimate) the estimate is given: an exact count of a
# large table reads all of it.
EXACT_UP_TO = 100_000


def row_counts(db: ConnectionSource, tables: tuple[str, ...] = TABLES) -> dict[str, int]:
    """Exact counts for small tables, the planner's estimate beyond EXACT_UP_TO rows (instant);
    tables that do not exist (yet) are left out."""
    counts: dict[str, int] = {}
    with db.connection() as conn:
        for table in tables:
            est = conn.execute(
                "SELECT reltuples::bigint AS n FROM pg_class WHERE oid = to_regclass(%s)", (table,)
            ).fetchone()
            if est is None or est["n"] is None:
                continue
            if est["n"] > EXACT_UP_TO:
                counts[table] = int(est["n"])
                continue
            row = conn.execute(
                sql.SQL("SELECT count(*) AS n FROM {}").format(sql.Identifier(table))
            ).fetchone()
            counts[table] = int(row["n"]) if row else 0
    return counts

"""The history reads of the TUI: the cards' sparklines (every 30 s, for every node) and the node
screen's charts, on a week of scrapes.

The adaptive sparklines (a bucket per node: 1, 5, 15 or 60 minutes) are compared with the plain
hourly ones they replaced (engine.fleet.nodes.jobs_per_hour), measured in the same run on the
same data. Run: .venv/bin/python bench/bench_history.py [--nodes 200] [--every-min 2] [--days 7]
(on $JOBFLEET_DATABASE_URL's server in a fresh database, else a throwaway embedded server).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench._common import bench_database, server_version
from engine.db.handle import Database
from engine.fleet import nodes
from engine.jobs.history import node_history, sparklines
from engine.settings import Settings


def seed(db: Database, count: int, every_min: int, days: int) -> int:
    scrapes = days * 24 * 60 // every_min
    with db.connection() as conn:
        conn.execute(
            "INSERT INTO nodes (name, spec) SELECT 'n' || g, '{}'::jsonb"
            " FROM generate_series(1, %s) g",
            (count,),
        )
        conn.execute(
            "INSERT INTO scrape_runs (node_id, site, started_at, finished_at, found, new, outcome)"
            " SELECT n.id, 'indeed', now() - make_interval(mins => m * %s),"
            " now() - make_interval(mins => m * %s) + interval '20 s', 10, m %% 5, 'ok'"
            " FROM nodes n, generate_series(0, %s) m",
            (every_min, every_min, scrapes),
        )
        conn.execute(
            "INSERT INTO node_rss_samples (node_id, sampled_at, rss_bytes)"
            " SELECT n.id, now() - make_interval(mins => m * 5), 100000000"
            " FROM nodes n, generate_series(0, %s) m",
            (days * 288,),
        )
        conn.execute("ANALYZE")
        row = conn.execute("SELECT count(*) AS n FROM scrape_runs").fetchone()
    return int(row["n"]) if row else 0


def timed_ms(fn: Callable[[], Any], repeat: int) -> float:
    fn()  # warm the cache and the plan
    started = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - started) / repeat * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="use this database (nodes and runs are added)")
    parser.add_argument("--nodes", type=int, default=200)
    parser.add_argument("--every-min", type=int, default=2, help="minutes between scrapes")
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with bench_database(args.database_url) as (url, where):
        settings = Settings(database_url=url, home=Path(tempfile.gettempdir()))
        with Database(settings) as db:
            rows = seed(db, args.nodes, args.every_min, args.days)
            ids = [int(n.id) for n in nodes.list_nodes(db)]
            hourly = timed_ms(lambda: nodes.jobs_per_hour(db, ids), args.repeat)
            adaptive = timed_ms(lambda: sparklines(db, ids), args.repeat)
            day = timed_ms(lambda: node_history(db, ids[0], "24h"), args.repeat)
            week = timed_ms(lambda: node_history(db, ids[0], "7d"), args.repeat)
        print(f"{where}, PostgreSQL {server_version(url)}")
        print(
            f"{rows:,} scrape_runs: {args.nodes} nodes, a scrape every {args.every_min} min "
            f"for {args.days} days"
        )
        print(
            f"card sparklines, {len(ids)} nodes: hourly {hourly:.1f} ms, adaptive "
            f"{adaptive:.1f} ms (ratio {adaptive / hourly:.2f})"
        )
        print(f"node screen history of one node: 24 h {day:.1f} ms, 7 d {week:.1f} ms")


if __name__ == "__main__":
    main()

"""What alerts cost a supervisor: one alert check and one idle sender round with N nodes (default
100, two sites each, 30 scrapes per site in scrape_runs), against the supervisor's own per-tick
read of its nodes (``supervisor_nodes``), measured in the same run on the same database.

The check runs every JOBFLEET_ALERT_INTERVAL seconds (10) and the sender round as often; the
supervisor reads its nodes every tick (1 s). Prints wall and client CPU per call, the share of one
core at the default intervals (wall time, client and server together: an upper bound), and the
ratios.

    .venv/bin/python bench/bench_alerts.py              # 100 nodes
    .venv/bin/python bench/bench_alerts.py --nodes 20   # quick
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from pydantic import SecretStr

from bench._common import bench_database
from engine.db.connections import SharedConnection
from engine.db.handle import Database
from engine.db.queries import q
from engine.fleet import nodes
from engine.fleet.events import EventWriter
from engine.fleet.spec import parse_spec
from engine.settings import Settings
from engine.supervisor.alerts.monitor import AlertMonitor
from tests.alert_receiver import Receiver


def timed(fn: Callable[[], object], rounds: int) -> tuple[float, float]:
    """Median wall seconds and median client CPU seconds of ``fn``."""
    walls, cpus = [], []
    for _ in range(rounds):
        w, c = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    return statistics.median(walls), statistics.median(cpus)


def load(db: Database, count: int) -> None:
    for i in range(count):
        spec = {
            "name": f"bench-{i}",
            "search_term": "python",
            "country": "DE",
            "locations": ["Berlin", "Hamburg"],
            "sites": ["linkedin", "indeed"],
        }
        nodes.deploy(db, parse_spec(spec))
    with db.connection() as conn:
        conn.execute("UPDATE nodes SET desired = 'running', status = 'running', cycle = 3")
        conn.execute(
            "INSERT INTO scrape_runs (node_id, site, started_at, outcome, found, new) "
            "SELECT n.id, s.site, now() - make_interval(mins => g), "
            "CASE WHEN g % 7 = 0 THEN 'blocked' ELSE 'ok' END, 10, g % 3 "
            "FROM nodes n, unnest(ARRAY['linkedin', 'indeed']) AS s(site), "
            "generate_series(1, 30) AS g"
        )
        conn.execute("ANALYZE")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with bench_database(args.database_url) as (url, where), Receiver() as receiver:
        settings = Settings(
            database_url=url,
            home=Path(tempfile.mkdtemp(prefix="jf-bench-alerts-")),
            alert_urls=SecretStr(receiver.url()),
        )
        with Database(settings) as db:
            load(db, args.nodes)
            conn = SharedConnection(db)
            events = EventWriter(conn)
            monitor = AlertMonitor(settings, db, conn, events)
            assert monitor.sender is not None
            sender = monitor.sender
            monitor.check()  # first pass: progress rows, the destination
            sender.send_pending()

            def tick_read() -> None:
                with conn.connection() as c:
                    c.execute(
                        q("supervisor_nodes"),
                        {"host_id": 1, "host_stale_after": 30.0, "claims_others": True},
                    ).fetchall()

            read_wall, read_cpu = timed(tick_read, args.rounds)
            check_wall, check_cpu = timed(monitor.check, args.rounds)
            send_wall, send_cpu = timed(sender.send_pending, args.rounds)
            events.close()
            conn.close()

    interval = settings.alert_interval
    alerts_share = (check_wall + send_wall) / interval
    tick_share = read_wall / 1.0
    print(f"alerts with {args.nodes} nodes on {where}; medians of {args.rounds} calls")
    print(
        f"  supervisor's node read (each 1 s tick): {read_wall * 1e3:7.2f} ms wall, "
        f"{read_cpu * 1e3:6.2f} ms client CPU"
    )
    print(
        f"  alert check (each {interval:g} s):         {check_wall * 1e3:7.2f} ms wall, "
        f"{check_cpu * 1e3:6.2f} ms client CPU  ({check_wall / read_wall:.1f}x the node read)"
    )
    print(
        f"  idle sender round (each {interval:g} s):   {send_wall * 1e3:7.2f} ms wall, "
        f"{send_cpu * 1e3:6.2f} ms client CPU"
    )
    print(
        f"  share of one core at the default intervals: alerts {alerts_share * 100:.3f} % "
        f"(wall, client + server), the tick's node read {tick_share * 100:.3f} %; "
        f"alerts/tick-read ratio {alerts_share / tick_share:.2f}"
    )


if __name__ == "__main__":
    main()

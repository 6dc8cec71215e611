"""A database outage while nodes run: nobody is killed for heartbeats they could not write,
nothing scraped is lost, and everything resumes. The database 'goes away' behind a TCP proxy
this test owns (the shared server itself is never stopped)."""

from __future__ import annotations

import os
import time

import pytest

from engine.fleet import nodes
from engine.fleet.events import fetch_logs
from engine.fleet.spec import parse_spec
from tests.e2e.conftest import node_spec
from tests.e2e.lifecycle_helpers import PgProxy, wait_for, workers_by_node

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_database_outage(sim, fast_env, fast_db, supervisor, db_url, jf_home):
    outage = float(os.environ.get("JOBFLEET_TEST_OUTAGE_S", "20"))
    proxy = PgProxy(db_url)
    fast_env["JOBFLEET_DATABASE_URL"] = proxy.url
    try:
        ids = [
            nodes.deploy(
                fast_db, parse_spec(node_spec(sim, f"outage-{i}", delay_min=0.5, delay_max=1))
            )
            for i in range(2)
        ]
        supervisor.start()
        pids = {}
        for node_id in ids:
            row = wait_for(
                lambda n=node_id: (
                    (r := nodes.get_node(fast_db, n)).status == "running" and r.jobs_found > 0 and r
                ),
                what="running with results",
            )
            pids[node_id] = row.pid
        with fast_db.connection() as conn:
            runs_before = conn.execute("SELECT count(*) AS n FROM scrape_runs").fetchone()["n"]

        proxy.cut()
        time.sleep(outage)  # far beyond stale_after (3 s): heartbeats were impossible
        spooled = list((jf_home / "spool").rglob("*.jsonl"))
        proxy.restore()

        assert spooled, "scrapes during the outage should have been spooled"
        # Resumes: the same workers beat again and new scrapes are stored.
        for node_id in ids:
            wait_for(
                lambda n=node_id: (
                    (r := nodes.get_node(fast_db, n)).status == "running"
                    and r.heartbeat_age_s is not None
                    and r.heartbeat_age_s < 2
                ),
                what="fresh heartbeat after the outage",
            )
        wait_for(lambda: not list((jf_home / "spool").rglob("*.jsonl")), what="spool replayed")
        with fast_db.connection() as conn:
            runs_after = conn.execute("SELECT count(*) AS n FROM scrape_runs").fetchone()["n"]
        assert runs_after > runs_before
        time.sleep(3 * 1.0)  # let any (wrong) staleness verdict happen before we look
        assert {n: nodes.get_node(fast_db, n).pid for n in ids} == pids
        assert workers_by_node(proxy.url) == {n: [p] for n, p in pids.items()}
        killed = [e for e in fetch_logs(fast_db, limit=2000) if e["event"] == "worker_killed"]
        assert killed == []
        assert all(nodes.get_node(fast_db, n).restarts == 0 for n in ids)
    finally:
        supervisor.stop()
        proxy.close()

"""Prometheus metrics on real Postgres: scrape_totals (sql/0015) kept by the trigger on
scrape_runs, untouched by the retention and by removing a node; the collector's series parsed
with prometheus_client's own parser; the HTTP server's address and its errors.

The supervisor as a real process, with a real worker scraping the simulated boards, is
tests/e2e/test_metrics.py."""

from __future__ import annotations

import socket
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from engine.db.connections import SharedConnection
from engine.db.handle import Database
from engine.db.migrations import apply_migrations, sql_dir
from engine.errors import UserError
from engine.fleet import nodes
from engine.fleet.events import EventWriter
from engine.fleet.spec import parse_spec
from engine.fleet.states import NodeStatus
from engine.jobs.ingest import Store
from engine.jobs.runs import prune_runs
from engine.jobs.spool import FAILED_DIR as SPOOL_FAILED_DIR
from engine.settings import Settings
from engine.supervisor.metrics import FAILED_DIR, FleetCollector, MetricsServer, spool_counts

PROMETHEUS_HEADERS = {
    "Accept": "application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
    "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
    "Accept-Encoding": "gzip",
}
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def _deploy(db: Database, name: str, sites: list[str]) -> int:
    spec = {"name": name, "search_term": "python", "country": "DE", "locations": ["Berlin"]}
    return nodes.deploy(db, parse_spec({**spec, "sites": sites}), start=False)


def _run(store: Store, node_id: int | None, site: str, secs: float, **kw: Any) -> None:
    end = datetime.now(UTC)
    store.record_run(
        node_id=node_id, site=site, started_at=end - timedelta(seconds=secs), finished_at=end, **kw
    )


def samples(text: str) -> Samples:
    out: Samples = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, frozenset(s.labels.items()))] = s.value
    return out


def value(got: Samples, name: str, **labels: str) -> float | None:
    return got.get((name, frozenset(labels.items())))


def scrape(settings: Settings, db: Database) -> Samples:
    conn = SharedConnection(db)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(FleetCollector(settings, conn))
    try:
        return samples(generate_latest(registry).decode())
    finally:
        conn.close()


def counters(got: Samples) -> Samples:
    """The cumulative samples (health follows the scrapes kept, and may change)."""
    kinds = ("jobfleet_scrapes_", "jobfleet_jobs_", "jobfleet_scrape_duration_")
    return {k: v for k, v in got.items() if k[0].startswith(kinds) and "_created" not in k[0]}


def totals(db: Database) -> list[dict[str, Any]]:
    with db.connection() as conn:
        return list(
            conn.execute(
                "SELECT node_id, site, outcome, runs, found, new, buckets FROM scrape_totals "
                "ORDER BY node_id NULLS LAST, site, outcome, runs"
            ).fetchall()
        )


def test_trigger_counts_every_run_and_survives_retention_and_removal(settings, db):
    a = _deploy(db, "alpha", ["linkedin", "indeed"])
    b = _deploy(db, "beta", ["linkedin"])
    store = Store(db, settings.spool_dir)
    _run(store, a, "linkedin", 0.3, found=10, new=4)  # le 0.5
    _run(store, a, "linkedin", 3, found=6, new=1)  # le 5
    _run(store, a, "linkedin", 400, outcome="timeout")  # beyond every bound
    _run(store, a, "indeed", 1.0, found=2, new=2, outcome="ok")  # le 1 (bounds are inclusive)
    _run(store, b, "linkedin", 12, outcome="blocked", error="HTTP 429")  # le 20
    rows = totals(db)
    assert [(r["node_id"], r["site"], r["outcome"], r["runs"]) for r in rows] == [
        (a, "indeed", "ok", 1),
        (a, "linkedin", "ok", 2),
        (a, "linkedin", "timeout", 1),
        (b, "linkedin", "blocked", 1),
    ]
    assert rows[1]["found"] == 16 and rows[1]["new"] == 5
    assert rows[1]["buckets"] == [1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]
    assert rows[2]["buckets"][-1] == 1
    assert rows[0]["buckets"][1] == 1

    before = scrape(settings, db)
    assert value(before, "jobfleet_scrapes_total", node="alpha", site="linkedin", outcome="ok") == 2
    assert value(before, "jobfleet_jobs_found_total", node="alpha", site="linkedin") == 16
    assert value(before, "jobfleet_jobs_new_total", node="alpha", site="linkedin") == 5
    assert value(before, "jobfleet_jobs_found_total", node="alpha", site="indeed") == 2
    hist = dict(site="linkedin", outcome="ok")
    assert value(before, "jobfleet_scrape_duration_seconds_bucket", **hist, le="0.5") == 1
    assert value(before, "jobfleet_scrape_duration_seconds_bucket", **hist, le="2.0") == 1
    assert value(before, "jobfleet_scrape_duration_seconds_bucket", **hist, le="5.0") == 2
    assert value(before, "jobfleet_scrape_duration_seconds_bucket", **hist, le="+Inf") == 2
    assert value(before, "jobfleet_scrape_duration_seconds_count", **hist) == 2
    assert value(before, "jobfleet_scrape_duration_seconds_sum", **hist) == pytest.approx(3.3)

    # The retention deletes every scrape_runs row: the counters stay.
    with db.connection() as conn:
        conn.execute("UPDATE scrape_runs SET started_at = started_at - interval '90 days'")
    assert prune_runs(db, keep_days=30) == 5
    assert counters(scrape(settings, db)) == counters(before)
    assert len(counters(before)) == 4 + 3 + 3 + 4 * 14  # scrapes, found, new, 4 histograms

    # Removing a node ends its series; the fleet-wide histogram keeps its scrapes.
    nodes.delete_node(db, b)
    _run(store, None, "linkedin", 12, outcome="blocked")  # stored after its node was removed
    after = scrape(settings, db)
    assert (
        value(after, "jobfleet_scrapes_total", node="beta", site="linkedin", outcome="blocked")
        is None
    )
    blocked = dict(site="linkedin", outcome="blocked")
    assert value(after, "jobfleet_scrape_duration_seconds_count", **blocked) == 2
    assert value(after, "jobfleet_scrape_duration_seconds_bucket", **blocked, le="10.0") == 0
    assert value(after, "jobfleet_scrape_duration_seconds_bucket", **blocked, le="20.0") == 2
    assert value(after, "jobfleet_scrapes_total", node="alpha", site="linkedin", outcome="ok") == 2


def test_node_series_one_for_the_current_status_and_health(settings, db):
    a = _deploy(db, "alpha", ["linkedin"])
    b = _deploy(db, "beta", ["linkedin"])
    store = Store(db, settings.spool_dir)
    for _ in range(3):
        _run(store, b, "linkedin", 2, outcome="blocked")
    with db.connection() as conn:
        conn.execute(
            "UPDATE nodes SET status = 'running', desired = 'running', rss_bytes = 52428800, "
            "restarts = 3, heartbeat_at = now() WHERE id = %s",
            (a,),
        )
    got = scrape(settings, db)
    # One sample per node for each: its current status and health, no zeros for the others.
    for status in NodeStatus:
        want = 1 if status == NodeStatus.RUNNING else None
        assert value(got, "jobfleet_node_status", node="alpha", host="", status=status) == want
        want = 1 if status == NodeStatus.STOPPED else None
        assert value(got, "jobfleet_node_status", node="beta", host="", status=status) == want
    for health in ("unknown", "ok", "degraded", "failing"):
        want = 1 if health == "unknown" else None
        assert value(got, "jobfleet_node_health", node="alpha", health=health) == want
        want = 1 if health == "failing" else None
        assert value(got, "jobfleet_node_health", node="beta", health=health) == want
    assert value(got, "jobfleet_worker_rss_bytes", node="alpha") == 52428800
    assert value(got, "jobfleet_worker_rss_bytes", node="beta") is None  # no worker
    assert value(got, "jobfleet_worker_restarts_total", node="alpha") == 3
    assert value(got, "jobfleet_node_desired_running", node="alpha") == 1
    assert value(got, "jobfleet_node_desired_running", node="beta") == 0
    host = settings.host_name
    assert value(got, "jobfleet_database_up", host=host) == 1
    assert value(got, "jobfleet_spool_pending_batches", host=host) == 0


def test_supervisor_up_per_registered_host(settings, db):
    from engine.supervisor.lease import HostLease

    conn = SharedConnection(db)
    lease = HostLease(db, conn, "box-a")
    lease.acquire()
    try:
        with db.connection() as c:
            c.execute("INSERT INTO hosts (hostname, heartbeat_at) VALUES ('box-b', now())")
        got = scrape(settings, db)
        assert value(got, "jobfleet_supervisor_up", host="box-a") == 1
        assert value(got, "jobfleet_supervisor_up", host="box-b") == 0  # a lease but no lock
    finally:
        lease.release()
        conn.close()


def test_database_down_still_answers(settings, jf_home):
    broken = Settings(database_url="postgresql://nobody@127.0.0.1:1/none", home=jf_home)
    got = scrape(broken, Database(broken))
    assert value(got, "jobfleet_database_up", host=broken.host_name) == 0
    assert value(got, "jobfleet_spool_pending_batches", host=broken.host_name) == 0
    assert not any(name.startswith("jobfleet_node_") for name, _ in got)


def test_spool_counts(tmp_path: Path):
    assert FAILED_DIR == SPOOL_FAILED_DIR
    root = tmp_path / "spool"
    assert spool_counts(root) == (0, 0)
    (root / "node-3").mkdir(parents=True)
    (root / FAILED_DIR).mkdir()
    for path in ("a.jsonl", "node-3/b.jsonl", "node-3/c.jsonl", "node-3/c.tmp", "failed/d.jsonl"):
        (root / path).write_text("{}\n")
    assert spool_counts(root) == (3, 1)


def test_backfill_counts_the_history_kept(settings, db):
    a = _deploy(db, "alpha", ["linkedin"])
    with db.connection() as conn:
        conn.execute(
            "DROP TRIGGER scrape_runs_add_to_totals ON scrape_runs; DROP TABLE scrape_totals; "
            "DROP FUNCTION scrape_totals_add(); DROP FUNCTION scrape_duration_slot(float8); "
            "DROP FUNCTION scrape_duration_bounds(); "
            "DELETE FROM schema_migrations WHERE version = 15"
        )
    store = Store(db, settings.spool_dir)
    _run(store, a, "linkedin", 0.7, found=5, new=2)
    _run(store, a, "linkedin", 25, found=1, new=0)
    _run(store, None, "indeed", 1, outcome="error")
    assert (sql_dir() / "0015_scrape_totals.sql").is_file()
    with db.connection() as conn:
        assert apply_migrations(conn) == [15]
    rows = totals(db)
    assert [(r["node_id"], r["site"], r["runs"], r["found"], r["new"]) for r in rows] == [
        (a, "linkedin", 2, 6, 2),
        (None, "indeed", 1, 0, 0),
    ]
    assert rows[0]["buckets"] == [0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_server_binds_loopback_by_default_and_says_when_the_port_is_taken(settings, db):
    port = _free_port()
    on = settings.model_copy(update={"metrics_port": port})
    events = EventWriter(db)
    server = MetricsServer(on, db, events)
    server.start()
    try:
        assert server.address == ("127.0.0.1", port)
        assert server.url == f"http://127.0.0.1:{port}/metrics"
        # What Prometheus asks for; the answer is the classic text format, uncompressed.
        request = urllib.request.Request(server.url, headers=PROMETHEUS_HEADERS)
        with urllib.request.urlopen(request, timeout=30) as resp:
            assert resp.headers["Content-Type"].startswith("text/plain; version=0.0.4")
            assert resp.headers.get("Content-Encoding") is None
            text = resp.read().decode()
        assert value(samples(text), "jobfleet_database_up", host=on.host_name) == 1
        second = MetricsServer(on, db, events)
        with pytest.raises(UserError, match=f"port {port}.*JOBFLEET_METRICS_PORT"):
            second.start()
        second.stop()
    finally:
        server.stop()
        events.close(timeout=3)
    off = MetricsServer(settings, db, EventWriter(db))
    off.start()  # no port: nothing served
    assert off.address is None and off.url is None
    off.stop()


def test_grafana_dashboard_queries_only_series_we_serve(settings, db):
    import json
    import re

    dashboard = json.loads((Path(__file__).parents[2] / "grafana" / "jobfleet.json").read_text())
    exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    assert len(exprs) >= 10
    a = _deploy(db, "alpha", ["linkedin"])
    _run(Store(db, settings.spool_dir), a, "linkedin", 2, found=3, new=1)
    with db.connection() as conn:
        conn.execute("UPDATE nodes SET status = 'running', rss_bytes = 1 WHERE id = %s", (a,))
    served = {name for name, _ in scrape(settings, db)}
    from engine.supervisor.lease import HostLease

    conn = SharedConnection(db)
    lease = HostLease(db, conn, settings.host_name)
    lease.acquire()  # a host row, for jobfleet_supervisor_up
    try:
        served |= {name for name, _ in scrape(settings, db)}
    finally:
        lease.release()
        conn.close()
    used = {name for e in exprs for name in re.findall(r"\bjobfleet_[a-z_]+", e)}
    assert used and used <= served, used - served

"""A node's history (engine.jobs.history): chart buckets, RSS samples, sparklines that grow
their bucket with the node's age. Fixed clocks: the same buckets on every run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from engine.db.queries import q
from engine.fleet import nodes
from engine.jobs.history import node_history, sparklines
from engine.jobs.runs import prune_runs
from tests.integration.test_nodes import make_spec

NOW = datetime(2025, 6, 1, 12, 30, 0, tzinfo=UTC)


def _run(conn, node_id, ago, *, site="indeed", new=1, found=2, secs=10.0, outcome="ok", error=None):
    started = NOW - ago
    conn.execute(
        "INSERT INTO scrape_runs (node_id, site, location, started_at, finished_at, found, new,"
        " outcome, error) VALUES (%s, %s, 'Berlin', %s, %s, %s, %s, %s, %s)",
        (node_id, site, started, started + timedelta(seconds=secs), found, new, outcome, error),
    )


def test_node_history_buckets_outcomes_rss_and_recent(db):
    node = nodes.deploy(db, make_spec("hist"))
    other = nodes.deploy(db, make_spec("other"))
    with db.connection() as conn:
        _run(conn, node, timedelta(minutes=10), new=3, secs=20)  # 12:20, last bucket
        _run(conn, node, timedelta(minutes=20), new=4, secs=40)  # 12:10, last bucket
        _run(
            conn,
            node,
            timedelta(hours=2),
            site="linkedin",
            new=0,
            outcome="blocked",
            error="HTTP 429",
        )  # 10:30
        _run(conn, node, timedelta(hours=30), new=99)  # outside 24 h, inside 7 d
        _run(conn, other, timedelta(minutes=5), new=50)
        for minutes, mib in ((5, 120), (7, 100), (65, 90)):
            conn.execute(
                "INSERT INTO node_rss_samples (node_id, sampled_at, rss_bytes) VALUES (%s, %s, %s)",
                (node, NOW - timedelta(minutes=minutes), mib << 20),
            )

    day = node_history(db, node, "24h", now=NOW)
    assert day.end_at == datetime(2025, 6, 1, 13, 0, tzinfo=UTC)
    assert day.buckets == 24 and day.total_new == 7 and day.total_scrapes == 3
    assert day.new[-1] == 7 and day.scrapes[-1] == 2
    assert day.avg_s[-1] == 30.0 and day.max_s[-1] == 40.0
    assert day.scrapes[-3] == 1 and day.avg_s[-2] is None
    assert day.outcomes == {"indeed": {"ok": 2}, "linkedin": {"blocked": 1}}
    assert len(day.rss) == 24 * 12
    # Five-minute buckets: 11:25, 12:23 and 12:25 fall in three of them.
    assert [v for v in day.rss if v is not None] == [90 << 20, 100 << 20, 120 << 20]
    assert [r["new"] for r in day.recent_runs] == [3, 4, 0, 99]
    assert [r["error"] for r in day.recent_errors] == ["HTTP 429"]

    week = node_history(db, node, "7d", now=NOW)
    assert week.buckets == 28 and week.total_new == 106
    assert week.end_at == datetime(2025, 6, 1, 18, 0, tzinfo=UTC)
    assert [v for v in week.rss if v is not None] == [90 << 20, 120 << 20]


def test_sparkline_bucket_follows_the_node_age(db):
    young = nodes.deploy(db, make_spec("young"))
    hours = nodes.deploy(db, make_spec("hours"))
    old = nodes.deploy(db, make_spec("old"))
    idle = nodes.deploy(db, make_spec("idle"))
    with db.connection() as conn:
        for minute in range(10):  # a scrape a minute for ten minutes
            _run(conn, young, timedelta(minutes=minute, seconds=30), new=minute + 1)
        _run(conn, hours, timedelta(minutes=90), new=5)  # 5-minute buckets (under 2 h)
        _run(conn, hours, timedelta(minutes=2), new=1)
        _run(conn, old, timedelta(hours=20), new=8)
        _run(conn, old, timedelta(minutes=30), new=2)
    lines = sparklines(db, [young, hours, old, idle], now=NOW)
    assert lines[young].step_s == 60
    assert lines[young].values[-10:] == list(range(10, 0, -1))
    assert lines[young].values[:-10] == [0] * 14
    assert lines[hours].step_s == 300
    assert lines[hours].values[-1] == 1 and lines[hours].values[-19] == 5
    assert lines[old].step_s == 3600
    assert lines[old].values[-1] == 2 and lines[old].values[-21] == 8
    assert lines[idle].values == [0] * 24 and lines[idle].step_s == 3600


def test_heartbeat_samples_rss_every_five_minutes_and_prune(db):
    node = nodes.deploy(db, make_spec("beat"))
    with db.connection() as conn:
        conn.execute("UPDATE nodes SET pid = 4242 WHERE id = %s", (node,))
        for rss in (100, 200, 300):
            row = conn.execute(q("worker_heartbeat"), {"id": node, "pid": 4242, "rss": rss})
            assert row.fetchone() is not None
        # Another pid beats for nothing and samples nothing.
        assert (
            conn.execute(q("worker_heartbeat"), {"id": node, "pid": 1, "rss": 1}).fetchone() is None
        )
        samples = conn.execute(
            "SELECT rss_bytes FROM node_rss_samples WHERE node_id = %s", (node,)
        ).fetchall()
        assert [s["rss_bytes"] for s in samples] == [100]
        rss = conn.execute("SELECT rss_bytes FROM nodes WHERE id = %s", (node,)).fetchone()
        assert rss["rss_bytes"] == 300
        conn.execute(
            "INSERT INTO node_rss_samples (node_id, sampled_at, rss_bytes)"
            " VALUES (%s, now() - interval '40 days', 5)",
            (node,),
        )
    prune_runs(db, keep_days=30)
    with db.connection() as conn:
        left = conn.execute(
            "SELECT rss_bytes FROM node_rss_samples WHERE node_id = %s", (node,)
        ).fetchall()
    assert [s["rss_bytes"] for s in left] == [100]

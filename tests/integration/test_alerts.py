"""Alerts against a real database and a real local receiver of apprise's json:// messages: the
monitor opens and resolves, the sender delivers once per destination, rate limit, digest, two
supervisors on one database, secrets, retention, and the `jobfleet alerts` commands."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from engine.db.connections import SharedConnection
from engine.db.handle import Database
from engine.fleet import nodes
from engine.fleet.events import EventWriter
from engine.fleet.spec import parse_spec
from engine.settings import Settings
from engine.supervisor.alerts.monitor import AlertMonitor
from tests.alert_receiver import Receiver
from tests.cli import jobfleet

SECRET = "hook-Secret-T0ken-4711"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as r:
        yield r


def alert_settings(settings: Settings, receiver: Receiver, **over: Any) -> Settings:
    values: dict[str, Any] = {
        "alert_urls": SecretStr(f"json://jf:{SECRET}@127.0.0.1:{receiver.port}/{SECRET}"),
        "alert_interval": 0.2,
        "host_name": "host-a",
        "failing_after": 2,
        "alert_no_new_cycles": 3,
    }
    values.update(over)
    return settings.model_copy(update=values)


class Harness:
    """A monitor with its own connection and event writer, driven by hand (no thread)."""

    def __init__(self, settings: Settings, db: Database, **kw: Any) -> None:
        self.conn = SharedConnection(db)
        self.events = EventWriter(self.conn, host_id=None)
        self.monitor = AlertMonitor(settings, db, self.conn, self.events, **kw)
        assert self.monitor.sender is not None
        self.sender = self.monitor.sender

    def round(self) -> int:
        """One check, then one send round; returns the messages sent."""
        self.monitor.check()
        return self.sender.send_pending()

    def close(self) -> None:
        self.monitor.close()
        self.events.close()
        self.conn.close()


@pytest.fixture
def harness(settings: Settings, db: Database, receiver: Receiver) -> Iterator[Harness]:
    h = Harness(alert_settings(settings, receiver), db)
    yield h
    h.close()


def deploy(db: Database, name: str, sites: tuple[str, ...] = ("indeed",)) -> int:
    spec = {
        "name": name,
        "search_term": "python",
        "country": "DE",
        "locations": ["Berlin"],
        "sites": list(sites),
    }
    return nodes.deploy(db, parse_spec(spec))


def sql(db: Database, query: str, *params: Any) -> list[dict[str, Any]]:
    with db.connection() as conn:
        cur = conn.execute(query, params)  # type: ignore[arg-type]
        return list(cur.fetchall()) if cur.description else []


def set_node(db: Database, node_id: int, **values: Any) -> None:
    for column, value in values.items():
        assert column in {"status", "desired", "cycle", "jobs_new", "last_error"}
        sql(db, f"UPDATE nodes SET {column} = %s WHERE id = %s", value, node_id)


def alerts(db: Database) -> list[dict[str, Any]]:
    return sql(db, "SELECT * FROM alerts ORDER BY id")


def test_fatal_node_alerts_once_then_resolves(harness: Harness, db: Database, receiver: Receiver):
    node = deploy(db, "scraper-de")
    set_node(db, node, desired="running", status="fatal", last_error="exited with code 78")
    assert harness.round() == 1
    for _ in range(3):  # still FATAL: nothing new
        assert harness.round() == 0
    [message] = receiver.messages
    assert message["title"] == "jobfleet: node scraper-de (not on any host yet) is FATAL"
    assert "jobfleet start scraper-de" in message["message"]
    assert "exited with code 78" in message["message"]
    assert message["type"] == "failure"

    set_node(db, node, status="running")
    assert harness.round() == 1
    assert harness.round() == 0
    assert len(receiver.messages) == 2
    resolved = receiver.messages[1]
    assert resolved["title"].startswith("jobfleet: resolved — node scraper-de")
    assert resolved["type"] == "success"
    [row] = alerts(db)
    assert row["kind"] == "node_fatal" and row["resolved_at"] is not None
    assert row["reported_by"] == "host-a"

    set_node(db, node, status="fatal")  # again: a new alert
    assert harness.round() == 1
    assert [a["resolved_at"] is None for a in alerts(db)] == [False, True]


def test_failing_health_alerts_and_resolves_when_ok(
    harness: Harness, db: Database, receiver: Receiver
):
    node = deploy(db, "berlin", sites=("indeed", "linkedin"))
    set_node(db, node, desired="running", status="running")
    runs = "INSERT INTO scrape_runs (node_id, site, started_at, outcome) VALUES (%s, %s, now(), %s)"
    for site in ("indeed", "linkedin"):
        sql(db, runs, node, site, "blocked")
    assert harness.round() == 0  # one failure each: degraded at most
    for site in ("indeed", "linkedin"):
        sql(db, runs, node, site, "timeout")
    assert harness.round() == 1
    assert receiver.titles() == ["jobfleet: node berlin (not on any host yet) is failing"]
    assert "jobfleet runs berlin" in receiver.messages[0]["message"]
    sql(db, runs, node, "indeed", "ok")  # degraded: still open
    assert harness.round() == 0
    sql(db, runs, node, "linkedin", "ok")
    assert harness.round() == 1
    assert "scrapes again" in receiver.messages[1]["message"]


def test_no_new_postings_for_n_cycles(harness: Harness, db: Database, receiver: Receiver):
    node = deploy(db, "saturated")
    set_node(db, node, desired="running", status="running", cycle=1, jobs_new=10)
    harness.round()
    set_node(db, node, cycle=3)
    assert harness.round() == 0  # 2 cycles < 3
    set_node(db, node, cycle=4)
    assert harness.round() == 1
    assert "found nothing new in 3 cycles" in receiver.titles()[0]
    set_node(db, node, cycle=5, jobs_new=11)
    assert harness.round() == 1
    assert "found new postings again" in receiver.messages[1]["message"]


def test_proxy_failed_event_opens_and_proxy_ok_resolves(
    harness: Harness, db: Database, receiver: Receiver
):
    node = deploy(db, "proxied")
    set_node(db, node, desired="running", status="running")
    log = (
        "INSERT INTO node_logs (node_id, level, event, message, fields) "
        "VALUES (%s, %s, %s, %s, jsonb_build_object('proxy', %s::text))"
    )
    bad, good = "http://u:***@p:1", "http://q:2"
    sql(db, log, node, "error", "proxy_failed", f"proxy {bad} refused the connection", bad)
    assert harness.round() == 1
    assert "a proxy of node proxied" in receiver.titles()[0]
    assert harness.round() == 0  # the same event, re-read by the next pass: nothing new
    sql(db, log, node, "info", "proxy_ok", "proxy exits at 1.2.3.4", good)
    assert harness.round() == 0  # another proxy passing says nothing of the failed one
    sql(db, log, node, "info", "proxy_ok", "proxy exits at 1.2.3.5", bad)
    assert harness.round() == 1
    assert harness.round() == 0
    assert [a["kind"] for a in alerts(db)] == ["proxy_failed"]


def test_lost_host_and_taken_over_supervisor(harness: Harness, db: Database, receiver: Receiver):
    sql(
        db,
        "INSERT INTO hosts (hostname, pid, heartbeat_at) "
        "VALUES ('host-b', 4242, now() - interval '10 minutes')",
    )
    node = deploy(db, "on-b")
    sql(
        db,
        "UPDATE nodes SET desired = 'running', host_id = (SELECT id FROM hosts) WHERE id = %s",
        node,
    )
    assert harness.round() == 1
    assert receiver.titles() == ["jobfleet: the supervisor on host host-b is gone"]
    assert "jobfleet --no-ui" in receiver.messages[0]["message"]
    sql(db, "UPDATE hosts SET heartbeat_at = now() WHERE hostname = 'host-b'")
    assert harness.round() == 1
    assert "host-b is back" in receiver.messages[1]["message"]

    sql(
        db,
        "INSERT INTO node_logs (host_id, level, event, message) SELECT id, 'error', 'lock_lost', "
        "'another supervisor took this host over; leaving' FROM hosts WHERE hostname = 'host-b'",
    )
    assert harness.round() == 1
    assert harness.round() == 0
    assert receiver.titles()[2] == "jobfleet: the supervisor on host host-b was taken over"
    replaced = [a for a in alerts(db) if a["kind"] == "supervisor_replaced"]
    assert len(replaced) == 1 and replaced[0]["resolved_at"] is not None


def test_spool_batches_waiting_too_long(harness: Harness, db: Database, receiver: Receiver):
    spool = harness.monitor.settings.spool_dir / "node-7"
    spool.mkdir(parents=True)
    batch = spool / "batch-1.jsonl"
    batch.write_text("{}\n")
    assert harness.round() == 0  # fresh
    old = time.time() - 45 * 60
    os.utime(batch, (old, old))
    assert harness.round() == 1
    assert receiver.titles() == ["jobfleet: 1 spooled batches wait on host host-a"]
    batch.unlink()
    assert harness.round() == 1
    assert "drained" in receiver.messages[1]["message"]


def test_database_outage_is_reported_once_when_back(
    settings: Settings, db: Database, receiver: Receiver
):
    clock = [1000.0]
    a = Harness(
        alert_settings(settings, receiver, alert_db_down_seconds=30), db, clock=lambda: clock[0]
    )
    b = Harness(
        alert_settings(settings, receiver, alert_db_down_seconds=30, host_name="host-b"),
        db,
        clock=lambda: clock[0],
    )
    try:
        for h in (a, b):
            h.monitor.tick(db_down=False)
            h.monitor.tick(db_down=True)
        clock[0] += 20
        a.monitor.tick(db_down=True)
        clock[0] += 20  # 40 s > 30 s
        for h in (a, b):
            h.monitor.tick(db_down=True)
        for h in (a, b):
            h.monitor.tick(db_down=False)
            h.sender.send_pending()
        [message] = receiver.wait_for(lambda m: len(m) >= 1)
        assert (
            message["title"] == "jobfleet: the database was unreachable for 40 s from host host-a"
        )
        outages = [x for x in alerts(db) if x["kind"] == "database_unreachable"]
        assert len(outages) == 1  # host-b saw the same outage: not told twice
        for h in (a, b):  # each host logged the outage meanwhile, once
            h.events.flush()
        logged = sql(
            db, "SELECT count(*) AS n FROM node_logs WHERE event = 'database_unreachable_alert'"
        )
        assert logged[0]["n"] == 2
    finally:
        a.close()
        b.close()


def test_two_supervisors_on_one_database_send_each_alert_once(
    settings: Settings, db: Database, receiver: Receiver
):
    ids = [deploy(db, f"n{i}") for i in range(6)]
    harnesses = [
        Harness(alert_settings(settings, receiver, host_name=f"host-{c}"), db) for c in "ab"
    ]
    try:
        sql(db, "UPDATE nodes SET desired = 'running', status = 'fatal'")
        barrier = threading.Barrier(2)
        errors: list[BaseException] = []

        def run(h: Harness) -> None:
            try:
                for _ in range(5):
                    barrier.wait(120)  # generous: a loaded machine
                    h.monitor.check()
                    h.sender.send_pending()
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=run, args=(h,)) for h in harnesses]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert not errors
        assert len(alerts(db)) == len(ids)
        # Six alerts, each told exactly once (one message may carry several).
        told = [line for m in receiver.messages for line in _alert_lines(m)]
        assert sorted(told) == sorted(f"node n{i} (not on any host yet) is FATAL" for i in range(6))
    finally:
        for h in harnesses:
            h.close()


def _alert_lines(message: dict[str, Any]) -> list[str]:
    if message["title"].startswith("jobfleet: node "):
        return [message["title"].removeprefix("jobfleet: ")]
    return [
        line.removeprefix("- ") for line in message["message"].splitlines() if line.startswith("- ")
    ]


def test_the_open_alert_index_holds_without_the_lock(harness: Harness, db: Database):
    """Two opens of the same kind and subject: the second is a no-op, whoever writes it."""
    from engine.supervisor.alerts.rules import Open

    change = Open("node_fatal", "node:1", "error", "t", "b")
    with harness.conn.connection() as conn:
        assert harness.monitor._apply(conn, change) is True
        assert harness.monitor._apply(conn, change) is False
    assert len(alerts(db)) == 1


def test_rate_limit_per_destination_then_one_summary(
    settings: Settings, db: Database, receiver: Receiver
):
    h = Harness(alert_settings(settings, receiver, alert_rate_per_hour=2), db)
    try:
        ids = [deploy(db, f"r{i}") for i in range(4)]
        for node in ids:
            set_node(db, node, desired="running", status="fatal")
            h.round()
        assert len(receiver.messages) == 2  # the limit
        assert h.round() == 0
        sql(db, "UPDATE alert_destinations SET window_started_at = now() - interval '61 minutes'")
        assert h.round() == 1
        summary = receiver.messages[2]
        assert summary["title"] == "jobfleet: 2 alerts, 0 resolved"
        assert "r2" in summary["message"] and "r3" in summary["message"]
    finally:
        h.close()


def test_daily_digest_sends_one_summary_when_due(
    settings: Settings, db: Database, receiver: Receiver
):
    h = Harness(alert_settings(settings, receiver, alert_digest="daily"), db)
    try:
        for i in range(3):
            set_node(db, deploy(db, f"d{i}"), desired="running", status="fatal")
        h.monitor.check()
        # The destination was recorded just now: its first digest is due at the next digest hour.
        assert h.sender.send_pending() == 0
        sql(db, "UPDATE alert_destinations SET added_at = now() - interval '2 days'")
        assert h.sender.send_pending() == 1
        assert h.sender.send_pending() == 0
        [digest] = receiver.messages
        assert digest["title"] == "jobfleet daily digest: 3 alerts, 0 resolved"
    finally:
        h.close()


def test_failed_send_backs_off_and_retries(settings: Settings, db: Database):
    with Receiver(status=500) as failing:
        h = Harness(alert_settings(settings, failing), db)
        try:
            set_node(db, deploy(db, "x"), desired="running", status="fatal")
            assert h.round() == 0
            [dest] = sql(db, "SELECT * FROM alert_destinations")
            assert dest["failures"] == 1 and dest["retry_at"] is not None
            assert SECRET not in (dest["last_error"] or "") and SECRET not in dest["label"]
            assert h.sender.send_pending() == 0  # backing off
            failing.status = 200
            sql(db, "UPDATE alert_destinations SET retry_at = now()")
            assert h.sender.send_pending() == 1
            assert failing.titles() == ["jobfleet: node x (not on any host yet) is FATAL"]
        finally:
            h.close()


def test_secrets_never_reach_the_database_or_the_messages(
    harness: Harness, db: Database, receiver: Receiver
):
    node = deploy(db, "leaky")
    set_node(db, node, desired="running", status="fatal", last_error=f"boom {SECRET} boom")
    assert harness.round() == 1
    harness.events.flush()
    assert harness.sender.dests[0].label == f"json://127.0.0.1:{receiver.port}/…"
    assert receiver.requests[0]["path"] == f"/{SECRET}"  # it did use the real URL
    assert SECRET not in json.dumps(receiver.messages)
    with db.connection() as conn:
        for table in ("alerts", "alert_destinations", "node_logs"):
            dump = conn.execute(f"SELECT coalesce(json_agg(t)::text, '') AS d FROM {table} t")
            assert SECRET not in dump.fetchone()["d"], table  # type: ignore[index]


def test_resolved_alerts_are_pruned_by_age_open_ones_kept(harness: Harness, db: Database):
    old = deploy(db, "old")
    for node in (old, deploy(db, "open")):
        set_node(db, node, desired="running", status="fatal")
    harness.monitor.check()
    set_node(db, old, status="stopped", desired="stopped")
    sql(
        db,
        "UPDATE alerts SET resolved_at = now() - interval '91 days', "
        "opened_at = now() - interval '92 days' WHERE node_name = 'old'",
    )
    harness.monitor._next_prune = 0
    harness.monitor.tick(db_down=False)
    assert [a["node_name"] for a in alerts(db)] == ["open"]


def test_cli_lists_alerts_and_tests_every_url(
    harness: Harness, db: Database, jf_env: dict[str, str], receiver: Receiver, tmp_path: Path
):
    set_node(db, deploy(db, "cli-node"), desired="running", status="fatal")
    harness.round()
    proc = jobfleet(jf_env, "alerts", "--json", "--since", "1h")
    assert proc.returncode == 0, proc.stderr
    [row] = json.loads(proc.stdout)
    assert row["kind"] == "node_fatal" and row["open"] and row["node_name"] == "cli-node"
    assert row["deliveries"] == 1
    table = jobfleet(jf_env, "alerts")
    assert table.returncode == 0 and "cli-node" in table.stdout and "OPEN" in table.stdout

    good = f"json://jf:{SECRET}@127.0.0.1:{receiver.port}/{SECRET}"
    env = {**jf_env, "JOBFLEET_ALERT_URLS": f"{good}, json://127.0.0.1:9/{SECRET}"}
    before = len(receiver.messages)
    test = jobfleet(env, "alerts", "test", "--json")
    assert test.returncode == 1  # the second URL has no server
    results = json.loads(test.stdout)
    assert [r["ok"] for r in results] == [True, False]
    assert results[0]["url"] == f"json://127.0.0.1:{receiver.port}/…"
    assert results[1]["error"]
    assert SECRET not in test.stdout + test.stderr
    assert receiver.messages[before]["title"].startswith("jobfleet: test alert from host")
    plain = jobfleet({**jf_env, "JOBFLEET_ALERT_URLS": good}, "alerts", "test")
    assert plain.returncode == 0 and "ok" in plain.stdout and SECRET not in plain.stdout
    unset = jobfleet(
        {k: v for k, v in jf_env.items() if k != "JOBFLEET_ALERT_URLS"}, "alerts", "test"
    )
    assert unset.returncode == 1 and "JOBFLEET_ALERT_URLS is not set" in unset.stderr

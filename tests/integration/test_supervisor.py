"""The supervisor against a real database with a fake Procs: no real processes are started."""

from __future__ import annotations

import itertools
import signal
from pathlib import Path

import pytest

from engine.db.handle import Database
from engine.errors import UserError
from engine.fleet import nodes
from engine.fleet.events import fetch_logs
from engine.fleet.spec import parse_spec
from engine.settings import Settings
from engine.supervisor.lease import supervisor_holder
from engine.supervisor.loop import Supervisor
from engine.supervisor.procs import Identity


class FakeProcs:
    """Procs with the same methods, over a table of pretend processes."""

    def __init__(self) -> None:
        self.pids = itertools.count(40_000)
        self.table: dict[int, dict] = {}  # pid -> {create, alive, child, code, worker}
        self.signals: list[tuple[int, int]] = []
        self.memory = 8 * 2**30

    def add(self, pid: int, create: float, *, child: bool = False, worker: bool = True) -> None:
        self.table[pid] = {
            "create": create,
            "alive": True,
            "child": child,
            "code": None,
            "worker": worker,
            "reaped": False,
        }

    def spawn(self, argv, env, log_path=None) -> Identity:
        assert "JOBFLEET_DATABASE_URL" in env and not any("postgresql" in a for a in argv)
        pid = next(self.pids)
        self.add(pid, 1000.0 + pid, child=True)
        return Identity(pid, 1000.0 + pid)

    def identity(self, pid):
        p = self.table.get(pid)
        return Identity(pid, p["create"]) if p and p["alive"] else None

    def is_alive(self, ident):
        p = self.table.get(ident.pid)
        return bool(p and p["alive"] and ident.matches(Identity(ident.pid, p["create"])))

    def looks_like_worker(self, ident, node_id):
        return self.is_alive(ident) and self.table[ident.pid]["worker"]

    def signal_group(self, ident, sig):
        if not self.is_alive(ident):
            return False
        self.signals.append((ident.pid, sig))
        self.exit(ident.pid, -sig if sig == signal.SIGKILL else 0)
        return True

    def exit(self, pid, code):
        self.table[pid].update(alive=False, code=code)

    def reap(self):
        done = []
        for pid, p in self.table.items():
            if p["child"] and not p["alive"] and not p["reaped"]:
                p["reaped"] = True
                done.append((pid, p["code"]))
        return done

    def forget(self, pid):
        pass

    def rss(self, ident):
        return 30 * 2**20 if self.is_alive(ident) else None

    def available_memory(self):
        return self.memory


@pytest.fixture
def fast_settings(db_url: str, jf_home: Path) -> Settings:
    return Settings(
        database_url=db_url,
        home=jf_home,
        heartbeat_interval=0.1,
        stale_after=3,
        stop_grace=1,
        start_secs=1,
        start_retries=3,
        backoff_base=0.01,
        host_name="fakehost",
    )


def spec(name="n"):
    return parse_spec({"name": name, "search_term": "x", "country": "DE", "locations": ["B"]})


def beat(db, node_id, age=0.0):
    with db.connection() as conn:
        conn.execute(
            "UPDATE nodes SET heartbeat_at = now() - make_interval(secs => %s) WHERE id = %s",
            (age, node_id),
        )


def make(fast_settings, db, procs=None):
    sup = Supervisor(fast_settings, db, procs or FakeProcs())
    sup.acquire()
    sup._boot()
    return sup


def test_spawn_run_stop(fast_settings, db):
    node_id = nodes.deploy(db, spec())
    procs = FakeProcs()
    sup = make(fast_settings, db, procs)
    try:
        sup._tick_once()
        row = nodes.get_node(db, node_id)
        assert row.status == "starting" and row.host == "fakehost"
        pid = row.pid
        beat(db, node_id)
        sup._tick_once()
        assert nodes.get_node(db, node_id).status == "running"
        nodes.request_stop(db, node_id)
        sup._tick_once()
        assert procs.signals == [(pid, signal.SIGTERM)]
        sup._tick_once()
        row = nodes.get_node(db, node_id)
        assert row.status == "stopped" and row.pid is None
    finally:
        sup.shutdown()


def test_a_tick_prunes_scrape_runs_older_than_runs_keep_days(fast_settings, db):
    with db.connection() as conn:
        conn.execute(
            "INSERT INTO scrape_runs (site, started_at, outcome) VALUES "
            "('indeed', now() - interval '31 days', 'ok'), "
            "('indeed', now() - interval '1 day', 'ok')"
        )
    sup = make(fast_settings.model_copy(update={"runs_keep_days": 30.0}), db, FakeProcs())
    try:
        sup._last_prune = float("-inf")  # due now, whatever the machine's uptime
        sup._tick_once()
        with db.connection() as conn:
            left = conn.execute(
                "SELECT now() - started_at < interval '2 days' AS recent FROM scrape_runs"
            )
            assert [r["recent"] for r in left.fetchall()] == [True]
    finally:
        sup.shutdown()


def test_second_supervisor_is_refused(fast_settings, db):
    sup = make(fast_settings, db)
    try:
        assert supervisor_holder(db, "fakehost")["pid"]
        other = Supervisor(fast_settings, db, FakeProcs())
        with pytest.raises(UserError, match="already running"):
            other.acquire()
        other.shutdown()
    finally:
        sup.shutdown()
    assert supervisor_holder(db, "fakehost") is None


def test_boot_adopts_live_worker_and_cleans_the_rest(fast_settings, db):
    procs = FakeProcs()
    live = nodes.deploy(db, spec("live"))
    dead = nodes.deploy(db, spec("dead"))
    reused = nodes.deploy(db, spec("reused"), start=False)
    with db.connection() as conn:
        conn.execute("INSERT INTO hosts (hostname) VALUES ('fakehost')")
        host = conn.execute("SELECT id FROM hosts").fetchone()["id"]
        for node_id, pid in ((live, 50), (dead, 51), (reused, 52)):
            conn.execute(
                "UPDATE nodes SET status='running', host_id=%s, pid=%s, proc_started_at=%s, "
                "heartbeat_at=now(), started_at=now() WHERE id=%s",
                (host, pid, 500.0, node_id),
            )
    procs.add(50, 500.0)  # the very worker: adopt
    procs.add(52, 777.0)  # pid 52 now belongs to someone else: never signal
    sup = make(fast_settings, db, procs)
    try:
        assert nodes.get_node(db, live).status == "running"
        assert nodes.get_node(db, live).pid == 50
        assert nodes.get_node(db, reused).status == "stopped"
        # The dead one crashed unasked and is on its way back.
        assert nodes.get_node(db, dead).status in ("backoff", "starting")
        assert all(pid != 52 for pid, _ in procs.signals)
        assert procs.table[52]["alive"]
        sup.events.flush()
        assert any(e["event"] == "worker_adopted" for e in fetch_logs(db, node_id=live))
    finally:
        sup.shutdown()


def test_hung_worker_at_boot_is_killed(fast_settings, db):
    procs = FakeProcs()
    node_id = nodes.deploy(db, spec())
    with db.connection() as conn:
        conn.execute("INSERT INTO hosts (hostname) VALUES ('fakehost')")
        conn.execute(
            "UPDATE nodes SET status='running', host_id=(SELECT id FROM hosts), pid=60, "
            "proc_started_at=600.0, heartbeat_at=now() - interval '1 hour', "
            "started_at=now() - interval '2 hours' WHERE id=%s",
            (node_id,),
        )
    procs.add(60, 600.0)
    sup = make(fast_settings, db, procs)
    try:
        assert (60, signal.SIGKILL) in procs.signals
        assert nodes.get_node(db, node_id).status in ("backoff", "starting")
    finally:
        sup.shutdown()


def test_no_staleness_verdict_during_grace_after_outage(fast_settings, db):
    procs = FakeProcs()
    node_id = nodes.deploy(db, spec())
    sup = make(fast_settings, db, procs)
    try:
        sup._tick_once()
        beat(db, node_id)
        sup._tick_once()
        assert nodes.get_node(db, node_id).status == "running"
        sup._db_went_down()
        beat(db, node_id, age=60)  # could not beat while the database was away
        sup._tick_once()  # the database answers again: grace starts
        assert procs.signals == []
        assert nodes.get_node(db, node_id).status == "running"
        sup._grace_until = 0  # grace over, still no heartbeat: now it is stale
        sup._tick_once()
        assert procs.signals and procs.signals[-1][1] == signal.SIGKILL
    finally:
        sup.shutdown()


def test_deleted_node_worker_is_killed(fast_settings, db):
    procs = FakeProcs()
    node_id = nodes.deploy(db, spec())
    sup = make(fast_settings, db, procs)
    try:
        sup._tick_once()
        pid = nodes.get_node(db, node_id).pid
        nodes.delete_node(db, node_id, force=True)
        sup._tick_once()
        assert (pid, signal.SIGKILL) in procs.signals
    finally:
        sup.shutdown()


def test_low_memory_defers_spawn(fast_settings, db):
    procs = FakeProcs()
    procs.memory = 10 * 2**20
    node_id = nodes.deploy(db, spec())
    sup = make(fast_settings, db, procs)
    try:
        sup._tick_once()
        assert nodes.get_node(db, node_id).status == "stopped"
        sup.events.flush()
        assert any(e["event"] == "spawn_deferred" for e in fetch_logs(db, node_id=node_id))
        procs.memory = 8 * 2**30
        sup._tick_once()
        assert nodes.get_node(db, node_id).status == "starting"
    finally:
        sup.shutdown()


def test_shutdown_with_stop_workers(fast_settings, db):
    procs = FakeProcs()
    node_id = nodes.deploy(db, spec())
    sup = make(fast_settings, db, procs)
    sup._tick_once()
    sup.shutdown(stop_workers=True)
    row = nodes.get_node(db, node_id)
    assert row.status == "stopped" and row.desired == "running"


def test_worker_env_carries_settings_not_argv(fast_settings, db: Database):
    from engine.supervisor.environment import worker_env

    env = worker_env(fast_settings, db.url, {})
    assert env["JOBFLEET_STALE_AFTER"] == "3.0"
    assert env["JOBFLEET_DATABASE_URL"] == db.url


def test_demo_host_runs_only_its_own_nodes_and_other_hosts_leave_them(fast_settings, db):
    from engine.fleet.hosts import demo_host_name

    demo_settings = fast_settings.model_copy(update={"host_name": demo_host_name("fakehost")})
    mine = nodes.deploy(db, spec("demo-mine"), host=demo_settings.host_name)
    other = nodes.deploy(db, spec("someone-elses"))
    demo = make(demo_settings, db)
    try:
        for _ in range(3):
            demo._tick_once()
        assert nodes.get_node(db, mine).status == "starting"
        row = nodes.get_node(db, other)
        assert (row.status, row.host_id) == ("stopped", None)  # not claimed by the demo
    finally:
        demo.shutdown(stop_workers=True)
    assert nodes.get_node(db, mine).status == "stopped"
    with db.connection() as conn:  # the demo's lease long expired
        conn.execute(
            "UPDATE hosts SET heartbeat_at = now() - interval '1 hour' WHERE hostname = %s",
            (demo_settings.host_name,),
        )
    plain = make(fast_settings, db)
    try:
        for _ in range(3):
            plain._tick_once()
        assert nodes.get_node(db, other).status == "starting"
        row = nodes.get_node(db, mine)
        assert (row.status, row.host, row.restarts) == ("stopped", demo_settings.host_name, 0)
    finally:
        plain.shutdown(stop_workers=True)

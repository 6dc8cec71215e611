"""A worker above its node's memory limit is recycled: real workers, a real supervisor (in this
process), the simulated boards.

The one thing pretended is the size: a worker cannot be made to grow on demand, so the
supervisor's Procs reports the chosen workers' RSS plus 1 GiB. Everything else — SIGTERM, the exit,
the restart, the counters, the crash-loop brake — is the real thing.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from engine.db.handle import Database
from engine.fleet import nodes
from engine.fleet.events import fetch_logs
from engine.fleet.spec import parse_spec
from engine.settings import Settings
from engine.supervisor.loop import Supervisor
from engine.supervisor.procs import Identity, Procs
from tests.e2e.conftest import node_spec
from tests.e2e.lifecycle_helpers import wait_for, workers_by_node

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

GIB = 1 << 30


class InflatingProcs(Procs):
    """Real process operations; the RSS of chosen pids (or of every pid) reads 1 GiB larger."""

    def __init__(self) -> None:
        super().__init__()
        self.inflated: set[int] = set()
        self.inflate_all = False

    def rss(self, ident: Identity) -> int | None:
        real = super().rss(ident)
        if real is not None and (self.inflate_all or ident.pid in self.inflated):
            return real + GIB
        return real


def settings_for(db_url: str, home: Path, **over: float) -> Settings:
    values: dict = dict(
        heartbeat_interval=0.5,
        stale_after=3,
        host_stale_after=5,
        stop_grace=2,
        start_secs=1,
        start_retries=3,
        backoff_base=0.5,
        backoff_max=2,
        min_available_mb=50,
        search_timeout=60,
    )
    values.update(over)
    return Settings(database_url=db_url, home=home, **values)


@pytest.fixture
def run_supervisor(db_url: str, jf_home: Path, fast_env) -> Iterator:
    # fast_env: the proxy password in the environment, and every stray worker killed at the end.
    started: list[Supervisor] = []
    dbs: list[Database] = []

    def run(procs: Procs, **over: float) -> Supervisor:
        settings = settings_for(db_url, jf_home, **over)
        db = Database(settings)
        dbs.append(db)
        sup = Supervisor(settings, db, procs)
        sup.start()
        started.append(sup)
        return sup

    yield run
    for sup in started:
        sup.shutdown(stop_workers=True)
    for db in dbs:
        db.close()


def running(db, node_id):
    row = nodes.get_node(db, node_id)
    if row.status == "running" and row.heartbeat_age_s is not None and row.pid:
        return row
    return None


def status_messages(db, node_id):
    return [
        e["message"] for e in fetch_logs(db, node_id=node_id, limit=5000) if e["event"] == "status"
    ]


def test_worker_over_its_limit_is_recycled_and_goes_on(sim, fast_db, run_supervisor, db_url):
    node_id = nodes.deploy(fast_db, parse_spec(node_spec(sim, "mem", memory_limit_mb=256)))
    procs = InflatingProcs()
    run_supervisor(procs, start_secs=1)
    row = wait_for(lambda: running(fast_db, node_id), what="running")
    pid = row.pid
    assert row.rss_bytes < 256 * 2**20  # the real worker is well under its limit
    proc = psutil.Process(pid)
    # Old enough that its exit is no fast crash (the test picks its moment; nothing is timed).
    wait_for(lambda: time.time() - proc.create_time() > 2, what="the worker past start_secs")

    procs.inflated.add(pid)
    row = wait_for(
        lambda: (r := running(fast_db, node_id)) and r.pid != pid and r,
        what="a fresh worker after the recycle",
    )
    assert row.restarts == 1 and row.status == "running"
    assert "memory_limit_mb of 256" in (row.last_error or "")
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    assert workers_by_node(db_url) == {node_id: [row.pid]}
    events = [e["event"] for e in fetch_logs(fast_db, node_id=node_id, limit=5000)]
    assert "worker_recycled" in events
    # It left through SIGTERM, cleanly (not killed after the grace period).
    assert "worker_killed" not in events
    assert any("recycled: memory" in m for m in status_messages(fast_db, node_id))


def test_worker_always_over_its_limit_ends_fatal_not_looping(sim, fast_db, run_supervisor, db_url):
    node_id = nodes.deploy(fast_db, parse_spec(node_spec(sim, "memloop", memory_limit_mb=64)))
    procs = InflatingProcs()
    procs.inflate_all = True
    run_supervisor(procs, start_secs=60, start_retries=3)

    row = wait_for(lambda: (r := nodes.get_node(fast_db, node_id)).status == "fatal" and r,
                   what="fatal")  # fmt: skip
    assert row.restarts == 3
    assert "memory_limit_mb of 64" in row.last_error
    messages = status_messages(fast_db, node_id)
    assert any("3 fast crashes in a row" in m and "memory_limit_mb" in m for m in messages)
    assert node_id not in workers_by_node(db_url)

"""Spooled batches always land: a whole scrape is spooled before any site is stored, the
supervisor replays every spool directory (removed nodes included), and the spool is private."""

from __future__ import annotations

import dataclasses
import stat
import sys
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

from engine.db.handle import Database
from engine.fleet import nodes
from engine.fleet.events import fetch_logs
from engine.fleet.spec import parse_spec
from engine.jobs.ingest import Store
from engine.jobs.spool import SPOOL_SUFFIX, RunInfo, read_spool, spooled, write_spool
from engine.settings import Settings
from engine.supervisor.loop import Supervisor
from engine.supervisor.procs import Procs
from engine.supervisor.spool_sweep import SPOOL_GLOB, SpoolSweeper
from tests.integration.test_store import fetch, records
from tests.integration.test_supervisor import FakeProcs, fast_settings  # noqa: F401

TIMEOUT = 60.0


def wait_for(predicate: Any, what: str) -> Any:
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def run(site: str, node_id: int | None) -> RunInfo:
    return RunInfo(site=site, node_id=node_id, started_at=datetime.now(UTC), search_term="rust")


def test_the_sweeper_glob_is_the_spool_suffix() -> None:
    assert f"*{SPOOL_SUFFIX}" == SPOOL_GLOB


def test_a_whole_scrape_is_spooled_before_any_site_is_stored(
    db: Database, settings: Settings, db_url: str
) -> None:
    node_dir = settings.spool_dir / "node-7"
    store = Store(db, node_dir)
    linkedin, indeed = records(3), records(2, start=10, site="indeed")
    with psycopg.connect(db_url) as blocker:
        blocker.execute("LOCK TABLE jobs IN ACCESS EXCLUSIVE MODE")
        results: list[Any] = []
        saver = threading.Thread(
            target=lambda: results.append(
                store.save_scrape([(run("linkedin", None), linkedin), (run("indeed", 0), indeed)])
            ),
            daemon=True,
        )
        saver.start()
        # Both files are there while the first store waits for the lock.
        spooled_files = wait_for(lambda: len(store.pending()) == 2 and store.pending(), "2 files")
        sites = sorted(read_spool(p).run.site for p in spooled_files)  # type: ignore[union-attr]
        assert sites == ["indeed", "linkedin"]
        # Locked by their writer: a replay elsewhere (the supervisor's) skips them.
        assert Store(db, node_dir).replay_spool() == 0
        blocker.rollback()
    saver.join(TIMEOUT)
    assert [(r.found, r.new) for r in results[0]] == [(3, 3), (2, 2)]
    assert store.pending() == []
    assert fetch(db, "SELECT count(*) AS n FROM jobs")[0]["n"] == 5
    assert fetch(db, "SELECT count(*) AS n FROM scrape_runs")[0]["n"] == 2


def test_a_scrape_the_database_cannot_take_stays_spooled_whole(
    settings: Settings, db: Database
) -> None:
    nowhere = "postgresql://nobody@127.0.0.1:1/none"
    down = Database(Settings(database_url=nowhere, home=settings.home))
    store = Store(down, settings.spool_dir / "node-3")
    results = store.save_scrape([(run("linkedin", 3), records(2)), (run("indeed", 3), [])])
    assert results == [None, None]
    assert len(store.pending()) == 2
    # The run of a site that found nothing is kept too.
    assert Store(db, store.spool_dir).replay_spool() == 2
    assert fetch(db, "SELECT count(*) AS n FROM scrape_runs")[0]["n"] == 2


def test_supervisor_replays_a_removed_nodes_spool_at_start(
    fast_settings: Settings,  # noqa: F811
    db: Database,
) -> None:
    gone = nodes.deploy(db, parse_spec({"name": "gone", "search_term": "x", "country": "US"}))
    nodes.delete_node(db, gone)
    path = write_spool(
        fast_settings.spool_dir / f"node-{gone}",
        uuid.uuid4(),
        run("linkedin", gone),
        [dataclasses.replace(r, node_id=gone) for r in records(4)],
    )
    imported = write_spool(fast_settings.spool_dir, uuid.uuid4(), None, records(2, start=20))
    sup = Supervisor(fast_settings, db, FakeProcs(), tick=0.1)
    sup.start()
    try:
        wait_for(lambda: not path.exists() and not imported.exists(), "the spool replayed")
        events = wait_for(
            lambda: [e for e in fetch_logs(db, limit=500) if e["event"] == "spool_replayed_orphan"],
            "the replay events",
        )
    finally:
        sup.shutdown()
    jobs = fetch(db, "SELECT node_id, count(*) AS n FROM jobs GROUP BY node_id ORDER BY node_id")
    assert jobs == [{"node_id": gone, "n": 4}, {"node_id": None, "n": 2}]
    # The run's foreign key: the removed node's run has no node, as ON DELETE SET NULL gives.
    assert fetch(db, "SELECT node_id, found FROM scrape_runs") == [{"node_id": None, "found": 4}]
    assert sorted(e["fields"]["found"] for e in events) == [2, 4]
    assert all(e["node_id"] is None for e in events)


def test_sweeper_skips_a_file_its_writer_holds(settings: Settings, db: Database) -> None:
    events = _Events()
    sweeper = SpoolSweeper(db, settings.spool_dir, events, interval=60)  # type: ignore[arg-type]
    node_dir = settings.spool_dir / "node-5"
    with spooled(node_dir, uuid.uuid4(), run("linkedin", None), records(1)) as held:
        assert sweeper.sweep() == 0
        assert held.exists()
    assert sweeper.sweep() == 1
    assert not held.exists()
    assert [name for name, _ in events.seen] == ["spool_replayed_orphan"]


class _Events:
    def __init__(self) -> None:
        self.seen: list[tuple[str, dict[str, Any]]] = []

    def info(self, event: str, message: str = "", **fields: Any) -> None:
        self.seen.append((event, fields))


def test_spool_files_and_directories_are_private(settings: Settings, tmp_path: Path) -> None:
    node_dir = settings.spool_dir / "node-1"
    with spooled(node_dir, uuid.uuid4(), None, records(1)) as path:
        assert mode(path) == 0o600
        assert mode(node_dir) == 0o700
        assert mode(settings.spool_dir) == 0o700
    # An older, world-readable spool directory is made private on its next use.
    node_dir.chmod(0o755)
    write_spool(node_dir, uuid.uuid4(), None, records(1))
    assert mode(node_dir) == 0o700
    bad = node_dir / f"0001-1-bad{SPOOL_SUFFIX}"
    bad.write_text("not json\n")
    store = Store(Database(settings), node_dir)
    store._move_aside(bad)
    assert mode(store.failed_dir) == 0o700


def test_worker_log_directory_is_private(tmp_path: Path) -> None:
    procs = Procs()
    log_path = tmp_path / "home" / "logs" / "node-1.log"
    ident = procs.spawn([sys.executable, "-c", "pass"], {}, log_path)
    wait_for(lambda: procs.reap() or not procs.is_alive(ident), "the child's exit")
    assert mode(log_path.parent) == 0o700
    assert mode(log_path) == 0o600

"""Nothing scraped is lost when a worker dies or its node is removed in the middle of a store, and
a worker that crashed resumes its cycle where it stopped. Real supervisor, workers and scrape
children against the simulated boards; the store is held up by a table lock this test owns.

No timing assertions: every wait has a generous timeout that only guards against hangs.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import psutil
import psycopg
import pytest

from engine.db.handle import Database
from engine.fleet import nodes
from engine.fleet.events import fetch_logs
from engine.fleet.spec import parse_spec
from engine.jobs.spool import SpoolFile, read_spool
from tests.e2e.conftest import node_spec
from tests.e2e.lifecycle_helpers import wait_for

pytestmark = pytest.mark.e2e


def spooled_batches(node_dir: Path) -> list[SpoolFile]:
    out = []
    for path in sorted(node_dir.glob("*.jsonl")):
        with contextlib.suppress(FileNotFoundError):
            out.append(read_spool(path))
    return out


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def stored_urls(db: Database, urls: set[str]) -> set[str]:
    with db.connection() as conn:
        rows = conn.execute("SELECT job_url FROM jobs WHERE job_url = ANY(%s)", (list(urls),))
        return {r["job_url"] for r in rows.fetchall()}


def runs_of(db: Database, spool: SpoolFile) -> int:
    assert spool.run is not None
    with db.connection() as conn:
        return int(
            conn.execute(
                "SELECT count(*) AS n FROM scrape_runs WHERE site = %s AND started_at = %s",
                (spool.run.site, spool.run.started_at),
            ).fetchone()["n"]
        )


def test_rm_while_the_store_is_blocked_still_stores_the_batch(
    sim, fast_env, fast_db, supervisor, db_url, jf_home
):
    fast_env["JOBFLEET_SPOOL_REPLAY_INTERVAL"] = "1"
    spec = parse_spec(node_spec(sim, "rm-blocked", locations=["Austin"]))
    node_id = nodes.deploy(fast_db, spec)
    node_dir = jf_home / "spool" / f"node-{node_id}"
    with psycopg.connect(db_url) as blocker:
        blocker.execute("LOCK TABLE jobs IN ACCESS EXCLUSIVE MODE")
        supervisor.start()
        batches = wait_for(lambda: spooled_batches(node_dir), what="a spooled batch")
        urls = {r.job_url for b in batches for r in b.records}
        assert urls
        out = subprocess.run(
            [sys.executable, "-m", "engine", "rm", "--yes", "rm-blocked"],
            env=fast_env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert out.returncode == 0, out.stderr
        blocker.rollback()  # the database is fast again
    wait_for(lambda: stored_urls(fast_db, urls) == urls, what="the removed node's postings")
    wait_for(lambda: not any(node_dir.glob("*.jsonl")), what="the spool emptied")
    assert all(runs_of(fast_db, b) == 1 for b in batches)
    wait_for(
        lambda: [
            e
            for e in fetch_logs(fast_db, limit=2000)
            if e["event"] == "spool_replayed_orphan" and e["fields"].get("node") == node_id
        ],
        what="the replay reported",
    )


def test_kill_9_during_a_store_loses_no_site(sim, fast_env, fast_db, supervisor, db_url, jf_home):
    fast_env["JOBFLEET_SPOOL_REPLAY_INTERVAL"] = "1"
    spec = parse_spec(
        node_spec(sim, "kill-store", sites=["linkedin", "indeed"], locations=["Austin"])
    )
    node_id = nodes.deploy(fast_db, spec)
    node_dir = jf_home / "spool" / f"node-{node_id}"
    with psycopg.connect(db_url) as blocker:
        blocker.execute("LOCK TABLE jobs IN ACCESS EXCLUSIVE MODE")
        supervisor.start()
        # Both sites are on disk while the first one's store waits for the lock.
        batches = wait_for(
            lambda: (b := spooled_batches(node_dir)) and len({s.run.site for s in b}) == 2 and b,
            what="every site spooled",
        )
        pid = nodes.get_node(fast_db, node_id).pid
        assert pid
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
        wait_for(lambda: gone(pid), what="the worker killed")
        blocker.rollback()
    urls = {r.job_url for b in batches for r in b.records}
    assert urls
    wait_for(lambda: stored_urls(fast_db, urls) == urls, what="every site's postings")
    wait_for(lambda: not any(b.path.exists() for b in batches), what="those spool files settled")
    with fast_db.connection() as conn:
        ids = [b.batch_id for b in batches]
        done = conn.execute(
            "SELECT count(*) AS n FROM ingested_batches WHERE batch_id = ANY(%s)", (ids,)
        ).fetchone()["n"]
    assert done == len(batches)
    # Stored exactly once: one scrape_runs row per spooled site of that scrape.
    assert all(runs_of(fast_db, b) == 1 for b in batches)


def test_a_crashed_worker_resumes_its_cycle(sim, fast_env, fast_db, supervisor):
    locations = ["New York", "Austin", "Chicago"]
    spec = parse_spec(
        node_spec(sim, "resume", locations=locations, delay_min=5, delay_max=6, cycle_minutes=60)
    )
    node_id = nodes.deploy(fast_db, spec)
    supervisor.start()
    row = wait_for(
        lambda: (r := nodes.get_node(fast_db, node_id)).locations_done >= 1 and r.pid and r,
        what="the first location scraped",
    )
    os.killpg(row.pid, signal.SIGKILL)
    wait_for(lambda: gone(row.pid), what="the worker killed")
    at_kill = nodes.get_node(fast_db, node_id)  # the dead worker's last word
    assert at_kill.cycle == 1 and 1 <= at_kill.locations_done < len(locations)
    resumed = wait_for(
        lambda: [
            e
            for e in fetch_logs(fast_db, node_id=node_id, limit=500)
            if e["event"] == "cycle_resumed"
        ],
        what="the new worker resuming",
    )
    assert resumed[0]["fields"]["cycle"] == 1
    assert resumed[0]["fields"]["location"] == locations[at_kill.locations_done]
    row = wait_for(
        lambda: (r := nodes.get_node(fast_db, node_id)).locations_done == len(locations) and r,
        what="the cycle finished",
    )
    assert row.cycle == 1


def test_a_store_waiting_for_a_lock_does_not_silence_the_heartbeat(
    sim, fast_env, fast_db, supervisor, db_url, jf_home
):
    # The store waits on a lock far longer than the supervisor's stale limit (3 s here). The
    # heartbeat runs on its own connection, so the worker is not taken for hung and killed.
    spec = parse_spec(node_spec(sim, "lock-wait", locations=["Austin"]))
    node_id = nodes.deploy(fast_db, spec)
    node_dir = jf_home / "spool" / f"node-{node_id}"
    stale_after = float(fast_env["JOBFLEET_STALE_AFTER"])
    with psycopg.connect(db_url) as blocker:
        blocker.execute("LOCK TABLE jobs IN ACCESS EXCLUSIVE MODE")
        supervisor.start()
        wait_for(lambda: spooled_batches(node_dir), what="a spooled batch (the store now waits)")
        before = nodes.get_node(fast_db, node_id)
        assert before.pid and before.heartbeat_at
        # Beats keep coming well past the stale limit while the store still waits.
        wait_for(
            lambda: (
                (now := nodes.get_node(fast_db, node_id)).heartbeat_at is not None
                and (now.heartbeat_at - before.heartbeat_at).total_seconds() > 3 * stale_after
            ),
            what="heartbeats while the store waits",
        )
        during = nodes.get_node(fast_db, node_id)
        assert spooled_batches(node_dir), "the store went through although the table is locked"
        assert (during.pid, during.restarts) == (before.pid, before.restarts)
        blocker.rollback()
    wait_for(lambda: not any(node_dir.glob("*.jsonl")), what="the spool stored")
    assert nodes.get_node(fast_db, node_id).pid == before.pid

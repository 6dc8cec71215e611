"""`jobfleet edit` on a running node: its supervisor restarts the worker, and the new worker
scrapes with the new spec (real supervisor, real workers, the simulated boards)."""

from __future__ import annotations

import json

import psutil
import pytest

from engine.fleet import nodes
from engine.fleet.events import fetch_logs
from tests.cli import jobfleet
from tests.e2e.conftest import node_spec
from tests.e2e.lifecycle_helpers import wait_for

pytestmark = pytest.mark.e2e


def _scraped(db, node_id: int, location: str, after_id: int = 0) -> bool:
    with db.connection() as conn:
        row = conn.execute(
            "SELECT 1 FROM scrape_runs WHERE node_id = %s AND location = %s AND id > %s LIMIT 1",
            (node_id, location, after_id),
        ).fetchone()
    return row is not None


def _last_run_id(db, node_id: int) -> int:
    with db.connection() as conn:
        row = conn.execute(
            "SELECT coalesce(max(id), 0) AS id FROM scrape_runs WHERE node_id = %s", (node_id,)
        ).fetchone()
    return int(row["id"])


def _gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_edit_restarts_the_running_worker_on_the_new_spec(
    sim, fast_env, fast_db, supervisor, tmp_path
):
    supervisor.start()
    spec_file = tmp_path / "spec.json"
    spec_file.write_text(
        json.dumps(node_spec(sim, "edited", locations=["New York"], max_cycles=None)),
        encoding="utf-8",
    )
    deployed = jobfleet(fast_env, "deploy", "--file", str(spec_file))
    assert deployed.returncode == 0, deployed.stderr
    node_id = nodes.get_node(fast_db, "edited").id

    def running_pid() -> int | None:
        row = nodes.get_node(fast_db, node_id)
        return row.pid if row.status == "running" and row.heartbeat_age_s is not None else None

    old_pid = wait_for(running_pid, what="the worker running")
    wait_for(lambda: _scraped(fast_db, node_id, "New York"), what="a scrape of New York")

    edited = jobfleet(fast_env, "edit", "edited", "--location", "Austin")
    assert edited.returncode == 0, edited.stderr
    assert "locations ['New York'] -> ['Austin']" in edited.stdout
    assert "restart requested" in edited.stderr
    mark = _last_run_id(fast_db, node_id)

    new_pid = wait_for(
        lambda: (pid := running_pid()) is not None and pid != old_pid and pid,
        what="a new worker",
    )
    assert new_pid != old_pid
    wait_for(lambda: _gone(old_pid), what="the old worker gone")
    wait_for(lambda: _scraped(fast_db, node_id, "Austin", mark), what="a scrape of Austin")
    events = [e["event"] for e in fetch_logs(fast_db, node_id=node_id, limit=500)]
    assert "spec_changed" in events and "restart_requested" in events
    # The supervisor restarted it: not counted as a crash, not fatal, still wanted running.
    row = nodes.get_node(fast_db, node_id)
    assert row.desired == "running" and row.status == "running"

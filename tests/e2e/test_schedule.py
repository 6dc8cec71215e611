"""Active hours and run-once with a real supervisor, real workers and the simulated boards.

No timing assertions: the windows are chosen hours away from now, and every wait only guards
against hangs.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from engine.fleet import nodes
from engine.fleet.events import fetch_logs
from engine.fleet.spec import parse_spec
from tests.e2e.conftest import node_spec
from tests.e2e.lifecycle_helpers import wait_for, workers_by_node

pytestmark = pytest.mark.e2e


def cli(env, *args, check=True):
    return subprocess.run(
        [sys.executable, "-m", "engine", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=check,
    )


def closed_window() -> tuple[str, datetime]:
    """An active range (UTC) that opens two hours from now, and the moment it opens."""
    opens = (datetime.now(UTC) + timedelta(hours=2)).replace(second=0, microsecond=0)
    closes = opens + timedelta(hours=1)
    return f"{opens:%H:%M}-{closes:%H:%M}", opens


def runs_of(db, node_id) -> int:
    with db.connection() as conn:
        row = conn.execute(
            "SELECT count(*) AS n FROM scrape_runs WHERE node_id = %s", (node_id,)
        ).fetchone()
    return int(row["n"])


def reasons(db, node_id) -> list[str]:
    rows = fetch_logs(db, node_id=node_id, limit=500)
    return [
        str((r.get("fields") or {}).get("reason") or "") for r in rows if r["event"] == "status"
    ]


def test_outside_its_window_a_node_rests_scheduled_and_run_once_runs_one_cycle(
    sim, fast_env, fast_db, supervisor, db_url
):
    supervisor.start()
    active, opens = closed_window()
    spec = node_spec(sim, "night", sites=["linkedin"], locations=["New York", "Austin"])
    spec_args = [
        "--name", "night", "--search", str(spec["search_term"]), "--country", "US",
        "--sites", "linkedin", "--location", "New York", "--location", "Austin",
        "--results", "3", "--delay", "0-0", "--cycle-minutes", "0",
        "--proxy", str(spec["proxies"][0]), "--ca-cert", str(spec["ca_cert"]),
        "--active", active, "--timezone", "UTC",
    ]  # fmt: skip
    node_id = int(json.loads(cli(fast_env, "deploy", *spec_args, "--json").stdout)["id"])

    row = wait_for(
        lambda: (r := nodes.get_node(fast_db, node_id)).status == "scheduled" and r,
        what="scheduled",
    )
    assert row.desired == "running" and row.pid is None
    assert row.next_start_at == opens
    assert node_id not in workers_by_node(db_url)
    listed = {n["id"]: n for n in json.loads(cli(fast_env, "nodes", "--json").stdout)}
    assert listed[node_id]["status"] == "scheduled"
    assert datetime.fromisoformat(listed[node_id]["next_start_at"]) == opens
    table = cli(fast_env, "nodes").stdout
    assert f"night: scheduled {active} (UTC); next start {opens:%Y-%m-%d %H:%M} UTC" in table

    # One cycle now: both locations once, then back to scheduled.
    out = cli(fast_env, "run-once", "night")
    assert "one cycle requested" in out.stderr + out.stdout
    wait_for(
        lambda: "run-once cycle done" in " ".join(reasons(fast_db, node_id)),
        what="run-once done",
    )
    row = wait_for(
        lambda: (r := nodes.get_node(fast_db, node_id)).status == "scheduled" and r,
        what="scheduled again",
    )
    assert row.pid is None and not row.run_once and row.next_start_at == opens
    assert row.cycle == 1 and row.locations_done == 2
    assert runs_of(fast_db, node_id) == 2  # one scrape per location, one site
    assert node_id not in workers_by_node(db_url)

    # A stop ends the rest, also of a node no supervisor has claimed yet (it never ran).
    spec_other = parse_spec(node_spec(sim, "later", active=active, timezone="UTC"))
    other = nodes.deploy(fast_db, spec_other)
    wait_for(lambda: nodes.get_node(fast_db, other).status == "scheduled", what="other scheduled")
    assert nodes.get_node(fast_db, other).host_id is None
    cli(fast_env, "stop", "later")
    wait_for(lambda: nodes.get_node(fast_db, other).status == "stopped", what="stopped")


def test_run_once_of_a_stopped_node_returns_it_to_stopped(
    sim, fast_env, fast_db, supervisor, db_url
):
    supervisor.start()
    spec = parse_spec(node_spec(sim, "idle", locations=["Austin"], delay_min=0, delay_max=0))
    node_id = nodes.deploy(fast_db, spec, start=False)
    cli(fast_env, "run-once", str(node_id))
    wait_for(
        lambda: "run-once cycle done" in " ".join(reasons(fast_db, node_id)),
        what="run-once done",
    )
    row = wait_for(
        lambda: (r := nodes.get_node(fast_db, node_id)).status == "stopped" and r, what="stopped"
    )
    assert row.desired == "stopped" and not row.run_once and row.last_exit == 6
    assert runs_of(fast_db, node_id) == 1
    assert node_id not in workers_by_node(db_url)


def test_window_close_lets_the_worker_finish_and_rest(sim, fast_env, fast_db, supervisor, db_url):
    supervisor.start()
    spec = parse_spec(node_spec(sim, "day", delay_min=1, delay_max=2))
    node_id = nodes.deploy(fast_db, spec)
    wait_for(lambda: runs_of(fast_db, node_id) >= 1, what="a first scrape")
    pid = nodes.get_node(fast_db, node_id).pid
    assert pid
    refused = cli(fast_env, "run-once", "day", check=False)
    assert refused.returncode == 1 and "its worker already runs cycles" in refused.stderr

    # The window closes (the spec is changed without a restart request, as the clock passing
    # the window's end would): the worker is asked to end after its scrape, exits on its own,
    # and the node rests until the window opens.
    active, opens = closed_window()
    nodes.update_spec(
        fast_db,
        node_id,
        spec.model_copy(update={"active": active, "timezone": "UTC"}),
        restart=False,
    )
    row = wait_for(
        lambda: (r := nodes.get_node(fast_db, node_id)).status == "scheduled" and r,
        what="scheduled after the window closed",
    )
    assert row.next_start_at == opens and row.desired == "running"
    assert row.last_exit == 0  # it left on its own: no SIGTERM, no SIGKILL
    said = reasons(fast_db, node_id)
    assert "outside its active hours: ending after the current scrape" in said
    assert not any("SIGTERM" in r or "not finished" in r for r in said)
    events = {r["event"] for r in fetch_logs(fast_db, node_id=node_id, limit=500)}
    assert "worker_killed" not in events
    wait_for(lambda: node_id not in workers_by_node(db_url), what="worker gone")

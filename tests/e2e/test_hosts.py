"""Several hosts on one database, and the dead man's switch, with real processes.

The "hosts" are supervisors with different JOBFLEET_HOST_NAME on this machine. No timing
assertions: every wait has a generous timeout that only guards against hangs.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from engine.fleet import nodes
from engine.fleet.events import fetch_logs
from engine.fleet.spec import parse_spec
from tests.e2e.conftest import node_spec
from tests.e2e.lifecycle_helpers import SupervisorProc, wait_for, workers_by_node

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

# A worker leaves this soon after its supervisor's lease stops being renewed; another host takes
# its nodes over after dead_man_after + stop_grace + 2 heartbeats (3 + 2 + 1 s here).
DEAD_MAN = {"JOBFLEET_DEAD_MAN_AFTER": "3", "JOBFLEET_HOST_STALE_AFTER": "2"}


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def running(db, node_id):
    row = nodes.get_node(db, node_id)
    if row.status == "running" and row.heartbeat_age_s is not None and row.pid:
        return row
    return None


def status_events(db, node_id):
    return [e for e in fetch_logs(db, node_id=node_id, limit=5000) if e["event"] == "status"]


@pytest.fixture
def hosts(fast_env, tmp_path: Path) -> Iterator[dict[str, SupervisorProc]]:
    made: dict[str, SupervisorProc] = {}
    for name in ("alpha", "beta"):
        logs = tmp_path / f"logs-{name}"
        logs.mkdir()
        env = {**fast_env, **DEAD_MAN, "JOBFLEET_HOST_NAME": name}
        made[name] = SupervisorProc(env, logs)
    yield made
    for sup in made.values():
        if sup.proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(sup.pid, signal.SIGCONT)
        sup.stop()


def test_dead_man_switch_worker_leaves_when_its_supervisor_freezes(sim, fast_db, hosts, db_url):
    sup = hosts["alpha"]
    spec = node_spec(sim, "deadman", delay_min=0, delay_max=0, max_cycles=None)
    node_id = nodes.deploy(fast_db, parse_spec(spec))
    sup.start()
    pid = wait_for(lambda: running(fast_db, node_id), what="running").pid
    worker = psutil.Process(pid)
    # Scraping back to back: freeze the supervisor while a scrape child runs.
    children = wait_for(lambda: worker.children(recursive=True), what="a scrape child")
    os.kill(sup.pid, signal.SIGSTOP)

    wait_for(lambda: gone(pid), what="the worker to leave on its own")
    for child in children:
        wait_for(lambda child=child: gone(child.pid), what="its scrape child to be gone too")
    row = nodes.get_node(fast_db, node_id)
    assert row.last_exit == 4, row  # written by the worker itself on its way out
    assert any(e["event"] == "dead_man_switch" for e in fetch_logs(fast_db, node_id=node_id))

    # The supervisor wakes up, collects exit code 4 and starts a fresh worker.
    os.kill(sup.pid, signal.SIGCONT)
    row = wait_for(
        lambda: (r := running(fast_db, node_id)) and r.pid != pid and r,
        what="a fresh worker",
    )
    assert workers_by_node(db_url) == {node_id: [row.pid]}
    assert any("exited with code 4" in e["message"] for e in status_events(fast_db, node_id))


def test_two_hosts_racing_never_start_a_node_twice(sim, fast_db, hosts, db_url):
    ids = [
        nodes.deploy(fast_db, parse_spec(node_spec(sim, f"race{i}", delay_min=60, delay_max=90)))
        for i in range(10)
    ]
    hosts["alpha"].start()
    hosts["beta"].start()

    rows = wait_for(
        lambda: all(running(fast_db, i) for i in ids) and [nodes.get_node(fast_db, i) for i in ids],
        what="ten running nodes",
    )
    by_node = workers_by_node(db_url)
    assert sorted(by_node) == sorted(ids)
    for row in rows:
        assert by_node[row.id] == [row.pid], (row.id, by_node)
        assert row.host in ("alpha", "beta")
        # Exactly one spawn per node, and no worker was killed or replaced.
        starts = [e for e in status_events(fast_db, row.id) if e["fields"]["new"] == "starting"]
        assert len(starts) == 1, starts
    bad = {"worker_killed", "worker_orphaned", "worker_exit"}
    assert not [e for e in fetch_logs(fast_db, limit=5000) if e["event"] in bad]


def test_lost_host_nodes_are_taken_over_only_after_its_workers_left(
    sim, fast_env, fast_db, hosts, db_url
):
    alpha, beta = hosts["alpha"], hosts["beta"]
    alpha.start()
    free = [
        nodes.deploy(fast_db, parse_spec(node_spec(sim, f"free{i}", delay_min=5, delay_max=10)))
        for i in range(2)
    ]
    out = subprocess.run(
        [sys.executable, "-m", "engine", "deploy", "--host", "alpha", "--name", "pinned",
         "--search", "python", "--country", "US", "--sites", "linkedin", "--location", "Austin",
         "--delay", "5-10", "--proxy", node_spec(sim, "x")["proxies"][0],
         "--ca-cert", sim.ca_path, "--json"],
        env={**fast_env, "JOBFLEET_HOST_NAME": "beta"},  # deployed from another host's shell
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    pinned = int(json.loads(out.stdout)["id"])
    ids = [*free, pinned]
    old = {i: wait_for(lambda i=i: running(fast_db, i), what="running on alpha") for i in ids}
    assert {r.host for r in old.values()} == {"alpha"}
    assert nodes.get_node(fast_db, pinned).pinned
    beta.start()
    wait_for(
        lambda: any(e["event"] == "supervisor_started" and e["fields"].get("host") == "beta"
                    for e in fetch_logs(fast_db, limit=5000)),
        what="beta up",
    )  # fmt: skip

    alpha.kill9()

    def taken_over():
        # Sampled all along: never two workers for one node, and a new worker only once the old
        # one is gone.
        workers = workers_by_node(db_url)
        for i in ids:
            assert len(workers.get(i, [])) <= 1, workers
        for i in free:
            row = running(fast_db, i)
            if row is None or row.pid == old[i].pid:
                return False
            assert gone(old[i].pid), "a node ran on two hosts at once"
            assert row.host == "beta"
        return True

    wait_for(taken_over, what="beta to take the free nodes over")
    for i in free:
        messages = [e["message"] for e in status_events(fast_db, i)]
        assert any("lost" in m and "lease stale" in m for m in messages), messages
        assert any("taken over from lost host alpha" in m for m in messages), messages
        assert nodes.get_node(fast_db, i).restarts == 0  # not counted as a crash

    # The pinned node waits for its own host: lost, its old worker gone, nothing new.
    wait_for(lambda: gone(old[pinned].pid), what="the pinned node's old worker to leave")
    row = nodes.get_node(fast_db, pinned)
    assert row.status == "lost" and row.host == "alpha", row
    assert pinned not in workers_by_node(db_url)

    # alpha comes back: it restarts its pinned node and leaves beta's alone.
    alpha.start()
    row = wait_for(lambda: running(fast_db, pinned), what="the pinned node back on alpha")
    assert row.host == "alpha"
    workers = workers_by_node(db_url)
    for i in ids:
        assert workers[i] == [nodes.get_node(fast_db, i).pid], workers
    for i in free:
        assert nodes.get_node(fast_db, i).host == "beta"

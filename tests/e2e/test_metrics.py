"""/metrics of a real headless supervisor whose real worker scrapes the simulated boards: the
series carry the scrapes' values, the counters survive a restart of the supervisor and the
retention of scrape_runs, and the endpoint listens on 127.0.0.1 unless told otherwise."""

from __future__ import annotations

import socket
import urllib.error
import urllib.request
from pathlib import Path

import psutil
import pytest
from prometheus_client.parser import text_string_to_metric_families

from engine.fleet import nodes
from engine.fleet.spec import parse_spec
from engine.fleet.states import NodeStatus
from tests.e2e.conftest import node_spec
from tests.e2e.lifecycle_helpers import SupervisorProc, wait_for

pytestmark = pytest.mark.e2e

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def fetch(port: int) -> Samples | None:
    """The parsed /metrics, or None while nothing answers on the port."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=30) as resp:
            text = resp.read().decode()
    except (urllib.error.URLError, ConnectionError):
        return None
    out: Samples = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, frozenset(s.labels.items()))] = s.value
    return out


def value(got: Samples, name: str, **labels: str) -> float | None:
    return got.get((name, frozenset(labels.items())))


def total(got: Samples, name: str, **labels: str) -> float:
    """The sum of the samples of ``name`` whose labels include ``labels``."""
    want = set(labels.items())
    return sum(v for (n, ls), v in got.items() if n == name and want <= ls)


def counters(got: Samples, node: str) -> Samples:
    kinds = ("jobfleet_scrapes_total", "jobfleet_jobs_", "jobfleet_scrape_duration_")
    return {
        k: v
        for k, v in got.items()
        if k[0].startswith(kinds) and (("node", node) in k[1] or k[0].startswith(kinds[2]))
    }


def test_metrics_of_a_scraping_node_survive_a_supervisor_restart(
    sim, fast_env, fast_db, tmp_path: Path
):
    port = _free_port()
    logs = tmp_path / "first"
    logs.mkdir()
    first = SupervisorProc({**fast_env, "JOBFLEET_METRICS_PORT": str(port)}, logs).start()
    second: SupervisorProc | None = None
    try:
        spec = parse_spec(node_spec(sim, "metered", sites=["linkedin", "indeed"]))
        node_id = nodes.deploy(fast_db, spec)
        host = fast_env.get("JOBFLEET_HOST_NAME") or socket.gethostname()

        # A whole cycle (two locations, two sites) and the worker's memory report.
        got = wait_for(
            lambda: (
                (m := fetch(port))
                and total(m, "jobfleet_scrapes_total", node="metered", outcome="ok") >= 4
                and value(m, "jobfleet_worker_rss_bytes", node="metered")
                and m
            ),
            timeout=240,
            what="four ok scrapes in /metrics",
        )
        assert value(got, "jobfleet_node_status", node="metered", host=host, status="running") == 1
        others = [s for s in NodeStatus if s != NodeStatus.RUNNING]
        assert all(
            value(got, "jobfleet_node_status", node="metered", host=host, status=s) is None
            for s in others
        )
        assert value(got, "jobfleet_node_health", node="metered", health="ok") == 1
        assert value(got, "jobfleet_node_health", node="metered", health="failing") is None
        for site in ("linkedin", "indeed"):
            assert value(got, "jobfleet_jobs_found_total", node="metered", site=site)
            assert value(got, "jobfleet_scrape_duration_seconds_count", site=site, outcome="ok")
        assert total(got, "jobfleet_jobs_new_total", node="metered") > 0
        rss = value(got, "jobfleet_worker_rss_bytes", node="metered")
        assert rss is not None and 10 * 2**20 < rss < 2**30
        assert value(got, "jobfleet_worker_restarts_total", node="metered") == 0
        assert value(got, "jobfleet_spool_pending_batches", host=host) is not None
        assert value(got, "jobfleet_supervisor_up", host=host) == 1
        assert value(got, "jobfleet_database_up", host=host) == 1

        # Listening on the loopback only (JOBFLEET_METRICS_HOST unset).
        listening = [
            c.laddr
            for c in psutil.Process(first.pid).net_connections("tcp")
            if c.status == psutil.CONN_LISTEN and c.laddr.port == port
        ]
        assert [a.ip for a in listening] == ["127.0.0.1"]

        # Stop the node so the counters hold still, then restart the supervisor (with the
        # command-line option this time) after the retention deleted every scrape_runs row.
        nodes.request_stop(fast_db, node_id)
        wait_for(lambda: nodes.get_node(fast_db, node_id).status == "stopped", what="stopped")
        before = wait_for(
            lambda: (
                (m := fetch(port))
                and value(m, "jobfleet_node_status", node="metered", host=host, status="stopped")
                and m
            ),
            what="stopped in /metrics",
        )
        assert first.terminate() == 0
        assert fetch(port) is None
        with fast_db.connection() as conn:
            assert conn.execute("DELETE FROM scrape_runs").rowcount >= 4
        logs = tmp_path / "second"
        logs.mkdir()
        second = SupervisorProc(fast_env, logs, "--metrics-port", str(port)).start()
        after = wait_for(lambda: fetch(port), what="/metrics after the restart")
        assert counters(before, "metered")
        assert counters(after, "metered") == counters(before, "metered")
        assert total(after, "jobfleet_scrapes_total", node="metered", outcome="ok") >= 4
        assert value(after, "jobfleet_worker_rss_bytes", node="metered") is None  # no worker
        assert value(after, "jobfleet_node_health", node="metered", health="unknown") == 1
    finally:
        first.stop()
        if second is not None:
            second.stop()

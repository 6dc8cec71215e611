"""Prometheus metrics, served by the supervisor when ``JOBFLEET_METRICS_PORT`` is set.

prometheus_client's own HTTP server answers ``/metrics`` from a thread of its own (one thread
per request); at each scrape ``FleetCollector`` reads the database on a connection of its own, so
a scrape never waits for the supervisor's loop, nor the loop for a scrape. Nothing is counted in
this process's memory: the counters come from ``scrape_totals`` (sql/0015, kept by a trigger on
``scrape_runs`` and never pruned) and ``nodes.restarts``, so they survive restarts of the
supervisor, and any supervisor reports the same values.

Every series but the spool's describes the whole fleet as the database knows it, whichever
host serves it: scrape one supervisor per database, or aggregate the duplicates away (README,
"Metrics"). The spool lives on this host's disk, so ``jobfleet_spool_*`` carry ``host``.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import psycopg
from prometheus_client import CollectorRegistry, make_wsgi_app, start_http_server
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from engine.db.connections import SharedConnection
from engine.db.handle import Database
from engine.db.queries import q
from engine.errors import DatabaseUnavailable, UserError
from engine.fleet.events import EventWriter
from engine.fleet.hosts import LIST_HOSTS_PARAMS, host_rows
from engine.fleet.states import PROCESS_STATES
from engine.settings import Settings
from engine.supervisor.spool_sweep import SPOOL_GLOB

log = logging.getLogger(__name__)

# engine.jobs.spool.FAILED_DIR (a test keeps them equal): batches the store refused for good.
FAILED_DIR = "failed"


def spool_counts(spool_root: Path) -> tuple[int, int]:
    """(batches waiting to be stored, batches refused for good) under this host's spool."""
    if not spool_root.is_dir():
        return 0, 0
    waiting = failed = 0
    with contextlib.suppress(OSError):  # a directory removed while we look
        waiting = sum(1 for _ in spool_root.glob(SPOOL_GLOB))
        for sub in spool_root.iterdir():
            if sub.is_dir():
                n = sum(1 for _ in sub.glob(SPOOL_GLOB))
                if sub.name == FAILED_DIR:
                    failed += n
                else:
                    waiting += n
    return waiting, failed


class FleetCollector(Collector):
    """The fleet's series, read from the database at each scrape."""

    def __init__(self, settings: Settings, conn: SharedConnection) -> None:
        self.settings = settings
        self.conn = conn
        self._bounds: list[float] | None = None
        self._db_down = False

    def describe(self) -> Iterable[Metric]:
        return []  # registering must not read the database

    def collect(self) -> Iterator[Metric]:
        host = self.settings.host_name
        waiting, failed = spool_counts(self.settings.spool_dir)
        yield _host_gauge(
            "jobfleet_spool_pending_batches",
            "Scraped batches spooled on this host's disk, waiting to be stored.",
            host,
            waiting,
        )
        yield _host_gauge(
            "jobfleet_spool_failed_batches",
            "Spooled batches the store refused for good (spool/failed on this host).",
            host,
            failed,
        )
        try:
            fleet = list(self._fleet())
        except (DatabaseUnavailable, psycopg.Error) as exc:
            if not self._db_down:  # once per outage: Prometheus may ask every few seconds
                self._db_down = True
                log.warning("metrics: the database did not answer: %s", exc)
            fleet = []
        else:
            self._db_down = False
        yield _host_gauge(
            "jobfleet_database_up",
            "1 when this host's supervisor could read the database for this scrape.",
            host,
            0 if self._db_down else 1,
        )
        yield from fleet

    def _fleet(self) -> Iterator[Metric]:
        with self.conn.connection() as conn:
            if self._bounds is None:
                row = conn.execute(q("metrics_duration_bounds")).fetchone()
                self._bounds = [float(b) for b in (row["bounds"] if row else [])]
            # One round trip for the four reads (psycopg's pipeline mode): on a busy machine
            # each round trip is one more wait for a core, and the tail of /metrics' latency.
            with conn.pipeline():
                reads = [
                    conn.execute(
                        q("metrics_nodes"), {"failing_after": self.settings.failing_after}
                    ),
                    conn.execute(q("metrics_node_totals")),
                    conn.execute(q("metrics_durations")),
                    conn.execute(q("list_hosts"), LIST_HOSTS_PARAMS),
                ]
            nodes, totals, durations, host_list = (cursor.fetchall() for cursor in reads)
        hosts = host_rows(host_list, stale_after=self.settings.host_stale_after)
        yield from _node_series(nodes)
        yield from _scrape_series(totals, durations, self._bounds)
        up = GaugeMetricFamily(
            "jobfleet_supervisor_up",
            "1 while the host's supervisor holds its lock and renews its lease (jobfleet hosts).",
            labels=["host"],
        )
        for h in hosts:
            up.add_metric([str(h["name"])], 1 if h["alive"] else 0)
        yield up


def _host_gauge(name: str, documentation: str, host: str, value: float) -> Metric:
    gauge = GaugeMetricFamily(name, documentation, labels=["host"])
    gauge.add_metric([host], value)
    return gauge


def _node_series(nodes: list[dict[str, Any]]) -> Iterator[Metric]:
    status = GaugeMetricFamily(
        "jobfleet_node_status",
        "1 for the node's current status (host: where it runs or is pinned).",
        labels=["node", "host", "status"],
    )
    health = GaugeMetricFamily(
        "jobfleet_node_health",
        "1 for the node's health judged from its recent scrapes.",
        labels=["node", "health"],
    )
    desired = GaugeMetricFamily(
        "jobfleet_node_desired_running",
        "1 when someone asked the node to run, 0 when to stay stopped.",
        labels=["node"],
    )
    rss = GaugeMetricFamily(
        "jobfleet_worker_rss_bytes",
        "Resident memory of the node's worker as it last reported; absent without a worker.",
        labels=["node"],
    )
    restarts = CounterMetricFamily(
        "jobfleet_worker_restarts",
        "Times the node's worker died unasked and was started again.",
        labels=["node"],
    )
    # Only the current status and health, not a 0 for each of the others: those zeros were
    # 12 of a node's 27 samples and 40 % of a scrape's CPU (bench/bench_supervisor_overhead.py),
    # and `count by (status)`, `sum by (status)` and `{status="fatal"} == 1` read the same
    # without them.
    for n in nodes:
        name, host = str(n["name"]), str(n["host"] or "")
        status.add_metric([name, host, str(n["status"])], 1)
        health.add_metric([name, str(n["health"])], 1)
        desired.add_metric([name], 1 if n["desired"] == "running" else 0)
        if n["rss_bytes"] is not None and n["status"] in PROCESS_STATES:
            rss.add_metric([name], float(n["rss_bytes"]))
        restarts.add_metric([name], float(n["restarts"] or 0))
    yield from (status, health, desired, rss, restarts)


def _scrape_series(
    totals: list[dict[str, Any]], durations: list[dict[str, Any]], bounds: list[float]
) -> Iterator[Metric]:
    scrapes = CounterMetricFamily(
        "jobfleet_scrapes",
        "Scrapes (one board query) by outcome.",
        labels=["node", "site", "outcome"],
    )
    found = CounterMetricFamily(
        "jobfleet_jobs_found", "Postings the node's scrapes returned.", labels=["node", "site"]
    )
    new = CounterMetricFamily(
        "jobfleet_jobs_new", "Postings the node stored first.", labels=["node", "site"]
    )
    per_site: dict[tuple[str, str], list[float]] = {}
    for t in totals:
        scrapes.add_metric([t["node"], t["site"], t["outcome"]], float(t["runs"]))
        sums = per_site.setdefault((t["node"], t["site"]), [0.0, 0.0])
        sums[0] += float(t["found"])
        sums[1] += float(t["new"])
    for (node, site), (f, n) in per_site.items():
        found.add_metric([node, site], f)
        new.add_metric([node, site], n)
    histogram = HistogramMetricFamily(
        "jobfleet_scrape_duration_seconds",
        "Duration of scrapes by site and outcome, over the whole fleet since the first.",
        labels=["site", "outcome"],
    )
    for d in durations:
        cumulative, buckets = 0, []
        for bound, count in zip([*bounds, float("inf")], d["buckets"], strict=True):
            cumulative += int(count)
            buckets.append(("+Inf" if bound == float("inf") else _le(bound), cumulative))
        histogram.add_metric([d["site"], d["outcome"]], buckets, float(d["seconds"]))
    yield from (scrapes, found, new, histogram)


def _text_only(app: Any) -> Any:
    """The WSGI app ``app`` answering every client in the text format (it chooses the format
    from the Accept header alone)."""

    def serve(environ: dict[str, Any], start_response: Any) -> Any:
        return app({k: v for k, v in environ.items() if k != "HTTP_ACCEPT"}, start_response)

    return serve


def _le(bound: float) -> str:
    return repr(float(bound))


class MetricsServer:
    """The /metrics endpoint of one supervisor: ``start()`` once the host lock is held,
    ``stop()`` at shutdown; both do nothing when no port is configured."""

    def __init__(self, settings: Settings, db: Database, events: EventWriter) -> None:
        self.settings = settings
        self.events = events
        self.conn = SharedConnection(db, retry_after=1.0)
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(FleetCollector(settings, self.conn))
        self._server: Any = None
        self.address: tuple[str, int] | None = None

    @property
    def url(self) -> str | None:
        if self.address is None:
            return None
        host, port = self.address
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{port}/metrics"

    def start(self) -> None:
        port = self.settings.metrics_port
        if port is None or self._server is not None:
            return
        host = self.settings.metrics_host
        try:
            server, _thread = start_http_server(port, addr=host, registry=self.registry)
        except OSError as exc:
            raise UserError(
                f"cannot serve metrics on {host} port {port}: {exc.strerror or exc}; set "
                "JOBFLEET_METRICS_PORT (or --metrics-port) to a free port, or unset it"
            ) from None
        # The classic text format, uncompressed, whatever the client accepts: Prometheus reads
        # it as well, and OpenMetrics and gzip would add 70 % and 50 % to the CPU of a scrape
        # (2,800 samples with 100 nodes; bench/bench_supervisor_overhead.py). 170 kB a scrape
        # is nothing on a loopback or a LAN.
        server.set_app(_text_only(make_wsgi_app(self.registry, disable_compression=True)))
        self._server = server
        self.address = (host, int(server.server_address[1]))
        self.events.info(
            "metrics_serving",
            f"Prometheus metrics on {self.url}",
            host=host,
            port=self.address[1],
        )

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        self.conn.close()

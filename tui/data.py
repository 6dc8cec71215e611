"""What the TUI reads from the database, in one place, off the UI thread.

Every method here blocks (it talks to Postgres) and is called only from thread workers. Node
rows, sparklines, logs and jobs come from the engine modules that own them; this module only
adds the header totals (``sql/queries/tui.sql``) and keeps count of the load the dashboard puts on
the database, which ``bench/bench_tui.py`` reports.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

import psycopg

from engine.db.handle import Database
from engine.db.queries import q
from engine.fleet.hosts import list_hosts

T = TypeVar("T")


@dataclass(frozen=True)
class Totals:
    db_now: datetime | None = None
    nodes_by_status: dict[str, int] = field(default_factory=dict)
    jobs_today: int = 0
    jobs_total: int = 0
    jobs_total_estimated: bool = False
    # Open alerts (engine.supervisor.alerts) and the newest one's title.
    alerts_open: int = 0
    alert_latest: str = ""


@dataclass(frozen=True)
class FleetSnapshot:
    """One poll of the dashboard: node rows (engine.nodes.list_nodes), totals, sparklines."""

    nodes: list[dict[str, Any]]
    totals: Totals
    sparks: dict[int, list[int]]
    # When the numbers were true, by the database clock (ages are computed against it).
    now: datetime | None
    # (host name, supervisor pid) of every host whose supervisor is alive (engine.fleet.hosts).
    supervisors: tuple[tuple[str, int | None], ...] = ()


@dataclass
class LoadCounter:
    """Calls and wall time spent in database calls by the dashboard's polls."""

    calls: int = 0
    seconds: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @contextmanager
    def measure(self) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            elapsed = time.perf_counter() - started
            with self.lock:
                self.calls += 1
                self.seconds += elapsed

    def reset(self) -> tuple[int, float]:
        with self.lock:
            result = (self.calls, self.seconds)
            self.calls, self.seconds = 0, 0.0
            return result


class QuickFailSource:
    """The database for the dashboard's polls: waits at most ``timeout`` seconds for a pooled
    connection. The pool's own wait (30 s) would leave the header showing stale numbers for half
    a minute after the server went away; a poll that cannot get a connection this long reports an
    outage, and the app retries."""

    def __init__(self, db: Database, timeout: float) -> None:
        self.db = db
        self.settings = db.settings
        self.timeout = timeout

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection[dict[str, Any]]]:
        with self.db.pool.connection(timeout=self.timeout) as conn:
            yield conn


class FleetData:
    """Blocking reads for the dashboard; one instance per app."""

    # Sparklines change slowly (hourly buckets): refreshing them on every 1 s poll would be
    # the dashboard's heaviest query for no visible gain.
    SPARK_EVERY_S = 30.0
    # Which supervisors are alive is read from pg_locks: every few polls is soon enough.
    SUPERVISORS_EVERY_S = 5.0

    # Seconds a poll waits for a pooled connection before it counts as an outage.
    CONNECTION_WAIT_S = 5.0

    def __init__(self, db: Database, *, now: Callable[[], datetime] | None = None) -> None:
        self.db = QuickFailSource(db, self.CONNECTION_WAIT_S)
        self.load = LoadCounter()
        self._fixed_now = now
        self._sparks: dict[int, list[int]] = {}
        self._sparks_at = 0.0
        self._supervisors: tuple[tuple[str, int | None], ...] = ()
        self._supervisors_at: float | None = None

    def _timed(self, fn: Callable[[], T]) -> T:
        with self.load.measure():
            return fn()

    def totals(self) -> Totals:
        def run() -> Totals:
            with self.db.connection() as conn:
                row = conn.execute(q("tui_totals")).fetchone()
            assert row is not None
            return Totals(
                db_now=row["db_now"],
                nodes_by_status={str(k): int(v) for k, v in (row["nodes_by_status"] or {}).items()},
                jobs_today=int(row["jobs_today"] or 0),
                jobs_total=int(row["jobs_total"] or 0),
                jobs_total_estimated=bool(row["jobs_total_estimated"]),
                alerts_open=int(row["alerts_open"] or 0),
                alert_latest=str(row["alert_latest"] or ""),
            )

        return self._timed(run)

    def supervisors(self) -> tuple[tuple[str, int | None], ...]:
        """(name, pid) of the hosts whose supervisor is alive, at most every few seconds."""
        at = self._supervisors_at
        if at is None or time.monotonic() - at > self.SUPERVISORS_EVERY_S:
            stale_after = self.db.settings.host_stale_after
            hosts = self._timed(lambda: list_hosts(self.db, stale_after=stale_after))
            self._supervisors = tuple(
                (str(h["name"]), h["supervisor_pid"]) for h in hosts if h["alive"]
            )
            self._supervisors_at = time.monotonic()
        return self._supervisors

    def hosts(self) -> list[dict[str, Any]]:
        """Every host with its supervisor's liveness and node counts (the hosts screen)."""
        stale_after = self.db.settings.host_stale_after
        return self._timed(lambda: list_hosts(self.db, stale_after=stale_after))

    def poll(self, *, force_sparks: bool = False) -> FleetSnapshot:
        # engine.fleet.nodes brings the NodeSpec model: it loads in the first poll's thread,
        # not while the app starts.
        from engine.fleet import nodes

        # The dashboard's widgets take rows as dicts (column name → value).
        rows: list[dict[str, Any]] = self._timed(
            lambda: [row.as_dict() for row in nodes.list_nodes(self.db)]
        )
        totals = self.totals()
        ids = [int(r["id"]) for r in rows]
        stale = time.monotonic() - self._sparks_at > self.SPARK_EVERY_S
        missing = any(i not in self._sparks for i in ids)
        if ids and (force_sparks or stale or missing):
            self._sparks = self._timed(lambda: nodes.jobs_per_hour(self.db, ids))
            self._sparks_at = time.monotonic()
        now = self._fixed_now() if self._fixed_now else totals.db_now
        return FleetSnapshot(
            nodes=rows,
            totals=totals,
            sparks={i: self._sparks.get(i, []) for i in ids},
            now=now,
            supervisors=self.supervisors(),
        )

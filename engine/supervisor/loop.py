"""The supervisor: one per host, making every node's status follow what people asked for.

It holds the host's lease (``engine.supervisor.lease``: an advisory lock on a dedicated
connection), LISTENs for node changes on a second connection, and does its work on a third.
Each tick it reads the nodes it may act on, reaps its children, runs ``plan`` (the pure
decisions, ``engine.supervisor.plan``) and carries out the actions. Staleness is judged by the
database clock.

A worker is identified by pid + create time (``engine.supervisor.procs``); a pid that now belongs
to another process is never signalled. At boot, workers recorded on this host that are alive,
ours and heartbeating are adopted (watched with psutil: the supervisor is not their parent); the
rest are cleaned. After a database outage nobody is judged stale until the workers had time to
beat again.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass
from typing import TextIO, assert_never

import psycopg
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import class_row

from engine.db.connections import Listener, SharedConnection
from engine.db.handle import Database
from engine.db.queries import q
from engine.errors import DatabaseUnavailable
from engine.fleet.events import EventWriter, add_secrets, prune_logs
from engine.fleet.hosts import is_demo_host
from engine.fleet.nodes import change_state
from engine.fleet.rows import NOW, SupervisedNodeRow
from engine.fleet.states import PROCESS_STATES, NodeStatus, TransitionError
from engine.jobs.runs import prune_runs
from engine.protocol import NODES_CHANNEL, WORKER_MODULE
from engine.settings import Settings
from engine.supervisor.alerts.monitor import AlertMonitor
from engine.supervisor.environment import worker_env
from engine.supervisor.lease import HostLease, take_over_if_lost
from engine.supervisor.logfiles import log_limits, rotate, rotate_all
from engine.supervisor.metrics import MetricsServer
from engine.supervisor.plan import (
    CLEARED,
    Action,
    ClearRequests,
    Defer,
    Drain,
    Forget,
    Kill,
    NodeView,
    Policy,
    ProcView,
    Recycle,
    Reschedule,
    ResetFastCrashes,
    SetState,
    Spawn,
    Term,
    plan,
)
from engine.supervisor.procs import Identity, Procs
from engine.supervisor.spool_sweep import SpoolSweeper

log = logging.getLogger(__name__)
S = NodeStatus

PRUNE_EVERY_S = 60.0
BUSY_TICK = 0.05


@dataclass
class Tracked:
    """A worker this supervisor watches: its own child, or one adopted at boot."""

    node_id: int
    ident: Identity
    child: bool
    spawned_mono: float
    term_sent: float | None = None
    drain_sent: float | None = None
    kill_sent: float | None = None
    kill_reason: str | None = None
    killed_on_request: bool = False
    exit_code: int | None = None
    gone: bool = False


class Supervisor:
    """One host's supervisor. ``start()`` runs it in a thread (TUI), ``run_forever()`` in the
    caller's thread (headless); ``shutdown(stop_workers)`` ends either."""

    def __init__(
        self,
        settings: Settings,
        db: Database,
        procs: Procs | None = None,
        *,
        mirror: TextIO | None = None,
        tick: float = 1.0,
    ) -> None:
        self.settings = settings
        self.db = db
        self.procs = procs if procs is not None else Procs()
        self.policy = Policy.from_settings(settings)
        self.tick = min(tick, max(settings.heartbeat_interval, 0.1))
        self.conn = SharedConnection(db, retry_after=0.5)
        self.events = EventWriter(self.conn, mirror=mirror)
        self.lease = HostLease(db, self.conn, settings.host_name)
        # The demo's supervisor runs only the demo's nodes (see engine.fleet.hosts).
        self.claims_others = not is_demo_host(settings.host_name)
        self.spool_sweeper = SpoolSweeper(
            db,
            settings.spool_dir,
            self.events,
            interval=settings.spool_replay_interval,
            also=lambda: rotate_all(settings.home / "logs", **log_limits(settings)),
        )
        self.metrics = MetricsServer(settings, db, self.events)  # serves once the lock is held
        self.alerts = AlertMonitor(settings, db, self.conn, self.events)
        self.host_id: int | None = None
        self._listener: Listener | None = None
        self._tracked: dict[int, Tracked] = {}
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._grace_until = 0.0
        self._db_down = False
        self._deferred: set[int] = set()
        self._last_prune = 0.0
        self.error: BaseException | None = None
        self.ticks = 0
        self.worker_argv = [sys.executable, "-m", WORKER_MODULE]
        with contextlib.suppress(Exception):
            add_secrets(str(conninfo_to_dict(db.url).get("password") or ""))

    # --- lifecycle ---

    def acquire(self) -> int:
        """Register the host and take its lock; UserError if another supervisor holds it."""
        host_id = self.lease.acquire()
        self.host_id = host_id
        self.events.host_id = host_id
        self._listener = Listener(self.db, [NODES_CHANNEL])
        hostname = self.settings.host_name
        self.events.info(
            "supervisor_started",
            f"supervisor pid {os.getpid()} on {hostname}",
            pid=os.getpid(),
            host=hostname,
        )
        self.metrics.start()
        return host_id

    def start(self) -> None:
        """Run in a background thread (for the TUI). Raises UserError if the lock is taken."""
        self.acquire()
        self._thread = threading.Thread(target=self._run, name="supervisor", daemon=True)
        self._thread.start()

    def run_forever(self) -> None:
        """Run in this thread until ``shutdown`` (or ``request_stop``) is called."""
        if self.host_id is None:
            self.acquire()
        self._run()

    def request_stop(self) -> None:
        """Make the loop return (signal-handler safe)."""
        self._stop.set()
        self._wake.set()

    def _run(self) -> None:
        try:
            self.spool_sweeper.start()  # its first sweep now, off this loop
            self._boot()
            while not self._stop.is_set():
                self._tick_once()
                self._wait()
        except BaseException as exc:  # surfaced to the TUI/CLI; the loop must not die silently
            self.error = exc
            log.exception("supervisor loop failed")
            raise
        finally:
            self._stop.set()

    def _wait(self) -> None:
        # A worker's exit sends no NOTIFY: while one is being stopped or killed, look often so
        # the status says "stopped" within moments of the exit.
        busy = any(
            not t.gone and (t.term_sent is not None or t.kill_sent is not None)
            for t in self._tracked.values()
        )
        tick = BUSY_TICK if busy else self.tick
        if self._listener is None:
            self._stop.wait(tick)
            return
        deadline = time.monotonic() + tick
        while not self._stop.is_set() and time.monotonic() < deadline:
            if self._listener.wait(min(0.25, max(0.0, deadline - time.monotonic()))):
                return  # something changed: act now

    def shutdown(self, stop_workers: bool = False, *, timeout: float | None = None) -> None:
        self.request_stop()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout if timeout is not None else 30)
        self.spool_sweeper.stop()
        self.metrics.stop()
        self.alerts.close()
        if stop_workers:
            self._stop_all_workers()
        else:
            live = [t.node_id for t in self._tracked.values() if not t.gone]
            if live:
                self.events.info(
                    "supervisor_leaving", f"{len(live)} workers left for adoption", nodes=live
                )
        self.events.info("supervisor_stopped", f"supervisor pid {os.getpid()} stopped")
        self.events.close(timeout=3)
        if self._listener is not None:
            self._listener.close()
        self.lease.release()
        self.conn.close()

    def _stop_all_workers(self) -> None:
        alive = [t for t in self._tracked.values() if not t.gone and self.procs.is_alive(t.ident)]
        for t in alive:
            self.procs.signal_group(t.ident, signal.SIGTERM)
        deadline = time.monotonic() + self.policy.stop_grace
        while time.monotonic() < deadline and any(self.procs.is_alive(t.ident) for t in alive):
            self.procs.reap()
            time.sleep(0.05)
        for t in alive:
            if self.procs.is_alive(t.ident):
                self.procs.signal_group(t.ident, signal.SIGKILL)
        time.sleep(0.05)
        self.procs.reap()
        for t in alive:
            with contextlib.suppress(Exception), self.conn.connection() as conn:
                change_state(
                    conn,
                    t.node_id,
                    S.STOPPED,
                    reason="supervisor stopped its workers",
                    host_id=self.host_id,
                    expect=PROCESS_STATES,
                    **CLEARED,
                )
        self._tracked.clear()

    # --- the loop ---

    def _boot(self) -> None:
        """Adopt or clean every worker recorded on this host (runs until the DB answers)."""
        while not self._stop.is_set():
            try:
                self._ping_after_outage()
                self._reconcile(boot=True)
                return
            except DatabaseUnavailable:
                self._db_went_down()
                self._stop.wait(1.0)

    def _ping_after_outage(self) -> None:
        """When the database was away, start the grace period *before* judging anyone."""
        if not self._db_down:
            return
        with self.conn.connection() as conn:
            conn.execute("SELECT 1")
        self._db_came_back()

    def _tick_once(self) -> None:
        self.ticks += 1
        self._reap()
        try:
            self._ping_after_outage()
            self._beat()
            self._reconcile()
            now = time.monotonic()
            if now - self._last_prune > PRUNE_EVERY_S:
                self._last_prune = now
                prune_logs(
                    self.conn,
                    keep_rows=self.settings.log_keep_rows,
                    keep_days=self.settings.log_keep_days,
                )
                prune_runs(self.conn, keep_days=self.settings.runs_keep_days)
        except (DatabaseUnavailable, psycopg.OperationalError):
            self._db_went_down()
        self.alerts.tick(db_down=self._db_down)  # never raises; sends from its own thread

    def _db_went_down(self) -> None:
        if not self._db_down:
            self._db_down = True
            self.events.warning(
                "database_unavailable",
                "the database is unavailable; workers are left alone until it returns",
            )

    def _db_came_back(self) -> None:
        self._db_down = False
        # Workers could not beat while it was away, and they reconnect on their own schedule.
        grace = self.policy.stale_after + 2 * self.settings.heartbeat_interval
        self._grace_until = time.monotonic() + grace
        self.events.info(
            "database_back", f"database is back; no staleness verdicts for {grace:g} s"
        )

    def _beat(self) -> None:
        if time.monotonic() - self.lease.renewed_at < self.settings.heartbeat_interval:
            return
        try:
            self.lease.renew(self.procs.available_memory())
        except psycopg.Error:
            self._relock()

    def _relock(self) -> None:
        """The lock connection died, so the server released the lock: take it again, or leave
        if another supervisor got it meanwhile."""
        if not self.lease.relock():  # DatabaseUnavailable: try again next tick
            self.events.error("lock_lost", "another supervisor took this host over; leaving")
            self.request_stop()
            raise DatabaseUnavailable("host lock lost")
        self.events.info("lock_regained", "host lock re-acquired after a lost connection")

    def _reap(self) -> None:
        for pid, code in self.procs.reap():
            for t in self._tracked.values():
                if t.ident.pid == pid and t.child:
                    t.gone = True
                    t.exit_code = code

    def _in_grace(self) -> bool:
        return time.monotonic() < self._grace_until

    def _reconcile(self, *, boot: bool = False) -> None:
        with (
            self.conn.connection() as conn,
            conn.cursor(row_factory=class_row(SupervisedNodeRow)) as cur,
        ):
            rows = cur.execute(
                q("supervisor_nodes"),
                {
                    "host_id": self.host_id,
                    "host_stale_after": self.settings.host_stale_after,
                    "claims_others": self.claims_others,
                },
            ).fetchall()
        seen = set()
        memory_ok = self.procs.available_memory() >= self.settings.min_available_mb * 1024 * 1024
        for row in rows:
            seen.add(row.id)
            try:
                self._step(row, memory_ok=memory_ok)
            except TransitionError as exc:
                # Someone else moved the node meanwhile (a CLI start after fatal, ...): next tick.
                log.debug("node %s: %s", row.id, exc)
        for node_id in list(self._tracked):
            if node_id not in seen:
                self._orphan(node_id)

    def _orphan(self, node_id: int) -> None:
        """The node was deleted or moved to another host: its worker must not live on."""
        t = self._tracked[node_id]
        if not t.gone and self.procs.is_alive(t.ident):
            self.procs.signal_group(t.ident, signal.SIGKILL)
            self.events.warning(
                "worker_orphaned", f"node {node_id} is gone; worker killed", pid=t.ident.pid
            )
        if t.gone or not self.procs.is_alive(t.ident):
            self.procs.forget(t.ident.pid)
            del self._tracked[node_id]

    def _step(self, row: SupervisedNodeRow, *, memory_ok: bool) -> None:
        node_id = row.id
        status = NodeStatus(row.status)
        mine = row.host_id == self.host_id
        if not mine and row.host_id is not None:
            take_over_if_lost(
                self.conn,
                row,
                status,
                host_id=self.host_id,
                settings=self.settings,
                events=self.events,
            )
            return
        if node_id not in self._tracked and status in PROCESS_STATES | {S.LOST} and mine:
            self._adopt_or_clean(row)
        view = NodeView.from_row(row, status)
        proc = self._proc_view(node_id)
        for action in plan(view, proc, self.policy, in_grace=self._in_grace(), memory_ok=memory_ok):
            self._do(action, view)

    def _adopt_or_clean(self, row: SupervisedNodeRow) -> None:
        node_id = row.id
        pid, created = row.pid, row.proc_started_at
        if pid is None or created is None:
            self._tracked[node_id] = Tracked(
                node_id, Identity(0, 0.0), False, time.monotonic(), gone=True
            )
            return
        ident = Identity(int(pid), float(created))
        started_age = float(row.started_age_s or 0.0)
        tracked = Tracked(node_id, ident, False, time.monotonic() - started_age)
        alive = self.procs.is_alive(ident) and self.procs.looks_like_worker(ident, node_id)
        if not alive:
            tracked.gone = True
            self.events.info(
                "worker_not_found",
                f"recorded worker pid {pid} is not running",
                node_id=node_id,
                pid=pid,
            )
        else:
            age = row.heartbeat_age_s
            fresh = (
                self._in_grace()
                or (age is not None and age <= self.policy.stale_after)
                or (age is None and started_age <= self.policy.stale_after)
            )
            if fresh:
                self.events.info(
                    "worker_adopted", f"adopted worker pid {pid}", node_id=node_id, pid=pid
                )
            else:
                self.procs.signal_group(ident, signal.SIGKILL)
                tracked.kill_sent = time.monotonic()
                tracked.kill_reason = "found hung at boot (stale heartbeat)"
                self.events.warning(
                    "worker_cleaned", f"killed hung worker pid {pid}", node_id=node_id, pid=pid
                )
        self._tracked[node_id] = tracked

    def _proc_view(self, node_id: int) -> ProcView:
        t = self._tracked.get(node_id)
        if t is None:
            return ProcView()
        now = time.monotonic()
        if not t.gone and not t.child and not self.procs.is_alive(t.ident):
            t.gone = True  # adopted (not our child): no exit code to collect
        if not t.gone and t.child and not self.procs.is_alive(t.ident):
            # A zombie or just exited: the reaper reports it on the next tick.
            self._reap()
        return ProcView(
            state="gone" if t.gone else "alive",
            exit_code=t.exit_code,
            uptime_s=now - t.spawned_mono,
            term_sent_age_s=None if t.term_sent is None else now - t.term_sent,
            kill_sent_age_s=None if t.kill_sent is None else now - t.kill_sent,
            kill_reason=t.kill_reason,
            killed_on_request=t.killed_on_request,
            rss_bytes=None if t.gone else self.procs.rss(t.ident),
            drain_sent_age_s=None if t.drain_sent is None else now - t.drain_sent,
        )

    def _do(self, action: Action, view: NodeView) -> None:
        node_id = view.id
        t = self._tracked.get(node_id)
        match action:
            case SetState(status=status, reason=reason, level=level, fields=fields):
                with self.conn.connection() as conn:
                    change_state(
                        conn,
                        node_id,
                        status,
                        reason=reason,
                        level=level,
                        host_id=self.host_id,
                        **fields,
                    )
            case ResetFastCrashes():
                with self.conn.connection() as conn:
                    conn.execute(q("node_set_fast_crashes"), {"id": node_id, "fast_crashes": 0})
            case ClearRequests():
                with self.conn.connection() as conn:
                    conn.execute(q("node_clear_requests"), {"id": node_id})
            case Term():
                if t is not None:
                    self.procs.signal_group(t.ident, signal.SIGTERM)
                    t.term_sent = time.monotonic()
            case Drain():
                if t is not None:  # the worker alone: its scrape child must finish its search
                    self.procs.signal_worker(t.ident, signal.SIGUSR1)
                    t.drain_sent = time.monotonic()
            case Reschedule(at=at):
                with self.conn.connection() as conn:
                    conn.execute(q("node_set_next_start"), {"id": node_id, "next_start_at": at})
            case Recycle(reason=reason, level=level):
                if t is not None:
                    self.procs.signal_group(t.ident, signal.SIGTERM)
                    t.term_sent = time.monotonic()
                    t.kill_reason = reason  # its exit is then a crash with this reason
                    self.events.emit(
                        level, "worker_recycled", reason, node_id=node_id, pid=t.ident.pid
                    )
            case Kill(reason=reason, level=level, on_request=on_request):
                if t is not None:
                    self.procs.signal_group(t.ident, signal.SIGKILL)
                    t.kill_sent = time.monotonic()
                    if on_request:
                        t.killed_on_request = True
                    elif t.kill_reason is None:
                        t.kill_reason = reason
                    if reason is not None:  # None: a resend, already reported
                        self.events.emit(
                            level, "worker_killed", reason, node_id=node_id, pid=t.ident.pid
                        )
            case Forget():
                if t is not None:
                    self.procs.forget(t.ident.pid)
                    del self._tracked[node_id]
            case Spawn():
                self._spawn(view)
            case Defer():
                if node_id not in self._deferred:
                    self._deferred.add(node_id)
                    avail = self.procs.available_memory() >> 20
                    self.events.warning(
                        "spawn_deferred",
                        f"only {avail} MiB available (minimum "
                        f"{self.settings.min_available_mb}); start postponed",
                        node_id=node_id,
                    )
            case _:
                assert_never(action)

    def _spawn(self, view: NodeView) -> None:
        node_id = view.id
        self._deferred.discard(node_id)
        if node_id in self._tracked:
            return  # the previous worker has not been reaped yet
        tracked: Tracked | None = None
        try:
            # Claim, spawn and record in one transaction: the claim's row lock makes a second
            # supervisor (another host) wait, then find the node taken, so no node ever gets
            # two workers; and a takeover compares the status it saw.
            with self.conn.connection() as conn:
                claimed = conn.execute(
                    q("claim_node"), {"id": node_id, "host_id": self.host_id}
                ).fetchone()
                if not claimed:
                    return  # another host took it first
                log_path = self.settings.home / "logs" / f"node-{node_id}.log"
                rotate(log_path, **log_limits(self.settings))
                env = worker_env(self.settings, self.db.url, claimed["spec"])
                ident = self.procs.spawn([*self.worker_argv, str(node_id)], env, log_path)
                tracked = Tracked(node_id, ident, True, time.monotonic())
                self._tracked[node_id] = tracked
                change_state(
                    conn,
                    node_id,
                    S.STARTING,
                    reason=f"spawned pid {ident.pid}",
                    host_id=self.host_id,
                    expect={view.status},
                    pid=ident.pid,
                    proc_started_at=ident.create_time,
                    started_at=NOW,
                    heartbeat_at=None,
                    stop_requested=False,
                    kill_requested=False,
                    last_exit=None,
                    next_start_at=None,
                )
        except BaseException:
            if tracked is not None:
                # The row did not record it: nobody could ever find this worker again.
                self.procs.signal_group(tracked.ident, signal.SIGKILL)
                tracked.kill_sent = time.monotonic()
                tracked.killed_on_request = True
            raise

"""The supervisor: one per host, making every node's status follow what people asked for.

It holds the advisory lock (LOCK_CLASS, host id) on a dedicated connection (which also renews the
host's lease in ``hosts.heartbeat_at``), LISTENs for node changes on a second one, and does its
work on a third, so a pool recycling connections can never drop the lock. Each tick it reads the
nodes it owns, reaps its children, and runs ``plan`` — a pure function of the node row and what
is known about its process — then carries out the actions. supervisord's ideas: startsecs and
startretries (fast crashes in a row lead to FATAL), exponential backoff between restarts, SIGTERM
then SIGKILL after a grace period. Staleness is judged by the database clock.

A worker is identified by pid + create time (``engine.supervisor.procs``); a pid that now belongs
to another
process is never signalled. At boot, workers recorded on this host that are alive, ours and
heartbeating are adopted (watched with psutil: the supervisor is not their parent); the rest are
cleaned. After a database outage nobody is judged stale until the workers had time to beat again.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TextIO

import psutil
import psycopg

from engine import __version__
from engine.db.connections import Listener, SharedConnection
from engine.db.handle import Database
from engine.db.queries import q
from engine.errors import DatabaseUnavailable, UserError
from engine.fleet.events import EventWriter, add_secrets, prune_logs
from engine.fleet.nodes import NOW, Later, change_state
from engine.fleet.states import PROCESS_STATES, Desired, NodeStatus, TransitionError
from engine.protocol import (
    EXIT_CONFIG,
    EXIT_RECYCLE,
    HOST_LOCK_BASE,
    LOCK_CLASS,
    NODES_CHANNEL,
    WORKER_MODULE,
)
from engine.settings import Settings
from engine.supervisor.procs import Identity, Procs

log = logging.getLogger(__name__)
S = NodeStatus

LOG_ROTATE_BYTES = 5 * 1024 * 1024
PRUNE_EVERY_S = 60.0
KILL_RETRY_S = 5.0
BUSY_TICK = 0.05


# --- the pure part: what to do about one node --------------------------------------------------


@dataclass(frozen=True)
class NodeView:
    """What the database says about a node (ages by the database clock)."""

    id: int
    status: NodeStatus
    desired: Desired
    stop_requested: bool = False
    kill_requested: bool = False
    has_heartbeat: bool = False
    heartbeat_age_s: float | None = None
    fast_crashes: int = 0
    start_due: bool = True
    memory_limit_mb: int = 256
    last_exit: int | None = None
    restarts: int = 0


@dataclass(frozen=True)
class ProcView:
    """What this supervisor knows about the node's worker process."""

    state: Literal["none", "alive", "gone"] = "none"
    exit_code: int | None = None
    uptime_s: float = 0.0
    term_sent_age_s: float | None = None  # seconds since SIGTERM (None: not sent)
    kill_sent_age_s: float | None = None
    kill_reason: str | None = None  # why we killed it unasked (stale, no start)
    killed_on_request: bool = False
    rss_bytes: int | None = None


@dataclass(frozen=True)
class Policy:
    stale_after: float
    stop_grace: float
    start_secs: float
    start_retries: int
    backoff_base: float
    backoff_max: float

    @classmethod
    def from_settings(cls, s: Settings) -> Policy:
        return cls(
            s.stale_after,
            s.stop_grace,
            s.start_secs,
            s.start_retries,
            s.backoff_base,
            s.backoff_max,
        )

    def backoff(self, fast_crashes: int) -> float:
        return min(self.backoff_max, self.backoff_base * 2 ** max(fast_crashes - 1, 0))


@dataclass(frozen=True)
class Action:
    kind: Literal["spawn", "term", "recycle", "kill", "state", "forget", "fields", "defer"]
    status: NodeStatus | None = None
    reason: str | None = None
    level: str = "info"
    fields: dict[str, Any] = field(default_factory=dict)


def _state(status: NodeStatus, reason: str, *, level: str = "info", **fields: Any) -> Action:
    return Action("state", status=status, reason=reason, level=level, fields=fields)


_CLEARED: dict[str, Any] = {"pid": None, "proc_started_at": None, "stopped_at": NOW}


def plan(
    node: NodeView, proc: ProcView, policy: Policy, *, in_grace: bool, memory_ok: bool
) -> list[Action]:
    """The actions that move ``node`` toward its desired state (pure: no I/O)."""
    status = node.status
    if proc.state == "alive":
        if proc.kill_sent_age_s is not None:
            # Already SIGKILLed; wait for the reaper (retry in case the first one was lost).
            return [Action("kill")] if proc.kill_sent_age_s > KILL_RETRY_S else []
        if node.kill_requested:
            return [
                Action("kill", reason="killed on request"),
                _state(
                    S.STOPPED,
                    "killed on request",
                    stop_requested=False,
                    kill_requested=False,
                    **_CLEARED,
                )
                if status != S.STOPPED
                else Action("fields", fields={"kill_requested": False}),
            ]
        if status in (S.STARTING, S.RUNNING) and (
            node.desired == Desired.STOPPED or node.stop_requested
        ):
            why = "stop requested" if node.desired == Desired.STOPPED else "restart requested"
            return [Action("term", reason=why), _state(S.STOPPING, why)]
        if status == S.STARTING:
            if node.has_heartbeat:
                return [_state(S.RUNNING, "first heartbeat")]
            if proc.uptime_s > policy.stale_after and not in_grace:
                return [
                    Action(
                        "kill",
                        reason=f"no heartbeat {proc.uptime_s:.0f} s after start",
                        level="warning",
                    )
                ]
            return []
        if status == S.RUNNING:
            if proc.term_sent_age_s is not None:
                # Being recycled (SIGTERM while running): wait for the exit, then insist.
                if proc.term_sent_age_s > policy.stop_grace:
                    return [
                        Action(
                            "kill",
                            reason=f"did not exit within {policy.stop_grace:g} s of SIGTERM",
                            level="warning",
                        )
                    ]
                return []
            age = node.heartbeat_age_s
            if age is not None and age > policy.stale_after and not in_grace:
                return [Action("kill", reason=f"heartbeat stale for {age:.1f} s", level="warning")]
            limit = node.memory_limit_mb * 1024 * 1024
            if proc.rss_bytes is not None and proc.rss_bytes > limit:
                # Recycled like a crash (restarts counter, backoff): a worker over its limit soon
                # after every start would otherwise be restarted forever; its fast exits lead to
                # FATAL like any crash loop, with the memory named in last_error.
                why = (
                    f"recycled: memory {proc.rss_bytes >> 20} MiB above the node's "
                    f"memory_limit_mb of {node.memory_limit_mb}"
                )
                return [Action("recycle", reason=why, level="warning")]
            if node.fast_crashes and proc.uptime_s >= policy.start_secs:
                return [Action("fields", fields={"fast_crashes": 0})]
            return []
        if status == S.STOPPING:
            if proc.term_sent_age_s is None:
                return [Action("term", reason="stopping")]
            if proc.term_sent_age_s > policy.stop_grace:
                return [
                    Action(
                        "kill",
                        reason=f"did not stop within {policy.stop_grace:g} s",
                        level="warning",
                    )
                ]
            return []
        if (
            status == S.LOST
            and node.has_heartbeat
            and (in_grace or (node.heartbeat_age_s or 0) <= policy.stale_after)
        ):
            return [_state(S.RUNNING, "host back; worker alive")]
        # A live process for a node at rest: never ours to keep.
        return [Action("kill", reason=f"stray worker for a {status} node", level="warning")]

    if proc.state == "gone":
        actions: list[Action] = [Action("forget")]
        code = proc.exit_code if proc.exit_code is not None else node.last_exit
        code_field: dict[str, Any] = {"last_exit": code}
        if proc.killed_on_request or status not in PROCESS_STATES | {S.LOST}:
            return actions
        if status == S.STOPPING or (
            not proc.kill_reason and (node.stop_requested or node.desired == Desired.STOPPED)
        ):
            if status == S.LOST:
                return [*actions, _state(S.STOPPED, "worker gone", **code_field, **_CLEARED)]
            return [*actions, _state(S.STOPPED, "worker exited", **code_field, **_CLEARED)]
        if code == EXIT_RECYCLE and not proc.kill_reason:
            return [
                *actions,
                _state(S.STOPPED, "recycled after max cycles", **code_field, **_CLEARED),
            ]
        if status == S.LOST:
            return [*actions, _state(S.STOPPED, "worker gone while host was lost", **_CLEARED)]
        # A crash (or a worker we had to kill).
        fast = proc.uptime_s < policy.start_secs
        crashes = node.fast_crashes + 1 if fast else 0
        why = proc.kill_reason or (
            f"exited with code {code}" if code is not None else "vanished (exit code unknown)"
        )
        exited = _state(
            S.EXITED,
            why,
            level="warning",
            last_error=why,
            restarts=node.restarts + 1,
            **code_field,
            **_CLEARED,
        )
        if code == EXIT_CONFIG and not proc.kill_reason:
            return [*actions, exited, _state(S.FATAL, "the node's spec cannot run", level="error")]
        if crashes >= policy.start_retries:
            return [
                *actions,
                exited,
                _state(
                    S.FATAL,
                    f"{crashes} fast crashes in a row (last: {why}); start it again by hand",
                    level="error",
                    fast_crashes=crashes,
                ),
            ]
        delay = policy.backoff(crashes) if fast else policy.backoff_base
        return [
            *actions,
            exited,
            _state(
                S.BACKOFF,
                f"restart in {delay:g} s",
                fast_crashes=crashes,
                next_start_at=Later(delay),
            ),
        ]

    # No process.
    if node.desired == Desired.RUNNING:
        if status in (S.STOPPED, S.EXITED, S.LOST) or (status == S.BACKOFF and node.start_due):
            return [Action("spawn")] if memory_ok else [Action("defer", reason="low memory")]
        return []
    if status in (S.EXITED, S.BACKOFF, S.LOST):
        return [_state(S.STOPPED, "stop requested", **_CLEARED)]
    return []


# --- the impure part ------------------------------------------------------------------------


@dataclass
class Tracked:
    node_id: int
    ident: Identity
    child: bool
    spawned_mono: float
    term_sent: float | None = None
    kill_sent: float | None = None
    kill_reason: str | None = None
    killed_on_request: bool = False
    exit_code: int | None = None
    gone: bool = False


def supervisor_holder(db: Any, hostname: str) -> dict[str, Any] | None:
    """The supervisor currently holding this host's lock (pid, heartbeat age), or None."""
    with db.connection() as conn:
        row = conn.execute(
            q("host_holder"),
            {"hostname": hostname, "lock_class": LOCK_CLASS, "lock_base": HOST_LOCK_BASE},
        ).fetchone()
    if row is None or not row["locked"]:
        return None
    return dict(row)


def worker_env(settings: Settings, db: Database) -> dict[str, str]:
    """The worker's environment: this process's, plus every setting (secrets never in argv)."""
    env = dict(os.environ)
    for name, value in settings.model_dump().items():
        if name == "database_url" or value is None:
            continue
        env[f"JOBFLEET_{name.upper()}"] = str(value)
    env["JOBFLEET_DATABASE_URL"] = db.url
    env["PYTHONUNBUFFERED"] = "1"
    return env


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
        self.host_id: int | None = None
        self._lock_conn: psycopg.Connection[Any] | None = None
        self._listener: Listener | None = None
        self._tracked: dict[int, Tracked] = {}
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._grace_until = 0.0
        self._db_down = False
        self._deferred: set[int] = set()
        self._last_prune = 0.0
        self._last_beat = 0.0
        self.error: BaseException | None = None
        self.ticks = 0
        self.worker_argv = [sys.executable, "-m", WORKER_MODULE]
        with contextlib.suppress(Exception):
            from psycopg.conninfo import conninfo_to_dict

            add_secrets(str(conninfo_to_dict(db.url).get("password") or ""))

    # --- lifecycle ---

    def acquire(self) -> int:
        """Register the host and take its lock; UserError if another supervisor holds it."""
        hostname = self.settings.host_name
        with self.conn.connection() as conn:
            conn.execute(q("ensure_host"), {"hostname": hostname})
            row = conn.execute(q("host_id_by_name"), {"hostname": hostname}).fetchone()
        assert row is not None
        host_id = int(row["id"])
        lock_conn = self.db.connect(autocommit=True)
        got = lock_conn.execute(
            q("try_host_lock"), {"lock_class": LOCK_CLASS, "lock_id": HOST_LOCK_BASE + host_id}
        ).fetchone()
        if not got or not got["ok"]:
            lock_conn.close()
            holder = supervisor_holder(self.conn, hostname)
            pid = f" (pid {holder['pid']})" if holder and holder.get("pid") else ""
            raise UserError(f"another supervisor{pid} is already running for host {hostname}")
        self._lock_conn = lock_conn
        self.host_id = host_id
        self.events.host_id = host_id
        self._claim_host()
        self._listener = Listener(self.db, [NODES_CHANNEL])
        self.events.info(
            "supervisor_started",
            f"supervisor pid {os.getpid()} on {hostname}",
            pid=os.getpid(),
            host=hostname,
        )
        return host_id

    def _claim_host(self) -> None:
        assert self._lock_conn is not None
        mem = psutil.virtual_memory()
        self._lock_conn.execute(
            q("claim_host"),
            {
                "id": self.host_id,
                "pid": os.getpid(),
                "cpus": os.cpu_count(),
                "mem_total": mem.total,
                "mem_available": mem.available,
                "version": __version__,
            },
        )
        self._last_beat = time.monotonic()

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
        if self._lock_conn is not None:
            # Unlock explicitly: a closed connection's backend lets go of it only a moment later,
            # and the next supervisor should not find the host still taken.
            with contextlib.suppress(Exception):
                self._lock_conn.execute(
                    "SELECT pg_advisory_unlock(%s::int, %s::int)",
                    (LOCK_CLASS, HOST_LOCK_BASE + (self.host_id or 0)),
                )
            with contextlib.suppress(Exception):
                self._lock_conn.close()
            self._lock_conn = None
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
                    **_CLEARED,
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
        except (DatabaseUnavailable, psycopg.OperationalError):
            self._db_went_down()

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
        if time.monotonic() - self._last_beat < self.settings.heartbeat_interval:
            return
        try:
            if self._lock_conn is None or self._lock_conn.closed:
                raise psycopg.OperationalError("lock connection closed")
            self._lock_conn.execute(
                q("host_heartbeat"),
                {
                    "id": self.host_id,
                    "pid": os.getpid(),
                    "mem_available": self.procs.available_memory(),
                },
            )
            self._last_beat = time.monotonic()
        except psycopg.Error:
            self._relock()

    def _relock(self) -> None:
        """The lock connection died, so the server released the lock: take it again, or leave
        if another supervisor got it meanwhile."""
        if self._lock_conn is not None:
            with contextlib.suppress(Exception):
                self._lock_conn.close()
            self._lock_conn = None
        conn = self.db.connect(autocommit=True)  # DatabaseUnavailable: try again next tick
        got = conn.execute(
            q("try_host_lock"),
            {"lock_class": LOCK_CLASS, "lock_id": HOST_LOCK_BASE + (self.host_id or 0)},
        ).fetchone()
        if not got or not got["ok"]:
            conn.close()
            self.events.error("lock_lost", "another supervisor took this host over; leaving")
            self.request_stop()
            raise DatabaseUnavailable("host lock lost")
        self._lock_conn = conn
        self._claim_host()
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
        with self.conn.connection() as conn:
            rows = conn.execute(
                q("supervisor_nodes"),
                {"host_id": self.host_id, "host_stale_after": self.settings.host_stale_after},
            ).fetchall()
        seen = set()
        memory_ok = self.procs.available_memory() >= self.settings.min_available_mb * 1024 * 1024
        for row in rows:
            seen.add(row["id"])
            try:
                self._step(row, memory_ok=memory_ok)
            except TransitionError as exc:
                # Someone else moved the node meanwhile (a CLI start after fatal, ...): next tick.
                log.debug("node %s: %s", row["id"], exc)
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

    def _step(self, row: dict[str, Any], *, memory_ok: bool) -> None:
        node_id = int(row["id"])
        status = NodeStatus(row["status"])
        mine = row["host_id"] == self.host_id
        if not mine and row["host_id"] is not None:
            self._foreign(row, status)
            return
        if node_id not in self._tracked and status in PROCESS_STATES | {S.LOST} and mine:
            self._adopt_or_clean(row)
        view = _node_view(row, status)
        proc = self._proc_view(node_id)
        for action in plan(view, proc, self.policy, in_grace=self._in_grace(), memory_ok=memory_ok):
            self._do(action, row, view)

    @property
    def takeover_after(self) -> float:
        """Lease age after which another host's worker must have exited on its own: its dead
        man's switch fires within a heartbeat of ``dead_man_after`` and it is gone at most
        ``stop_grace`` later (see engine.worker)."""
        return (
            self.settings.dead_man_after
            + self.settings.stop_grace
            + 2 * self.settings.heartbeat_interval
        )

    def _foreign(self, row: dict[str, Any], status: NodeStatus) -> None:
        """Another host's node whose lease expired: mark it lost; once that host's workers must
        have exited by their dead man's switch, take it over (unless it is pinned there).

        Nodes of a lost host that have no worker (exited, backoff, stopped while desired
        running) are taken over at once: a host that comes back finds them claimed and cannot
        spawn them (``claim_node``)."""
        age = row["host_age_s"]
        if age is None or age <= self.settings.host_stale_after:
            return
        node_id = int(row["id"])
        gone_host = row.get("host") or f"#{row['host_id']}"
        with self.conn.connection() as conn:
            if status in PROCESS_STATES:
                change_state(
                    conn,
                    node_id,
                    S.LOST,
                    reason=f"host {gone_host}: lease stale for {age:.0f} s",
                    host_id=self.host_id,
                    level="warning",
                    expect={status},
                )
                return
            stale_after = self.settings.host_stale_after
            if status == S.LOST:
                if age <= self.takeover_after:
                    return
                beat = row["heartbeat_age_s"]
                if beat is not None and beat <= self.takeover_after - self.settings.dead_man_after:
                    return  # its worker still beats: it has not noticed yet
                stale_after = self.takeover_after
                if row["pinned"]:
                    if row["desired"] == Desired.STOPPED:
                        change_state(
                            conn,
                            node_id,
                            S.STOPPED,
                            reason=f"host {gone_host} lost; its worker has exited",
                            host_id=self.host_id,
                            expect={S.LOST},
                            **_CLEARED,
                        )
                    return  # pinned: it waits for its own host
            elif row["pinned"] or row["desired"] != Desired.RUNNING:
                return
            took = conn.execute(
                q("take_over_node"),
                {
                    "id": node_id,
                    "host_id": self.host_id,
                    "from_host": row["host_id"],
                    "status": status.value,
                    "stale_after": stale_after,
                },
            ).fetchone()
            if took and status == S.STOPPED:
                self.events.warning(
                    "node_taken_over", f"taken over from lost host {gone_host}", node_id=node_id
                )
            elif took:
                change_state(
                    conn,
                    node_id,
                    S.STOPPED,
                    reason=f"taken over from lost host {gone_host}",
                    host_id=self.host_id,
                    level="warning",
                    expect={status},
                    **_CLEARED,
                )

    def _adopt_or_clean(self, row: dict[str, Any]) -> None:
        node_id = int(row["id"])
        pid, created = row["pid"], row["proc_started_at"]
        if pid is None or created is None:
            self._tracked[node_id] = Tracked(
                node_id, Identity(0, 0.0), False, time.monotonic(), gone=True
            )
            return
        ident = Identity(int(pid), float(created))
        started_age = float(row["started_age_s"] or 0.0)
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
            age = row["heartbeat_age_s"]
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
        )

    def _do(self, action: Action, row: dict[str, Any], view: NodeView) -> None:
        node_id = view.id
        t = self._tracked.get(node_id)
        if action.kind == "state":
            assert action.status is not None
            with self.conn.connection() as conn:
                change_state(
                    conn,
                    node_id,
                    action.status,
                    reason=action.reason,
                    level=action.level,
                    host_id=self.host_id,
                    **action.fields,
                )
        elif action.kind == "fields":
            with self.conn.connection() as conn:
                for name, value in action.fields.items():
                    if name == "fast_crashes":
                        conn.execute(
                            q("node_set_fast_crashes"), {"id": node_id, "fast_crashes": value}
                        )
                    elif name == "stop_requested" and value:
                        conn.execute(q("node_set_stop_requested"), {"id": node_id})
                    elif name == "kill_requested":
                        conn.execute(q("node_clear_requests"), {"id": node_id})
        elif action.kind == "term" and t is not None:
            self.procs.signal_group(t.ident, signal.SIGTERM)
            t.term_sent = time.monotonic()
        elif action.kind == "recycle" and t is not None:
            self.procs.signal_group(t.ident, signal.SIGTERM)
            t.term_sent = time.monotonic()
            t.kill_reason = action.reason
            self.events.emit(
                action.level,
                "worker_recycled",
                action.reason or "",
                node_id=node_id,
                pid=t.ident.pid,
            )
        elif action.kind == "kill" and t is not None:
            self.procs.signal_group(t.ident, signal.SIGKILL)
            t.kill_sent = time.monotonic()
            if action.reason == "killed on request":
                t.killed_on_request = True
            elif t.kill_reason is None:
                t.kill_reason = action.reason
            if action.reason:
                self.events.emit(
                    action.level, "worker_killed", action.reason, node_id=node_id, pid=t.ident.pid
                )
        elif action.kind == "forget" and t is not None:
            self.procs.forget(t.ident.pid)
            del self._tracked[node_id]
        elif action.kind == "spawn":
            self._spawn(row, view)
        elif action.kind == "defer" and node_id not in self._deferred:
            self._deferred.add(node_id)
            avail = self.procs.available_memory() >> 20
            self.events.warning(
                "spawn_deferred",
                f"only {avail} MiB available (minimum "
                f"{self.settings.min_available_mb}); start postponed",
                node_id=node_id,
            )

    def _spawn(self, row: dict[str, Any], view: NodeView) -> None:
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
                _rotate(log_path)
                env = worker_env(self.settings, self.db)
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


def _node_view(row: dict[str, Any], status: NodeStatus) -> NodeView:
    spec = row.get("spec") or {}
    return NodeView(
        id=int(row["id"]),
        status=status,
        desired=Desired(row["desired"]),
        stop_requested=bool(row["stop_requested"]),
        kill_requested=bool(row["kill_requested"]),
        has_heartbeat=bool(row["has_heartbeat"]),
        heartbeat_age_s=row["heartbeat_age_s"],
        fast_crashes=int(row["fast_crashes"] or 0),
        start_due=bool(row["start_due"]),
        memory_limit_mb=int(spec.get("memory_limit_mb") or 256),
        last_exit=row["last_exit"],
        restarts=int(row["restarts"] or 0),
    )


def _rotate(path: Path) -> None:
    with contextlib.suppress(OSError):
        if path.stat().st_size > LOG_ROTATE_BYTES:
            path.replace(path.with_suffix(".log.1"))

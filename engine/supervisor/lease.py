"""A host's lease: its row in ``hosts``, and the advisory lock that makes one supervisor its owner.

Also what a supervisor does about other hosts' nodes once those hosts' leases expire
(``take_over_if_lost``).

The lock (LOCK_CLASS, HOST_LOCK_BASE + host id) lives on a dedicated autocommit connection, which
also renews the lease in ``hosts.heartbeat_at``: a pool recycling connections could otherwise drop
the lock without anyone noticing. If that connection dies the server lets go of the lock, so the
supervisor takes it again (``relock``) or, if another supervisor got it meanwhile, leaves.
"""

from __future__ import annotations

import contextlib
import os
import time
from typing import Any

import psutil
import psycopg

from engine import __version__
from engine.db.connections import ConnectionSource
from engine.db.handle import Database
from engine.db.queries import q
from engine.errors import UserError
from engine.fleet.events import EventWriter
from engine.fleet.nodes import change_state
from engine.fleet.rows import SupervisedNodeRow
from engine.fleet.states import PROCESS_STATES, Desired, NodeStatus
from engine.protocol import HOST_LOCK_BASE, LOCK_CLASS
from engine.settings import Settings
from engine.supervisor.plan import CLEARED

S = NodeStatus


def supervisor_holder(db: ConnectionSource, hostname: str) -> dict[str, Any] | None:
    """The supervisor currently holding this host's lock (id, hostname, pid, started_at,
    heartbeat_at, heartbeat_age_s, locked), or None. A dict: the TUI shows it as it is."""
    with db.connection() as conn:
        row = conn.execute(
            q("host_holder"),
            {"hostname": hostname, "lock_class": LOCK_CLASS, "lock_base": HOST_LOCK_BASE},
        ).fetchone()
    if row is None or not row["locked"]:
        return None
    return dict(row)


def _lock_id(host_id: int) -> int:
    return HOST_LOCK_BASE + host_id


class HostLease:
    """This host's row and lock, held on a connection of its own."""

    def __init__(self, db: Database, conn: ConnectionSource, hostname: str) -> None:
        self.db = db
        self.conn = conn  # for the registration; the lock has its own connection
        self.hostname = hostname
        self.host_id: int | None = None
        self.renewed_at = 0.0  # time.monotonic() of the last renewal
        self._lock_conn: psycopg.Connection[Any] | None = None

    def acquire(self) -> int:
        """Register the host and take its lock; UserError if another supervisor holds it."""
        with self.conn.connection() as conn:
            conn.execute(q("ensure_host"), {"hostname": self.hostname})
            row = conn.execute(q("host_id_by_name"), {"hostname": self.hostname}).fetchone()
        assert row is not None
        host_id = int(row["id"])
        lock_conn = self._try_lock(host_id)
        if lock_conn is None:
            holder = supervisor_holder(self.conn, self.hostname)
            pid = f" (pid {holder['pid']})" if holder and holder.get("pid") else ""
            raise UserError(f"another supervisor{pid} is already running for host {self.hostname}")
        self._lock_conn = lock_conn
        self.host_id = host_id
        self._claim()
        return host_id

    def _try_lock(self, host_id: int) -> psycopg.Connection[Any] | None:
        """A new connection holding the host's lock, or None if another session holds it.
        DatabaseUnavailable if the server cannot be reached."""
        conn = self.db.connect(autocommit=True)
        got = conn.execute(
            q("try_host_lock"), {"lock_class": LOCK_CLASS, "lock_id": _lock_id(host_id)}
        ).fetchone()
        if not got or not got["ok"]:
            conn.close()
            return None
        return conn

    def _claim(self) -> None:
        """Write this supervisor into the host row (only once the lock is held)."""
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
        self.renewed_at = time.monotonic()

    def renew(self, mem_available: int) -> None:
        """Renew the lease; psycopg.Error if the lock connection is gone (then ``relock``)."""
        if self._lock_conn is None or self._lock_conn.closed:
            raise psycopg.OperationalError("lock connection closed")
        self._lock_conn.execute(
            q("host_heartbeat"),
            {"id": self.host_id, "pid": os.getpid(), "mem_available": mem_available},
        )
        self.renewed_at = time.monotonic()

    def relock(self) -> bool:
        """The lock connection died, so the server released the lock: take it again. False if
        another supervisor got it meanwhile; DatabaseUnavailable if the server is still away."""
        self._close_lock_conn()
        conn = self._try_lock(self.host_id or 0)
        if conn is None:
            return False
        self._lock_conn = conn
        self._claim()
        return True

    def release(self) -> None:
        if self._lock_conn is None:
            return
        # Unlock explicitly: a closed connection's backend lets go of it only a moment later,
        # and the next supervisor should not find the host still taken.
        with contextlib.suppress(Exception):
            self._lock_conn.execute(
                "SELECT pg_advisory_unlock(%s::int, %s::int)",
                (LOCK_CLASS, _lock_id(self.host_id or 0)),
            )
        self._close_lock_conn()

    def _close_lock_conn(self) -> None:
        if self._lock_conn is not None:
            with contextlib.suppress(Exception):
                self._lock_conn.close()
            self._lock_conn = None


def takeover_after(settings: Settings) -> float:
    """Lease age after which another host's worker must have exited on its own: its dead
    man's switch fires within a heartbeat of ``dead_man_after`` and it is gone at most
    ``stop_grace`` later (see engine.worker)."""
    return settings.dead_man_after + settings.stop_grace + 2 * settings.heartbeat_interval


# --- other hosts' leases -------------------------------------------------------------------------


def take_over_if_lost(
    db: ConnectionSource,
    row: SupervisedNodeRow,
    status: NodeStatus,
    *,
    host_id: int | None,
    settings: Settings,
    events: EventWriter,
) -> None:
    """Another host's node whose lease expired: mark it lost; once that host's workers must
    have exited by their dead man's switch, take it over (unless it is pinned there).

    Nodes of a lost host that have no worker (exited, backoff, stopped while desired
    running) are taken over at once: a host that comes back finds them claimed and cannot
    spawn them (``claim_node``)."""
    after = takeover_after(settings)
    age = row.host_age_s
    if age is None or age <= settings.host_stale_after:
        return
    node_id = row.id
    gone_host = row.host or f"#{row.host_id}"
    with db.connection() as conn:
        if status in PROCESS_STATES:
            change_state(
                conn,
                node_id,
                S.LOST,
                reason=f"host {gone_host}: lease stale for {age:.0f} s",
                host_id=host_id,
                level="warning",
                expect={status},
            )
            return
        stale_after = settings.host_stale_after
        if status == S.LOST:
            if age <= after:
                return
            beat = row.heartbeat_age_s
            if beat is not None and beat <= after - settings.dead_man_after:
                return  # its worker still beats: it has not noticed yet
            stale_after = after
            if row.pinned:
                if row.desired == Desired.STOPPED:
                    change_state(
                        conn,
                        node_id,
                        S.STOPPED,
                        reason=f"host {gone_host} lost; its worker has exited",
                        host_id=host_id,
                        expect={S.LOST},
                        **CLEARED,
                    )
                return  # pinned: it waits for its own host
        elif row.pinned or row.desired != Desired.RUNNING:
            return
        took = conn.execute(
            q("take_over_node"),
            {
                "id": node_id,
                "host_id": host_id,
                "from_host": row.host_id,
                "status": status.value,
                "stale_after": stale_after,
            },
        ).fetchone()
        if took and status == S.STOPPED:
            events.warning(
                "node_taken_over", f"taken over from lost host {gone_host}", node_id=node_id
            )
        elif took:
            change_state(
                conn,
                node_id,
                S.STOPPED,
                reason=f"taken over from lost host {gone_host}",
                host_id=host_id,
                level="warning",
                expect={status},
                **CLEARED,
            )

"""The supervisor's alert checks: called on every tick, doing work every ``alert_interval``.

Fleet-wide checks (nodes, hosts, events in node_logs) run in one transaction under a
transaction-scoped advisory lock (``ALERTS_LOCK``) that only one supervisor gets at a time; the
others skip the round. The partial unique index on open alerts makes the "one open alert per kind
and subject" rule hold even without the lock. Checks of this host only (its spool, its view of the
database) run on every host. Sending is the ``Sender``'s, in its own thread: the tick only writes
rows, so it never waits for a destination.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from engine.db.connections import ConnectionSource
from engine.db.handle import Database
from engine.db.queries import q
from engine.errors import DatabaseUnavailable
from engine.fleet.events import EventWriter
from engine.fleet.hosts import is_demo_host
from engine.protocol import ALERTS_LOCK, LOCK_CLASS
from engine.settings import Settings
from engine.supervisor.alerts import rules
from engine.supervisor.alerts.rules import (
    Change,
    EventFacts,
    HostFacts,
    NodeFacts,
    Open,
    Policy,
    Resolve,
)
from engine.supervisor.alerts.send import Sender, destinations
from engine.supervisor.lease import takeover_after

log = logging.getLogger(__name__)

PRUNE_EVERY_S = 60.0
# engine.jobs.spool's suffix and refused-batches directory (see engine.supervisor.spool_sweep).
SPOOL_GLOB = "*.jsonl"
FAILED_DIR = "failed"


def policy_from(settings: Settings) -> Policy:
    return Policy(
        failing_after=settings.failing_after,
        no_new_cycles=settings.alert_no_new_cycles,
        host_stale_after=settings.host_stale_after,
        takeover_after=takeover_after(settings),
    )


def waiting_batches(spool_root: Path, older_than_s: float) -> tuple[int, float]:
    """(how many spooled batches are older than ``older_than_s``, the oldest's age in s)."""
    if not spool_root.is_dir():
        return 0, 0.0
    now = time.time()
    ages = []
    dirs = [spool_root, *(p for p in spool_root.iterdir() if p.is_dir() and p.name != FAILED_DIR)]
    for directory in dirs:
        for path in directory.glob(SPOOL_GLOB):
            with contextlib.suppress(OSError):
                ages.append(now - path.stat().st_mtime)
    old = [a for a in ages if a > older_than_s]
    return len(old), max(old, default=0.0)


class AlertMonitor:
    """Opens and resolves alerts; owns this host's ``Sender`` when alert URLs are set."""

    def __init__(
        self,
        settings: Settings,
        db: Database,
        conn: ConnectionSource,
        events: EventWriter,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.conn = conn
        self.events = events
        self.clock = clock
        self.host = settings.host_name
        self.policy = policy_from(settings)
        self.destinations = destinations(settings)  # registers the URLs' secrets
        self.sender = Sender(settings, db, self.destinations, events) if self.destinations else None
        self.evaluations = 0
        self.opened = 0
        self.resolved = 0
        self._started = False
        self._next_check = 0.0
        self._next_prune = 0.0
        self._down_since: float | None = None
        self._down_logged = False
        self._outage_to_report: float | None = None
        self._failed_once = False

    # --- the supervisor's calls ---

    def tick(self, *, db_down: bool) -> None:
        """Called on each supervisor tick; returns at once unless a check is due. Never raises:
        an alert check must not stop the supervisor."""
        try:
            self._tick(db_down)
        except (DatabaseUnavailable, psycopg.OperationalError):
            pass  # the loop notices the outage itself
        except Exception:
            if not self._failed_once:
                self._failed_once = True
                log.exception("alert check failed")
                self.events.error("alert_check_failed", "alert check failed (see the log)")

    def close(self) -> None:
        if self.sender is not None:
            self.sender.stop()

    def _tick(self, db_down: bool) -> None:
        now = self.clock()
        if not self._started:
            self._started = True
            if self.sender is not None:
                self.sender.start()
        if db_down:
            self._while_down(now)
            return
        if self._down_since is not None:
            seconds = now - self._down_since
            self._down_since = None
            self._down_logged = False
            if seconds > self.settings.alert_db_down_seconds:
                self._outage_to_report = seconds
        if self._outage_to_report is not None:
            self._report_outage(self._outage_to_report)
            self._outage_to_report = None
        if now >= self._next_check:
            self._next_check = now + self.settings.alert_interval
            if self.check() and self.sender is not None:
                self.sender.wake()
        if now >= self._next_prune:
            self._next_prune = now + PRUNE_EVERY_S
            with self.conn.connection() as conn:
                conn.execute(q("alerts_prune"), {"keep_days": self.settings.alerts_keep_days})

    def _while_down(self, now: float) -> None:
        if self._down_since is None:
            self._down_since = now
            return
        limit = self.settings.alert_db_down_seconds
        if not self._down_logged and now - self._down_since > limit:
            self._down_logged = True
            self.events.warning(
                "database_unreachable_alert",
                f"the database has been unreachable for more than {limit:g} s; an alert goes "
                f"out when it answers again",
            )

    # --- checks ---

    def check(self) -> bool:
        """One round of checks; True if anything was opened or resolved that is news."""
        self.evaluations += 1
        news = False
        with self.conn.connection() as conn:
            if self.sender is not None and not self.sender.registered:
                self.sender.register(conn)
            open_now = self._open_alerts(conn)
            got = conn.execute(
                q("alerts_try_lock"), {"lock_class": LOCK_CLASS, "lock_id": ALERTS_LOCK}
            ).fetchone()
            changes = self._fleet_changes(conn, open_now) if got and got["ok"] else []
            changes += self._spool_changes(open_now)
            for change in changes:
                news |= self._apply(conn, change)
        return news

    @staticmethod
    def _open_alerts(conn: psycopg.Connection[Any]) -> dict[tuple[str, str], dict[str, Any]]:
        """(kind, subject) of every open alert → its fields."""
        return {
            (row["kind"], row["subject"]): row["fields"] or {}
            for row in conn.execute(q("alerts_open_list"))
        }

    def _fleet_changes(
        self, conn: psycopg.Connection[Any], open_now: dict[tuple[str, str], dict[str, Any]]
    ) -> list[Change]:
        changes: list[Change] = []
        # Events first (in id order), keeping track of what they open and close.
        opened = dict(open_now)
        window = conn.execute(q("alerts_log_window")).fetchone()
        if window is not None:
            upto = int(window["max_id"])
            rows = conn.execute(
                q("alerts_events"),
                {"after": window["prev_log_id"], "upto": upto, "events": list(rules.EVENTS)},
            ).fetchall()
            conn.execute(q("alerts_log_advance"), {"upto": upto})
            for row in rows:
                ev = EventFacts(
                    id=int(row["id"]),
                    event=row["event"],
                    node_id=row["node_id"],
                    node_name=row["node_name"],
                    node_host=row["node_host"],
                    host=row["host"],
                    message=row["message"] or "",
                    fields=row["fields"] or {},
                )
                for change in rules.event_changes(ev, opened):
                    changes.append(change)
                    key = (change.kind, change.subject)
                    if isinstance(change, Open) and change.resolved is None:
                        opened.setdefault(key, change.fields)
                    elif isinstance(change, Resolve):
                        opened.pop(key, None)
        open_kinds: dict[str, set[str]] = {}
        for kind, subject in opened:
            open_kinds.setdefault(subject, set()).add(kind)

        conn.execute(q("alerts_track_progress"))
        seen_nodes = set()
        for row in conn.execute(
            q("alerts_node_facts"), {"failing_after": self.settings.failing_after}
        ).fetchall():
            node = NodeFacts(**row)
            subject = rules.node_subject(node.id)
            seen_nodes.add(subject)
            changes += rules.node_changes(node, open_kinds.get(subject, set()), self.policy)
        node_kinds = {"node_fatal", "node_failing", "no_new_postings", "proxy_failed"}
        for subject, kinds in open_kinds.items():
            if subject.startswith("node:") and subject not in seen_nodes:
                changes += rules.removed_node_changes(subject, kinds & node_kinds)

        seen_hosts = set()
        for row in conn.execute(q("alerts_host_facts")).fetchall():
            host = HostFacts(
                name=row["name"],
                lease_age_s=row["lease_age_s"],
                running_nodes=int(row["running_nodes"]),
                pinned_nodes=int(row["pinned_nodes"]),
                demo=is_demo_host(row["name"]),
            )
            subject = rules.host_subject(host.name)
            seen_hosts.add(subject)
            changes += rules.host_changes(host, open_kinds.get(subject, set()), self.policy)
        for subject, kinds in open_kinds.items():
            if "host_lost" in kinds and subject not in seen_hosts:
                changes.append(Resolve("host_lost", subject, "the host was removed", notify=False))
        return changes

    def _spool_changes(self, open_now: dict[tuple[str, str], dict[str, Any]]) -> list[Change]:
        """This host's spool: batches that wait longer than ``alert_spool_minutes``."""
        limit_min = self.settings.alert_spool_minutes
        count, oldest_s = waiting_batches(self.settings.spool_dir, limit_min * 60)
        is_open = ("spool_waiting", rules.host_subject(self.host)) in open_now
        if count and not is_open:
            return [rules.spool_open(self.host, count, oldest_s / 60, limit_min)]
        if not count and is_open:
            return [rules.spool_resolve(self.host)]
        return []

    def _report_outage(self, seconds: float) -> None:
        """A database outage longer than the limit, told once it is over (once for all hosts:
        another host's report of the same outage suffices)."""
        change = rules.outage_open(self.host, seconds, self.settings.alert_db_down_seconds)
        with self.conn.connection() as conn:
            conn.execute(q("alerts_lock"), {"lock_class": LOCK_CLASS, "lock_id": ALERTS_LOCK})
            seen = conn.execute(q("alert_outage_overlaps"), {"seconds": seconds}).fetchone()
            if seen and seen["seen"]:
                return
            self._apply(conn, change, started_ago=seconds)
        if self.sender is not None:
            self.sender.wake()

    # --- writing ---

    def _apply(self, conn: psycopg.Connection[Any], change: Change, started_ago: float = 0) -> bool:
        if isinstance(change, Open):
            row = conn.execute(
                q("alert_open"),
                {
                    "kind": change.kind,
                    "subject": change.subject,
                    "node_id": change.node_id,
                    "node_name": change.node_name,
                    "host_name": change.host_name,
                    "reported_by": self.host,
                    "level": change.level,
                    "title": change.title,
                    "body": change.body,
                    "fields": Jsonb(change.fields),
                    "source_log_id": change.source_log_id,
                    "started_ago": float(started_ago),
                    "resolution": change.resolved,
                },
            ).fetchone()
            if row is None:
                return False  # open already (another host's, or an event seen before)
            self.opened += 1
            self.events.emit(
                change.level,
                "alert_opened",
                change.title.removeprefix("jobfleet: "),
                alert_id=row["id"],
                kind=change.kind,
                node=change.node_name,
                host=change.host_name,
            )
            return True
        closed = conn.execute(
            q("alert_resolve"),
            {
                "kind": change.kind,
                "subject": change.subject,
                "resolution": change.resolution,
                "notify": change.notify,
            },
        ).fetchall()
        if not closed:
            return False
        self.resolved += 1
        self.events.info(
            "alert_resolved",
            f"{change.kind} {change.subject}: {change.resolution}",
            alert_id=closed[0]["id"],
            kind=change.kind,
        )
        return change.notify

"""The threads that keep a worker tied to its supervisor, and end it when that tie is gone.

* the heartbeat: every ``heartbeat_interval`` it stamps the node row (only while the row still
  names this pid), reads stop and kill requests, and learns how old the supervisor's lease is.
  It runs in the stop listener's thread, on its connection, not the one the store and the
  event writer share: a store waiting for a lock (a regroup, a dump, a locked table) must not
  silence it;
* the dead man's switch: when the lease has not been seen renewed for ``dead_man_after`` (the
  supervisor died, or the database is out of reach), the worker leaves on its own within
  ``stop_grace``, so another host can take the node over without two workers scraping it;
* the stop listener: a LISTEN on ``jobfleet_node_<id>`` (NODE_CHANNEL_PREFIX) so a stop takes
  effect within a second, with the heartbeat's poll as the fallback.

All three only set ``stop`` (and the exit code); the scrape loop notices and winds down. The dead
man's switch alone also exits the process itself if winding down takes too long.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from types import FrameType

import psutil
import psycopg

from engine.db.connections import Listener, SharedConnection
from engine.db.handle import Database
from engine.db.queries import q
from engine.errors import DatabaseUnavailable
from engine.fleet.events import EventWriter
from engine.protocol import EXIT_DEAD_MAN, EXIT_STOPPED, EXIT_SUPERSEDED, NODE_CHANNEL_PREFIX
from engine.settings import Settings
from engine.worker.children import kill_descendant_groups

log = logging.getLogger(__name__)

# Until the supervisor has written our pid on the row, a heartbeat matches no row: wait so long.
PID_WAIT_S = 15.0


class Lifelines:
    """Heartbeat, dead man's switch and stop listener of one worker, and its stop state."""

    def __init__(
        self,
        node_id: int,
        settings: Settings,
        db: Database,
        conn: SharedConnection,
        events: EventWriter,
    ) -> None:
        self.node_id = node_id
        self.settings = settings
        self.db = db
        self.conn = conn
        self.events = events
        self.pid = os.getpid()
        self.proc = psutil.Process()
        self.stop = threading.Event()
        self.exit_code = EXIT_STOPPED
        self.stop_reason: str | None = None
        self._threads: list[threading.Thread] = []
        self._listener = Listener(db, [f"{NODE_CHANNEL_PREFIX}{node_id}"], retry_after=1.0)
        self._pid_seen = False
        self._started = time.monotonic()
        # When (monotonic) the supervisor's lease was last renewed, as far as we know.
        self._lease_at = time.monotonic()

    # --- stopping ---

    def request_stop(self, reason: str, code: int = EXIT_STOPPED) -> None:
        if not self.stop.is_set():
            self.stop_reason = reason
            self.exit_code = code
            self.stop.set()

    def on_signal(self, signum: int, _frame: FrameType | None) -> None:
        self.request_stop(f"signal {signal.Signals(signum).name}")

    # --- the threads ---

    def start(self) -> None:
        self._lease_at = time.monotonic()  # just spawned by a live supervisor
        # Not joined at the end (it may be counting down to a hard exit); a daemon dies with us.
        threading.Thread(target=self._dead_man_loop, name="dead-man", daemon=True).start()
        self._start_thread(self._beat_and_listen_loop, "lifeline")

    def join(self, timeout: float) -> None:
        """Wait for the heartbeat and the listener once ``stop`` is set."""
        for thread in self._threads:
            thread.join(timeout=timeout)

    def _start_thread(self, target: Callable[[], None], name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def beat(self) -> None:
        rss = self.proc.memory_info().rss
        # Taken before the query: the lease seen is then never thought younger than it is.
        asked = time.monotonic()
        # The shared connection only while the listener is away (it reconnects on its own).
        source = self._listener if self._listener.connected else self.conn
        with source.connection() as conn:
            row = conn.execute(
                q("worker_heartbeat"), {"id": self.node_id, "pid": self.pid, "rss": rss}
            ).fetchone()
            if row is None:
                current = conn.execute(q("worker_row"), {"id": self.node_id}).fetchone()
        if row is not None:
            self._pid_seen = True
            # A run-once worker runs for a node whose desired state may be "stopped".
            unwanted = row["desired"] == "stopped" and not row["run_once"]
            if row["kill_requested"] or row["stop_requested"] or unwanted:
                self.request_stop("stop requested")
            host_age = row["host_age_s"]
            if host_age is not None:
                self._lease_at = asked - float(host_age)
            return
        if current is None:
            self.request_stop("node deleted", EXIT_SUPERSEDED)
        elif current["pid"] is not None and current["pid"] != self.pid:
            self.request_stop(f"replaced by pid {current['pid']}", EXIT_SUPERSEDED)
        elif self._pid_seen or time.monotonic() - self._started > PID_WAIT_S:
            self.request_stop("no longer recorded on the node", EXIT_SUPERSEDED)

    def _beat_safely(self) -> None:
        try:
            self.beat()
        except (DatabaseUnavailable, psycopg.Error) as exc:
            log.debug("heartbeat failed: %s", exc.__class__.__name__)
        except Exception:  # the lifeline must outlive any surprise
            log.exception("heartbeat failed")

    def _dead_man_loop(self) -> None:
        """Exit when the supervisor's lease has not been seen renewed for ``dead_man_after``.

        Judged on this process's monotonic clock from the last lease age the database reported,
        so it also fires when the database cannot be reached at all (another host may take the
        node over once the lease is that old). No I/O here: a hung connection cannot delay it.
        Once fired, the worker is gone within ``stop_grace`` (the supervisor taking over counts
        on that)."""
        while not self.stop.wait(min(self.settings.heartbeat_interval, 1.0)):
            stale = time.monotonic() - self._lease_at
            if stale <= self.settings.dead_man_after:
                continue
            self.events.error(
                "dead_man_switch",
                f"the supervisor's lease has not been renewed for {stale:.0f} s; exiting on my own",
                node_id=self.node_id,
            )
            self.request_stop("supervisor gone", EXIT_DEAD_MAN)
            break
        if self.exit_code != EXIT_DEAD_MAN:
            return
        # Leave within stop_grace whatever the rest is doing (a write to a database that hangs).
        time.sleep(self.settings.stop_grace * 0.8)
        kill_descendant_groups()
        os._exit(EXIT_DEAD_MAN)

    def _beat_and_listen_loop(self) -> None:
        """Beat every ``heartbeat_interval`` and wait for stop notifications in between, in one
        thread on one connection. (A heartbeat thread of its own on the listening connection
        would queue behind each ``wait()``, and the waiting loop, taking the connection's lock
        again the moment it let it go, could starve it for seconds: killed as stale.)"""
        next_beat = 0.0
        while not self.stop.is_set():
            if time.monotonic() >= next_beat:
                self._beat_safely()
                next_beat = time.monotonic() + self.settings.heartbeat_interval
                continue  # the beat may have read a stop request
            notes = self._listener.wait(min(0.5, max(0.0, next_beat - time.monotonic())))
            if any(n.payload == "stop" for n in notes):
                self.request_stop("stop requested")
            elif notes:  # (re)connected: a stop may have been missed meanwhile; beat now
                next_beat = 0.0
        self._listener.close()

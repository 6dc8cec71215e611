"""The supervisor's sweep of the spool: batches no worker will ever store go in anyway.

A worker replays only its own directory (``spool/node-ID``), so a batch waits forever when its
node was removed while the database was slow, when the node moved to another host, or when an
import was interrupted. The supervisor replays every spool directory under its home, whatever
node id it names, when it starts and then every ``spool_replay_interval`` seconds, in a thread of
its own with its own connection: a store blocked by a lock or a slow database never holds up the
supervisor's loop. A file that a live worker is writing or storing is locked by it and skipped
(``engine.jobs.spool.locked``); a batch committed already is recognized by its batch id.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from engine.db.connections import SharedConnection
from engine.db.handle import Database
from engine.errors import DatabaseUnavailable
from engine.fleet.events import EventWriter

if TYPE_CHECKING:
    from pathlib import Path

    from engine.jobs.ingest import SaveResult
    from engine.jobs.spool import SpoolFile

log = logging.getLogger(__name__)

# engine.jobs.spool.SPOOL_SUFFIX (a unit test keeps them equal): a glob with it tells whether
# there is anything to sweep without importing engine.jobs, which the supervisor otherwise never
# needs (engine.geo and pycountry come with it).
SPOOL_GLOB = "*.jsonl"


class SpoolSweeper:
    """Replays every spool file under ``spool_root``, at start and then every ``interval``."""

    def __init__(
        self,
        db: Database,
        spool_root: Path,
        events: EventWriter,
        *,
        interval: float,
        also: Callable[[], object] | None = None,
    ) -> None:
        self.db = db
        self.spool_root = spool_root
        self.events = events
        self.interval = max(interval, 0.1)
        self.also = also
        self.sweeps = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="spool-sweep", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        """Stop sweeping; a store blocked in the database is left to end with the process."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.sweep()
            except Exception:  # the next sweep tries again; the loop must not die
                log.exception("spool sweep failed")
            if self.also is not None:
                try:  # other housekeeping on the same clock (the log files' rotation)
                    self.also()
                except Exception:
                    log.exception("housekeeping failed")
            self._stop.wait(self.interval)

    def _anything_waiting(self) -> bool:
        root = self.spool_root
        if not root.is_dir():
            return False
        # "failed": engine.jobs.spool.FAILED_DIR, refused batches that no replay takes.
        dirs = [root, *(p for p in root.iterdir() if p.is_dir() and p.name != "failed")]
        return any(any(d.glob(SPOOL_GLOB)) for d in dirs)

    def sweep(self) -> int:
        """One pass over every spool directory; returns how many batches were stored."""
        self.sweeps += 1
        if not self._anything_waiting():
            return 0
        # Imported only when there is something to store (see SPOOL_GLOB).
        from engine.jobs.ingest import Store
        from engine.jobs.spool import spool_dirs

        conn = SharedConnection(self.db, retry_after=1.0)
        settled = 0
        try:
            for directory in spool_dirs(self.spool_root):
                if self._stop.is_set():
                    break
                store = Store(self.db, directory, connections=conn)
                with contextlib.suppress(DatabaseUnavailable):  # left for the next sweep
                    settled += store.replay_spool(on_settled=self._report)
        finally:
            conn.close()
        return settled

    def _report(self, spool: SpoolFile, result: SaveResult) -> None:
        node_id = spool.run.node_id if spool.run is not None else None
        source = f"node {node_id}" if node_id is not None else "an import"
        # A supervisor event (node_id None): the node may be gone, and a log row naming a
        # removed node would be dropped.
        self.events.info(
            "spool_replayed_orphan",
            f"spooled batch of {source} stored: {result.found} postings, {result.new} new",
            node=node_id,
            batch_id=str(spool.batch_id),
            site=spool.run.site if spool.run is not None else None,
            found=result.found,
            new=result.new,
            file=spool.path.name,
        )

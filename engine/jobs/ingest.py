"""Writing batches: every posting once in ``jobs``, nothing lost on the way.

Writing a batch (``Store.save_batch``):

1. Duplicates inside the batch are dropped (same canonical URL: the first one wins).
2. The batch goes to a spool file under ``settings.spool_dir`` (JSONL, fsync'd, renamed into
   place) *before* the database sees it, and the file is removed only after COMMIT. A crash or a
   database outage leaves the file behind; ``replay_spool`` writes it later. Each file carries a
   batch id recorded in ``ingested_batches`` in the same transaction, so replaying a file whose
   commit went through changes nothing.
3. One transaction: the URLs already stored were looked up through the unique index before
   spooling, so only the new postings are written: by a binary COPY straight into ``jobs``
   (under a savepoint). If another worker stored one of them meanwhile, the COPY fails on the
   unique index and the batch goes the careful way instead: COPY to a staging table, then one
   ``INSERT ... SELECT ... WHERE NOT EXISTS ... ON CONFLICT DO NOTHING`` (the generated tsvector
   is computed for every row an INSERT sees, so known rows must not reach it). Known postings
   only get their sighting counted in the narrow ``job_sightings`` row: the heavy ``jobs`` row
   and its tsvector are never rewritten.

A worker stores a whole scrape with ``Store.save_scrape``: every site's batch is spooled (and
fsync'd) before the first one is written, because the scrape child's result file is gone by then
and a crash in the middle of the first store must not lose the other sites. Those files are
spooled without a lookup (a slow database must not keep them in memory only); the lookup then
happens inside the write's transaction. ``replay_spool`` runs in the worker and, for every spool
directory under the home (other nodes, removed nodes, imports), in the supervisor.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

from engine.db.connections import ConnectionSource
from engine.db.handle import Database
from engine.db.queries import q
from engine.errors import DatabaseUnavailable
from engine.jobs.groups import (
    NewPosting,
    allocate_ids,
    fingerprint_new,
    group_batch,
    recheck,
    relabel_groups,
    write_sketches,
)
from engine.jobs.pgvalues import STAGE_TYPES, stage_row
from engine.jobs.record import JobRecord
from engine.jobs.spool import (
    FAILED_DIR,
    SPOOL_SUFFIX,
    Outcome,
    RunInfo,
    SpoolFile,
    locked,
    private_dir,
    read_spool,
    spooled,
)
from engine.redact import mask_text
from engine.text import pg_text

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SaveResult:
    found: int
    new: int
    # Rows an import could not use (no URL, no site, unreadable).
    skipped: int = 0

    @property
    def known(self) -> int:
        return self.found - self.new


def dedupe(records: Iterable[JobRecord]) -> list[JobRecord]:
    """One record per canonical URL, the first one seen winning (one INSERT cannot touch a key
    twice, and a scrape often returns the same posting on two pages)."""
    seen: dict[str, JobRecord] = {}
    for record in records:
        if record.job_url and record.job_url not in seen:
            seen[record.job_url] = record
    return list(seen.values())


def _unavailable(db: Database, exc: BaseException) -> DatabaseUnavailable:
    return DatabaseUnavailable(
        f"the database at {db.masked_url} is unavailable: {db.friendly(exc)}"
    )


class Store:
    """Writes batches of clean records into ``jobs`` through the spool."""

    def __init__(
        self,
        db: Database,
        spool_dir: Path,
        *,
        connections: ConnectionSource | None = None,
        grouping: bool = True,
    ) -> None:
        """``connections``: where the writes go when not through ``db``'s pool (a worker has
        one shared connection and no pool); ``db`` still names the database in messages.
        ``grouping``: group new postings with the stored ones they repeat (engine/jobs/groups.py);
        off only to measure what it costs (bench/bench_ingest.py)."""
        self.db = db
        self.grouping = grouping
        # New postings to group again once a concurrent writer's batch has committed.
        self._recheck_later: list[NewPosting] = []
        self.connections: ConnectionSource = db if connections is None else connections
        self.spool_dir = Path(spool_dir)

    @property
    def failed_dir(self) -> Path:
        return self.spool_dir / FAILED_DIR

    def pending(self) -> list[Path]:
        """Spool files waiting to be written, oldest first."""
        if not self.spool_dir.is_dir():
            return []
        return sorted(self.spool_dir.glob(f"*{SPOOL_SUFFIX}"))

    def save_batch(
        self,
        records: Iterable[JobRecord],
        *,
        node_id: int | None = None,
        site: str | None = None,
        location: str | None = None,
        search_term: str | None = None,
        started_at: datetime | None = None,
        outcome: Outcome = "ok",
        error: str | None = None,
        proxy: str | None = None,
    ) -> SaveResult:
        """Store one batch atomically and, when ``site`` is given, its ``scrape_runs`` row.

        Raises DatabaseUnavailable when the database cannot take the batch; the spool file then
        stays for ``replay_spool``.
        """
        batch = dedupe(records)
        run = (
            RunInfo(
                site=site,
                node_id=node_id,
                location=location,
                search_term=search_term,
                started_at=started_at,
                outcome=outcome,
                error=error,
                proxy=proxy,
            )
            if site
            else None
        )
        # Which postings are known already: those need no more than a sighting, so they are
        # spooled as one short line and never staged. If the database does not answer, the whole
        # batch is spooled in full and the write below reports the outage.
        known: dict[str, int] = {}
        outage: DatabaseUnavailable | None = None
        if batch:
            try:
                with self.connections.connection() as conn:
                    known = self._known_ids(conn, [r.job_url for r in batch])
            except psycopg.OperationalError as exc:
                outage = _unavailable(self.db, exc)
            except DatabaseUnavailable as exc:
                outage = exc
        fresh = [r for r in batch if r.job_url not in known]
        sightings = sorted((job_id, url) for url, job_id in known.items())
        batch_id = uuid.uuid4()
        with spooled(self.spool_dir, batch_id, run, fresh, sightings) as path:
            if outage is not None:
                # Spooled; no second wait for a database that just failed to answer.
                raise outage
            result = self._settle(
                SpoolFile(path, batch_id, run, fresh, sightings), node_id=node_id, looked_up=True
            )
        # The database answers: this is the moment to write what an earlier outage left behind.
        if self.pending():
            try:
                self.replay_spool()
            except Exception as exc:  # this batch is stored; the others wait for next time
                log.warning("spool replay postponed: %s", exc)
        return result

    def save_scrape(
        self, batches: Sequence[tuple[RunInfo, Sequence[JobRecord]]]
    ) -> list[SaveResult | None]:
        """Store one scrape: a batch and its ``scrape_runs`` row per site.

        Every batch is spooled first, each in its own file (fsync'd and locked until settled), so
        a crash at any point leaves whatever is not committed in the spool. Then they are written
        one by one. None in the result: the database could not take that batch now; it stays in
        the spool for ``replay_spool``. A batch the database refuses is moved aside and its error
        raised once the other sites are stored.
        """
        results: list[SaveResult | None] = []
        refused: Exception | None = None
        with contextlib.ExitStack() as held:
            spools = []
            for run, records in batches:
                batch_id, batch = uuid.uuid4(), dedupe(records)
                path = held.enter_context(spooled(self.spool_dir, batch_id, run, batch))
                spools.append((run.node_id, SpoolFile(path, batch_id, run, batch)))
            outage = False
            for node_id, spool in spools:
                if outage:  # no second wait for a database that just failed to answer
                    results.append(None)
                    continue
                try:
                    results.append(self._settle(spool, node_id=node_id))
                except DatabaseUnavailable:
                    outage = True
                    results.append(None)
                except Exception as exc:
                    refused = refused or exc
                    results.append(None)
        # Copies of these postings that another worker was writing at the same moment are
        # committed by now or soon: group them before the scrape counts as stored.
        self.settle_groups(wait=True)
        if refused is not None:
            raise refused
        return results

    def replay_spool(
        self, on_settled: Callable[[SpoolFile, SaveResult], None] | None = None
    ) -> int:
        """Write every leftover spool file; returns how many batches were settled.

        Safe to call from several processes at once and to call again after a failure: files
        another process is writing are skipped, and a batch already committed is not applied
        twice. Raises DatabaseUnavailable (leaving the rest for later) if the database is down.
        ``on_settled`` is told about each batch written.
        """
        settled = 0
        for path in self.pending():
            with locked(path, wait=False) as mine:
                if not mine:
                    continue
                try:
                    spool = read_spool(path)
                except (OSError, ValueError, TypeError, KeyError) as exc:
                    log.error("spool file %s is unreadable (%s); moved aside", path.name, exc)
                    self._move_aside(path)
                    continue
                node_id = spool.run.node_id if spool.run else None
                result = self._settle(spool, node_id=node_id)
                settled += 1
                if on_settled is not None:
                    on_settled(spool, result)
        if settled:
            with contextlib.suppress(psycopg.Error), self.connections.connection() as conn:
                conn.execute(q("batch_prune_ingested"))
        return settled

    def _settle(
        self, spool: SpoolFile, *, node_id: int | None, looked_up: bool = False
    ) -> SaveResult:
        try:
            try:
                result = self._write(spool, node_id=node_id, looked_up=looked_up)
            except psycopg.errors.ForeignKeyViolation:
                # Its node was removed during the write: written again, the run finds it gone.
                result = self._write(spool, node_id=node_id, looked_up=looked_up)
        except psycopg.OperationalError as exc:
            # Connection refused, server shut down, backend terminated, pool timeout: the
            # file stays for replay_spool.
            raise _unavailable(self.db, exc) from exc
        except DatabaseUnavailable:
            raise
        except Exception:
            # The data itself is refused: replaying it would fail forever. Keep it aside.
            self._move_aside(spool.path)
            raise
        spool.path.unlink(missing_ok=True)
        return result

    def _move_aside(self, path: Path) -> None:
        private_dir(self.failed_dir)
        with contextlib.suppress(FileNotFoundError):
            path.rename(self.failed_dir / path.name)

    def _write(self, spool: SpoolFile, *, node_id: int | None, looked_up: bool) -> SaveResult:
        """Apply one spooled batch in one transaction. ``looked_up``: its records were found
        missing from ``jobs`` a moment ago; otherwise (a replayed file may be hours old, or was
        spooled without a lookup) they are looked up first, in this transaction."""
        found = spool.found
        contended: list[NewPosting] = []
        with self.connections.connection() as conn:
            first_time = conn.execute(
                q("batch_mark_ingested"), {"batch_id": spool.batch_id}
            ).fetchone()
            if first_time is None:
                log.info("batch %s was already committed; dropping its spool file", spool.batch_id)
                return SaveResult(found=found, new=0)
            known = {url: job_id for job_id, url in spool.sightings}
            new = 0
            records = spool.records
            if records and not looked_up:
                # Spooled without a lookup (a whole scrape, an outage, a replay): the postings
                # already stored only need their sighting, the rest most likely go in as they are.
                stored = self._known_ids(conn, [r.job_url for r in records])
                known.update(stored)
                records = [r for r in records if r.job_url not in stored]
            if records:
                # The INSERT itself skips postings stored meanwhile (by another worker, or
                # before an outage) without computing their tsvector.
                if self.grouping:
                    inserted, contended = _insert_grouped(conn, records)
                else:
                    inserted = self._insert(conn, records, optimistic=True)
                new = len(inserted)
                raced = [r.job_url for r in records if r.job_url not in inserted]
                if raced:
                    known.update(self._known_ids(conn, raced))
            if known:
                conn.execute(
                    q("jobs_record_sightings"),
                    {"ids": sorted(known.values()), "node_id": node_id},
                )
            if spool.run is not None:
                self._insert_run(conn, spool.run, found=found, new=new)
        self._recheck_later.extend(contended)
        if self._recheck_later:
            self.settle_groups(wait=False)
        return SaveResult(found=found, new=new)

    def settle_groups(self, *, wait: bool = True) -> int:
        """Group again the new postings another writer's batch, written at the same moment, might
        repeat, once that batch has committed (engine/jobs/groups.py). ``wait``: wait for it;
        otherwise those still being written are kept for the next call. Returns how many remain.
        The postings are stored either way: a failure here leaves two groups that ``jobs regroup``
        joins."""
        if not self._recheck_later:
            return 0
        try:
            with self.connections.connection() as conn:
                self._recheck_later = recheck(conn, self._recheck_later, wait=wait)
        except (psycopg.Error, DatabaseUnavailable) as exc:
            log.warning(
                "grouping recheck of %d postings postponed: %s", len(self._recheck_later), exc
            )
        return len(self._recheck_later)

    @staticmethod
    def _known_ids(conn: psycopg.Connection[Any], urls: list[str]) -> dict[str, int]:
        rows = conn.execute(q("jobs_known_ids"), {"urls": urls}).fetchall()
        return {row["job_url"]: row["id"] for row in rows}

    @staticmethod
    def _insert(
        conn: psycopg.Connection[Any], records: list[JobRecord], *, optimistic: bool
    ) -> set[str]:
        """Insert the postings not stored yet; returns the URLs inserted."""
        # The same lock order in every batch: two workers inserting the same new postings wait
        # for each other on the unique index instead of deadlocking.
        records = sorted(records, key=lambda r: r.job_url)
        if optimistic:
            # Straight into jobs: no staging copy of every description (written to a temp
            # table, compressed, read back and decompressed), and COPY inserts in bulk.
            try:
                with conn.transaction(), conn.cursor() as cur, cur.copy(q("jobs_copy")) as copy:
                    copy.set_types(STAGE_TYPES)
                    for record in records:
                        copy.write_row(stage_row(record))
                return {r.job_url for r in records}
            except psycopg.errors.UniqueViolation:
                # Stored by another worker since the lookup: the savepoint undid the COPY.
                log.debug("a new posting was stored meanwhile; inserting the batch through staging")
        conn.execute(q("jobs_stage_create"))
        with conn.cursor() as cur:
            with cur.copy(q("jobs_stage_copy")) as copy:
                copy.set_types(STAGE_TYPES)
                for record in records:
                    copy.write_row(stage_row(record))
            cur.execute(q("jobs_insert_staged"))
            return {row["job_url"] for row in cur.fetchall()}

    @staticmethod
    def _insert_run(
        conn: psycopg.Connection[Any],
        run: RunInfo,
        *,
        found: int,
        new: int,
        finished_at: datetime | None = None,
    ) -> int:
        row = conn.execute(
            q("scrape_run_insert"),
            {
                "node_id": run.node_id,
                "site": run.site,
                "location": run.location,
                "search_term": run.search_term,
                "started_at": run.started_at,
                "finished_at": finished_at,
                "found": found,
                "new": new,
                "outcome": run.outcome,
                "error": mask_text(pg_text(run.error)) if run.error else None,
                "proxy": mask_text(run.proxy) if run.proxy else None,
            },
        ).fetchone()
        return int(row["id"]) if row else 0

    def record_run(
        self,
        *,
        site: str,
        node_id: int | None = None,
        location: str | None = None,
        search_term: str | None = None,
        started_at: datetime | None = None,
        finished_at: datetime | None = None,
        found: int = 0,
        new: int = 0,
        outcome: Outcome = "ok",
        error: str | None = None,
        proxy: str | None = None,
    ) -> int:
        """A ``scrape_runs`` row on its own (a scrape that failed before it had any batch)."""
        run = RunInfo(site, node_id, location, search_term, started_at, outcome, error, proxy)
        try:
            with self.connections.connection() as conn:
                return self._insert_run(conn, run, found=found, new=new, finished_at=finished_at)
        except psycopg.OperationalError as exc:
            raise _unavailable(self.db, exc) from exc


_GROUPED_TYPES = (*STAGE_TYPES, "int8", "int8")  # then id, group_id


def _insert_grouped(
    conn: psycopg.Connection[Any], records: list[JobRecord]
) -> tuple[set[str], list[NewPosting]]:
    """``Store._insert`` with grouping: the new postings get their ids first, then their groups
    (engine/jobs/groups.py), and are written once with both. Returns the URLs inserted and the
    postings to ``recheck`` after the commit."""
    records = sorted(records, key=lambda r: r.job_url)  # one lock order, as in Store._insert
    ids = allocate_ids(conn, len(records))
    today = datetime.now(UTC).date()
    batch = [fingerprint_new(i, r, today) for i, r in zip(ids, records, strict=True)]
    decided = group_batch(conn, batch)
    groups = decided.groups
    rows = [(*stage_row(r), i, groups[i]) for r, i in zip(records, ids, strict=True)]
    try:
        with conn.transaction(), conn.cursor() as cur, cur.copy(q("jobs_copy_grouped")) as copy:
            copy.set_types(_GROUPED_TYPES)
            for row in rows:
                copy.write_row(row)
        written = batch
    except psycopg.errors.UniqueViolation:
        log.debug("a new posting was stored meanwhile; inserting the batch through staging")
        conn.execute(q("jobs_stage_grouped_create"))
        with conn.cursor() as cur:
            with cur.copy(q("jobs_stage_grouped_copy")) as copy:
                copy.set_types(_GROUPED_TYPES)
                for row in rows:
                    copy.write_row(row)
            cur.execute(q("jobs_insert_staged_grouped"))
            stored = {row["id"] for row in cur.fetchall()}
        lost = [(i, r.job_url) for r, i in zip(records, ids, strict=True) if i not in stored]
        if lost:
            conn.execute(
                q("groups_adopt_raced"),
                {"ids": [i for i, _ in lost], "urls": [url for _, url in lost]},
            )
        written = [n for n in batch if n.fp.posting_id in stored]
    write_sketches(conn, written)
    # Last: the relabelled rows stay locked until the commit, and another writer relabelling
    # one of them waits for it (done first, that wait lasted this whole batch's COPY).
    relabel_groups(conn, decided.relabel)
    by_id = {n.fp.posting_id for n in written}
    inserted = {r.job_url for r, i in zip(records, ids, strict=True) if i in by_id}
    return inserted, [n for n in decided.contended if n.fp.posting_id in by_id]

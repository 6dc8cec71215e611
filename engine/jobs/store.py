"""The store: every posting once in ``jobs``, nothing lost on the way, and the queries people run.

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

Reading: ``search_jobs`` (full text in websearch syntax, newest first, with filters), ``get_job``,
``job_stats``, ``export_jobs`` (server-side cursor, constant memory) and ``import_file`` (jobspy CSV
or JSONL through the same clean-and-store path).
"""

from __future__ import annotations

import contextlib
import csv
import fcntl
import json
import logging
import math
import os
import re
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, Any, Literal

import psycopg
from psycopg.types.json import Jsonb

from engine.db.handle import Database
from engine.db.queries import q
from engine.errors import DatabaseUnavailable, UserError
from engine.jobs.record import JobRecord, clean_record, record_from_dict, record_to_dict
from engine.redact import mask_text
from engine.text import pg_text

log = logging.getLogger(__name__)

SPOOL_SUFFIX = ".jsonl"
SPOOL_FORMAT = 1
# Columns of jobs written by the store, in the order of the staging COPY.
INSERT_COLUMNS = (
    "job_url",
    "site",
    "site_job_id",
    "title",
    "company",
    "company_url",
    "description",
    "location_raw",
    "city",
    "region",
    "country",
    "is_remote",
    "date_posted",
    "job_type",
    "salary_min",
    "salary_max",
    "salary_currency",
    "salary_interval",
    "emails",
    "extra",
    "node_id",
    "search_term",
)
# Their Postgres types, for the binary COPY (no text escaping of 1-5 KB descriptions).
STAGE_TYPES = (
    "text", "text", "text", "text", "text", "text", "text", "text", "text", "text", "text",
    "bool", "date", "text", "float8", "float8", "text", "text", "text[]", "jsonb", "int8", "text",
)  # fmt: skip
Outcome = Literal["ok", "blocked", "timeout", "error"]
# progress(done, total): total is None when unknown.
Progress = Callable[[int, int | None], None]


@dataclass(frozen=True)
class SaveResult:
    found: int
    new: int
    # Rows an import could not use (no URL, no site, unreadable).
    skipped: int = 0

    @property
    def known(self) -> int:
        return self.found - self.new


@dataclass(frozen=True)
class RunInfo:
    """What a ``scrape_runs`` row says about the search a batch came from."""

    site: str
    node_id: int | None = None
    location: str | None = None
    search_term: str | None = None
    started_at: datetime | None = None
    outcome: Outcome = "ok"
    error: str | None = None
    proxy: str | None = None


# --- making values safe for Postgres -------------------------------------------------------------


def _json_safe(value: Any) -> Any:
    """A JSON-ready copy of ``value``: no NaN/inf (JSON has none), no NUL, plain containers."""
    if isinstance(value, str):
        return pg_text(value)
    if isinstance(value, bool) or value is None or isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {pg_text(str(k)): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_json_safe(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    return pg_text(str(value))


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def _jsonb(value: Any) -> Jsonb:
    return Jsonb(_json_safe(value or {}), dumps=_dumps)


def _column_value(name: str, value: Any) -> Any:
    if value is None:
        return None
    if name == "extra":
        return _jsonb(value)
    if isinstance(value, str):
        return pg_text(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if name == "emails":
        return [pg_text(str(v)) for v in value] or None
    return value


def _stage_row(record: JobRecord) -> tuple[Any, ...]:
    return tuple(_column_value(name, getattr(record, name)) for name in INSERT_COLUMNS)


def dedupe(records: Iterable[JobRecord]) -> list[JobRecord]:
    """One record per canonical URL, the first one seen winning (one INSERT cannot touch a key
    twice, and a search often returns the same posting on two pages)."""
    seen: dict[str, JobRecord] = {}
    for record in records:
        if record.job_url and record.job_url not in seen:
            seen[record.job_url] = record
    return list(seen.values())


def _unavailable(db: Database, exc: BaseException) -> DatabaseUnavailable:
    return DatabaseUnavailable(
        f"the database at {db.masked_url} is unavailable: {db.friendly(exc)}"
    )


# --- the spool -----------------------------------------------------------------------------------


@dataclass
class SpoolFile:
    path: Path
    batch_id: uuid.UUID
    run: RunInfo | None
    # Postings not stored yet when the batch was spooled, in full.
    records: list[JobRecord] = field(default_factory=list)
    # Postings already stored then: only their sighting is left to record (id, canonical URL).
    sightings: list[tuple[int, str]] = field(default_factory=list)

    @property
    def found(self) -> int:
        return len(self.records) + len(self.sightings)


def _run_to_json(run: RunInfo | None) -> dict[str, Any] | None:
    if run is None:
        return None
    data = {f.name: getattr(run, f.name) for f in fields(run)}
    if run.started_at is not None:
        data["started_at"] = run.started_at.isoformat()
    return data


def _run_from_json(data: dict[str, Any] | None) -> RunInfo | None:
    if not data:
        return None
    started = data.get("started_at")
    return RunInfo(
        site=str(data["site"]),
        node_id=data.get("node_id"),
        location=data.get("location"),
        search_term=data.get("search_term"),
        started_at=datetime.fromisoformat(started) if started else None,
        outcome=data.get("outcome") or "ok",
        error=data.get("error"),
        proxy=data.get("proxy"),
    )


def _record_line(record: JobRecord) -> str:
    data = record_to_dict(record)
    try:
        return _dumps(data)
    except (ValueError, TypeError):  # NaN or an odd type that slipped through the cleaner
        return _dumps(_json_safe(data))


def write_spool(
    spool_dir: Path,
    batch_id: uuid.UUID,
    run: RunInfo | None,
    records: Sequence[JobRecord],
    sightings: Sequence[tuple[int, str]] = (),
) -> Path:
    """Write the batch to a new spool file, durably, and return its path."""
    with _spooled(spool_dir, batch_id, run, records, sightings) as path:
        return path


@contextlib.contextmanager
def _spooled(
    spool_dir: Path,
    batch_id: uuid.UUID,
    run: RunInfo | None,
    records: Sequence[JobRecord],
    sightings: Sequence[tuple[int, str]] = (),
) -> Iterator[Path]:
    """Write the batch to a new spool file and hold its lock while the block runs.

    The file is written under a temporary name, fsync'd, locked, then renamed into place: a
    spool file with the final suffix is always complete, and a replay in another process never
    takes a file whose writer is still settling it. Known postings take one short line each.
    """
    spool_dir.mkdir(parents=True, exist_ok=True)
    name = f"{time.time_ns():020d}-{os.getpid()}-{batch_id.hex}"
    tmp = spool_dir / f".{name}.tmp"
    final = spool_dir / f"{name}{SPOOL_SUFFIX}"
    header = {"jobfleet_spool": SPOOL_FORMAT, "batch_id": str(batch_id), "run": _run_to_json(run)}
    with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(_dumps(header))
        fh.write("\n")
        for record in records:
            fh.write(_record_line(record))
            fh.write("\n")
        for job_id, url in sightings:
            fh.write(_dumps({"sighting": job_id, "job_url": url}))
            fh.write("\n")
        fh.flush()
        os.fsync(fh.fileno())
        # The lock belongs to the open file, so it survives the rename.
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        os.rename(tmp, final)
        _fsync_dir(spool_dir)
        yield final


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def read_spool(path: Path) -> SpoolFile:
    with open(path, encoding="utf-8") as fh:
        header = json.loads(fh.readline())
        if header.get("jobfleet_spool") != SPOOL_FORMAT:
            raise ValueError(f"{path.name} is not a jobfleet spool file of format {SPOOL_FORMAT}")
        spool = SpoolFile(
            path=path,
            batch_id=uuid.UUID(header["batch_id"]),
            run=_run_from_json(header.get("run")),
        )
        for line in fh:
            if not line.strip():
                continue
            data = json.loads(line)
            if "sighting" in data:
                spool.sightings.append((int(data["sighting"]), str(data["job_url"])))
            else:
                spool.records.append(record_from_dict(data))
    return spool


@contextlib.contextmanager
def _locked(path: Path, *, wait: bool) -> Iterator[bool]:
    """An exclusive flock on a spool file: its writer holds it until the batch is settled, so a
    replay running at the same time in another process skips the file instead of doubling it."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        yield False
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        # Settled (and removed) by someone else between listing and locking?
        yield path.exists()
    finally:
        os.close(fd)


# --- the store -----------------------------------------------------------------------------------


class Store:
    """Writes batches of clean records into ``jobs`` through the spool."""

    def __init__(self, db: Database, spool_dir: Path) -> None:
        self.db = db
        self.spool_dir = Path(spool_dir)

    @property
    def failed_dir(self) -> Path:
        return self.spool_dir / "failed"

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
                with self.db.connection() as conn:
                    known = self._known_ids(conn, [r.job_url for r in batch])
            except psycopg.OperationalError as exc:
                outage = _unavailable(self.db, exc)
            except DatabaseUnavailable as exc:
                outage = exc
        fresh = [r for r in batch if r.job_url not in known]
        sightings = sorted((job_id, url) for url, job_id in known.items())
        batch_id = uuid.uuid4()
        with _spooled(self.spool_dir, batch_id, run, fresh, sightings) as path:
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

    def replay_spool(self) -> int:
        """Write every leftover spool file; returns how many batches were settled.

        Safe to call from several processes at once and to call again after a failure: files
        another process is writing are skipped, and a batch already committed is not applied
        twice. Raises DatabaseUnavailable (leaving the rest for later) if the database is down.
        """
        settled = 0
        for path in self.pending():
            with _locked(path, wait=False) as mine:
                if not mine:
                    continue
                try:
                    spool = read_spool(path)
                except (OSError, ValueError, TypeError, KeyError) as exc:
                    log.error("spool file %s is unreadable (%s); moved aside", path.name, exc)
                    self._move_aside(path)
                    continue
                node_id = spool.run.node_id if spool.run else None
                self._settle(spool, node_id=node_id)
                settled += 1
        if settled:
            with contextlib.suppress(psycopg.Error), self.db.connection() as conn:
                conn.execute(q("batch_prune_ingested"))
        return settled

    def _settle(
        self, spool: SpoolFile, *, node_id: int | None, looked_up: bool = False
    ) -> SaveResult:
        try:
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
        self.failed_dir.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            path.rename(self.failed_dir / path.name)

    def _write(self, spool: SpoolFile, *, node_id: int | None, looked_up: bool) -> SaveResult:
        """Apply one spooled batch in one transaction. ``looked_up``: its records were found
        missing from ``jobs`` a moment ago (a replayed file may be hours old, or was spooled
        during an outage without a lookup), so they most likely all go in as they are."""
        found = spool.found
        with self.db.connection() as conn:
            first_time = conn.execute(
                q("batch_mark_ingested"), {"batch_id": spool.batch_id}
            ).fetchone()
            if first_time is None:
                log.info("batch %s was already committed; dropping its spool file", spool.batch_id)
                return SaveResult(found=found, new=0)
            known = {url: job_id for job_id, url in spool.sightings}
            new = 0
            if spool.records:
                # The INSERT itself skips postings stored meanwhile (by another worker, or
                # before an outage) without computing their tsvector.
                inserted = self._insert(conn, spool.records, optimistic=looked_up)
                new = len(inserted)
                raced = [r.job_url for r in spool.records if r.job_url not in inserted]
                if raced:
                    known.update(self._known_ids(conn, raced))
            if known:
                conn.execute(
                    q("jobs_record_sightings"),
                    {"ids": sorted(known.values()), "node_id": node_id},
                )
            if spool.run is not None:
                self._insert_run(conn, spool.run, found=found, new=new)
        return SaveResult(found=found, new=new)

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
                        copy.write_row(_stage_row(record))
                return {r.job_url for r in records}
            except psycopg.errors.UniqueViolation:
                # Stored by another worker since the lookup: the savepoint undid the COPY.
                log.debug("a new posting was stored meanwhile; inserting the batch through staging")
        conn.execute(q("jobs_stage_create"))
        with conn.cursor() as cur:
            with cur.copy(q("jobs_stage_copy")) as copy:
                copy.set_types(STAGE_TYPES)
                for record in records:
                    copy.write_row(_stage_row(record))
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
        """A ``scrape_runs`` row on its own (a search that failed before it had any batch)."""
        run = RunInfo(site, node_id, location, search_term, started_at, outcome, error, proxy)
        try:
            with self.db.connection() as conn:
                return self._insert_run(conn, run, found=found, new=new, finished_at=finished_at)
        except psycopg.OperationalError as exc:
            raise _unavailable(self.db, exc) from exc


# --- search ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class JobQuery:
    """What people search for. Every filter is optional; results are newest first."""

    text: str | None = None
    country: str | None = None
    region: str | None = None
    city: str | None = None
    site: str | None = None
    remote: bool | None = None
    days: int | None = None
    limit: int = 50
    offset: int = 0


def _query_params(query: JobQuery) -> dict[str, Any]:
    """The SQL parameters of a query, normalised; UserError for values that cannot match."""
    text = _clean_input(query.text)
    country = _clean_input(query.country)
    if country is not None:
        from engine.geo import resolve_country

        code = resolve_country(country)
        if code is None:
            raise UserError(f"unknown country {country!r}; use an ISO code such as US or DE")
        country = code
    region = _clean_input(query.region)
    if query.days is not None and query.days < 0:
        raise UserError("--days must be zero or more")
    if query.limit < 1:
        raise UserError("--limit must be at least 1")
    if query.offset < 0:
        raise UserError("the offset must be zero or more")
    site = _clean_input(query.site)
    return {
        "text": text,
        "country": country,
        "region": region.upper() if region else None,
        "city": _clean_input(query.city),
        "site": site.lower() if site else None,
        "remote": True if query.remote else None,
        "days": query.days,
        "limit": min(query.limit, 10_000),
        "offset": query.offset,
    }


def _clean_input(value: str | None) -> str | None:
    if value is None:
        return None
    value = pg_text(value).strip()
    return value or None


# Relative cost of testing one posting during an index walk (neighbouring rows, mostly in cache)
# and of fetching one match for a bitmap scan (anywhere in the table, then sorted). Measured on
# a million postings (bench/bench_search.py): about 2 us and 10 us.
WALK_ROW_COST = 1.0
BITMAP_MATCH_COST = 5.0
# A search that runs longer than this was planned on a badly wrong estimate: it is cut short and the
# other strategy runs instead (a slow walk means sparse matches, a slow bitmap dense ones).
GUARD_MS = 150
_LEXEME = re.compile(r"'((?:[^']|'')+)'")


def _estimate(
    conn: psycopg.Connection[Any], name: str, params: dict[str, Any], **extra: Any
) -> float:
    row = conn.execute(q(name), {**params, **extra}, prepare=False).fetchone()
    if row is None:
        return 0.0
    plan = next(iter(row.values()))
    return float(plan[0]["Plan"]["Plan Rows"])


def estimate_matches(conn: psycopg.Connection[Any], params: dict[str, Any]) -> float:
    """How many postings the text and filters match, as well as the planner's statistics tell.

    The planner multiplies the frequencies of AND-ed words as if they were independent; in job
    postings they rarely are ("machine learning" is nearly as frequent as "machine"). For a
    conjunction the estimate is taken halfway (geometrically) between independence and full
    correlation (the rarest word's frequency).
    """
    independent = _estimate(conn, "jobs_search_estimate", params)
    row = conn.execute(q("search_query_tree"), params, prepare=False).fetchone()
    tree = str(row["tree"]) if row else ""
    lexemes = {m.group(0) for m in _LEXEME.finditer(tree)}
    if len(lexemes) < 2 or "|" in tree or len(lexemes) > 6:
        return independent
    rarest = min(_estimate(conn, "jobs_lexeme_estimate", params, lexeme=lx) for lx in lexemes)
    return math.sqrt(max(independent, 1.0) * max(rarest, 1.0))


def search_strategy(conn: psycopg.Connection[Any], params: dict[str, Any]) -> str:
    """How to find the newest matches of a full-text search: "walk" or "bitmap".

    Newest first is the hard part. A term in 40 % of a million postings has 400,000 matches:
    collecting them through the GIN index and sorting them takes seconds, while walking the
    (posted_or_seen, id) index and testing each posting finds a page of 50 after ~125 rows.
    A rare term is the reverse: the walk tests the whole table, the GIN index hands over its
    dozen matches at once. Postgres's own choice goes wrong both ways (it prices a tsvector test
    as nearly free, ignoring the detoasting, and prefers a precise index plus a sort), so the
    choice is made here from its estimates: the walk passes over about
    (limit + offset) * filtered / matches postings, the bitmap fetches every match.
    """
    matches = max(estimate_matches(conn, params), 1.0)
    filtered = _estimate(conn, "jobs_filter_estimate", params)
    walked = (params["limit"] + params["offset"]) * filtered / matches
    return "walk" if walked * WALK_ROW_COST < matches * BITMAP_MATCH_COST else "bitmap"


_STRATEGY_SETTINGS = {
    "walk": ("search_walk_index", "search_walk_ordered"),
    "bitmap": ("search_bitmap_index",),
}


def _attempt(
    conn: psycopg.Connection[Any], params: dict[str, Any], strategy: str, guard_ms: int | None
) -> list[Any] | None:
    """Run the search one way; None when the guard cut it short."""
    try:
        # A savepoint: on failure its SET LOCALs and the statement timeout go with it.
        with conn.transaction():
            for name in _STRATEGY_SETTINGS[strategy]:
                conn.execute(q(name))
            if guard_ms is not None:
                conn.execute(q("search_guard"), {"ms": str(guard_ms)})
            return conn.execute(q("jobs_search"), params, prepare=False).fetchall()
    except psycopg.errors.QueryCanceled:
        if guard_ms is None:
            raise
        return None


def _run_search(conn: psycopg.Connection[Any], params: dict[str, Any], strategy: str) -> list[Any]:
    """The chosen strategy under a guard, then, if the estimate was wrong, the other one."""
    rows = _attempt(conn, params, strategy, GUARD_MS)
    if rows is None:
        other = "bitmap" if strategy == "walk" else "walk"
        log.debug("%s search over %s ms; trying %s", strategy, GUARD_MS, other)
        rows = _attempt(conn, params, other, None)
    return rows or []


def search_jobs(db: Database, query: JobQuery) -> list[dict[str, Any]]:
    """Postings matching ``query``, newest first (posting date, else first seen)."""
    params = _query_params(query)
    with db.connection() as conn:
        if params["text"] is None:
            rows = conn.execute(q("jobs_search"), params, prepare=False).fetchall()
        else:
            rows = _run_search(conn, params, search_strategy(conn, params))
    return [dict(row) for row in rows]


def get_job(db: Database, job_id: int) -> dict[str, Any] | None:
    with db.connection() as conn:
        row = conn.execute(q("job_get"), {"id": job_id}).fetchone()
    return dict(row) if row else None


def job_stats(db: Database) -> dict[str, Any]:
    """Totals for dashboards: total, today (first seen since midnight UTC), by site, by country,
    and new postings per day over the last 30 days."""
    with db.connection() as conn:
        totals = conn.execute(q("job_stats_totals")).fetchone() or {"total": 0, "today": 0}
        by_site = {r["key"]: r["n"] for r in conn.execute(q("job_stats_by_site"))}
        by_country = {r["key"]: r["n"] for r in conn.execute(q("job_stats_by_country"))}
        by_day = {r["day"].isoformat(): r["n"] for r in conn.execute(q("job_stats_by_day"))}
    return {
        "total": int(totals["total"]),
        "today": int(totals["today"]),
        "by_site": by_site,
        "by_country": by_country,
        "by_day": by_day,
    }


# --- export ---------------------------------------------------------------------------------------

EXPORT_FORMATS = ("csv", "jsonl", "parquet")
EXPORT_BATCH = 5000


def export_jobs(
    db: Database,
    query: JobQuery,
    fmt: str,
    out: Path,
    progress: Progress | None = None,
) -> int:
    """Write every posting matching ``query`` (limit and offset ignored) to ``out``.

    Rows stream from a server-side cursor in batches, so memory stays flat over millions of rows.
    The file is written under a temporary name and renamed when complete.
    """
    if fmt not in EXPORT_FORMATS:
        raise UserError(
            f"unknown export format {fmt!r}; expected one of {', '.join(EXPORT_FORMATS)}"
        )
    params = _query_params(query)
    out = Path(out)
    if out.parent and not out.parent.is_dir():
        raise UserError(f"cannot write {out}: its directory does not exist")
    tmp = out.with_name(f".{out.name}.part")
    total: int | None = None
    written = 0
    try:
        with db.connection() as conn:
            if progress is not None:
                row = conn.execute(q("jobs_export_count"), params, prepare=False).fetchone()
                total = int(row["n"]) if row else None
                progress(0, total)
            with conn.cursor(name=f"jobfleet_export_{uuid.uuid4().hex[:8]}") as cur:
                cur.itersize = EXPORT_BATCH
                cur.execute(q("jobs_export"), params)
                columns = [d.name for d in cur.description or ()]
                writer = _writer(fmt, tmp, columns)
                try:
                    while batch := cur.fetchmany(EXPORT_BATCH):
                        writer.write(batch)
                        written += len(batch)
                        if progress is not None:
                            progress(written, total)
                finally:
                    writer.close()
        os.replace(tmp, out)
    except OSError as exc:
        raise UserError(f"cannot write {out}: {exc.strerror or exc}") from exc
    finally:
        tmp.unlink(missing_ok=True)
    return written


class _Writer:
    def write(self, rows: list[dict[str, Any]]) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


class _CsvWriter(_Writer):
    def __init__(self, path: Path, columns: list[str]) -> None:
        self.fh: IO[str] = open(path, "w", encoding="utf-8", newline="")  # noqa: SIM115
        self.writer = csv.DictWriter(self.fh, fieldnames=columns)
        self.writer.writeheader()

    def write(self, rows: list[dict[str, Any]]) -> None:
        self.writer.writerows({k: _csv_value(v) for k, v in row.items()} for row in rows)

    def close(self) -> None:
        self.fh.close()


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return _dumps(_json_safe(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


class _JsonlWriter(_Writer):
    def __init__(self, path: Path, columns: list[str]) -> None:
        self.fh: IO[str] = open(path, "w", encoding="utf-8", newline="\n")  # noqa: SIM115

    def write(self, rows: list[dict[str, Any]]) -> None:
        self.fh.writelines(_dumps(_json_safe(row)) + "\n" for row in rows)

    def close(self) -> None:
        self.fh.close()


class _ParquetWriter(_Writer):
    """One row group per fetched batch, with a fixed schema so every group matches."""

    def __init__(self, path: Path, columns: list[str]) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        self.pa = pa
        types = {
            "id": pa.int64(),
            "node_id": pa.int64(),
            "seen_count": pa.int64(),
            "is_remote": pa.bool_(),
            "date_posted": pa.date32(),
            "posted_or_seen": pa.date32(),
            "salary_min": pa.float64(),
            "salary_max": pa.float64(),
            "emails": pa.list_(pa.string()),
            "first_seen_at": pa.timestamp("us", tz="UTC"),
            "last_seen_at": pa.timestamp("us", tz="UTC"),
        }
        self.schema = pa.schema([(c, types.get(c, pa.string())) for c in columns])
        self.json_columns = [c for c in columns if c == "extra"]
        self.writer = pq.ParquetWriter(path, self.schema, compression="zstd")

    def write(self, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            for column in self.json_columns:
                row[column] = _dumps(_json_safe(row[column]))
        table = self.pa.Table.from_pylist(rows, schema=self.schema)
        self.writer.write_table(table)

    def close(self) -> None:
        self.writer.close()


def _writer(fmt: str, path: Path, columns: list[str]) -> _Writer:
    if fmt == "csv":
        return _CsvWriter(path, columns)
    if fmt == "jsonl":
        return _JsonlWriter(path, columns)
    return _ParquetWriter(path, columns)


# --- import ---------------------------------------------------------------------------------------

IMPORT_BATCH = 500
_BOOL_TEXT = {"true": True, "false": False, "1": True, "0": False, "yes": True, "no": False}


def _from_csv(row: dict[str, Any]) -> dict[str, Any]:
    """CSV knows only strings: empty cells are missing values, and the typed columns of jobspy's
    DataFrame get their types back."""
    raw: dict[str, Any] = {}
    for key, value in row.items():
        if key is None:  # more cells than header names
            continue
        if value is None or value == "":
            raw[key] = None
        elif key == "is_remote":
            raw[key] = _BOOL_TEXT.get(value.strip().lower())
        else:
            raw[key] = value
    return raw


def _read_rows(path: Path) -> Iterator[tuple[dict[str, Any], int]]:
    """Rows of a jobspy CSV or a JSONL file (one object per line), each with how many bytes of the
    file have been read so far (for the progress bar)."""
    with open(path, "rb") as probe:
        start = probe.read(4096).lstrip(b"\xef\xbb\xbf").lstrip()
    if start.startswith(b"{"):
        with open(path, encoding="utf-8", errors="replace") as fh:
            for number, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    value = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise UserError(f"{path.name} line {number} is not JSON: {exc.msg}") from None
                if isinstance(value, dict):
                    yield value, fh.buffer.tell()  # type: ignore[attr-defined]
        return
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    with open(path, encoding="utf-8-sig", errors="replace", newline="") as fh:
        reader = csv.DictReader(fh)
        if not reader.fieldnames or "job_url" not in reader.fieldnames:
            raise UserError(
                f"{path.name} is neither JSONL nor a CSV with a job_url column "
                "(as python-jobspy writes it)"
            )
        for row in reader:
            yield _from_csv(row), fh.buffer.tell()  # type: ignore[attr-defined]


def import_file(db: Database, path: Path, progress: Progress | None = None) -> SaveResult:
    """Clean and store every row of a jobspy CSV or a JSONL file, in batches through the spool.

    ``progress(bytes_read, file_size)`` is called after each batch.
    """
    path = Path(path)
    if not path.is_file():
        raise UserError(f"cannot read {path}: no such file")
    total_bytes = path.stat().st_size
    store = Store(db, db.settings.spool_dir)
    today = datetime.now(UTC).date()
    found = new = skipped = 0
    batch: list[JobRecord] = []
    if progress is not None:
        progress(0, total_bytes)
    for raw, position in _read_rows(path):
        try:
            record = clean_record(raw, today=today)
        except Exception as exc:  # a row the cleaner cannot read is skipped, not fatal
            log.warning("skipping an unreadable row: %s", exc)
            record = None
        if record is None:
            skipped += 1
            continue
        batch.append(record)
        if len(batch) >= IMPORT_BATCH:
            result = store.save_batch(batch)
            found, new = found + result.found, new + result.new
            batch.clear()
            if progress is not None:
                progress(min(position, total_bytes), total_bytes)
    if batch:
        result = store.save_batch(batch)
        found, new = found + result.found, new + result.new
    if progress is not None:
        progress(total_bytes, total_bytes)
    return SaveResult(found=found, new=new, skipped=skipped)

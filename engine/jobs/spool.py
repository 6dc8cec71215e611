"""The spool: each batch as a JSONL file on disk before the database sees it.

A file is written under a temporary name, fsync'd, locked and renamed into place, and removed only
after its batch is committed (``engine.jobs.ingest``). Its header carries the batch id and the
``scrape_runs`` row the batch came with; new postings take a full line each, known ones a short
sighting line.

Spool files hold scraped data that may carry personal details: directories are 0700 and files
0600 whatever the umask. Every directory under the spool root is swept by the supervisor
(``spool_dirs``), so a batch is stored even when the worker that wrote it never comes back.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from engine.jobs.pgvalues import dumps, json_safe
from engine.jobs.record import JobRecord, record_from_dict, record_to_dict

SPOOL_SUFFIX = ".jsonl"
SPOOL_FORMAT = 1
# Where a batch the database refuses (bad data, not an outage) is kept for a person to look at.
FAILED_DIR = "failed"
Outcome = Literal["ok", "blocked", "timeout", "error"]


@dataclass(frozen=True)
class RunInfo:
    """What a ``scrape_runs`` row says about the scrape a batch came from."""

    site: str
    node_id: int | None = None
    location: str | None = None
    search_term: str | None = None
    started_at: datetime | None = None
    outcome: Outcome = "ok"
    error: str | None = None
    proxy: str | None = None


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
        return dumps(data)
    except (ValueError, TypeError):  # NaN or an odd type that slipped through the cleaner
        return dumps(json_safe(data))


def write_spool(
    spool_dir: Path,
    batch_id: uuid.UUID,
    run: RunInfo | None,
    records: Sequence[JobRecord],
    sightings: Sequence[tuple[int, str]] = (),
) -> Path:
    """Write the batch to a new spool file, durably, and return its path."""
    with spooled(spool_dir, batch_id, run, records, sightings) as path:
        return path


@contextlib.contextmanager
def spooled(
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
    private_dir(spool_dir)
    name = f"{time.time_ns():020d}-{os.getpid()}-{batch_id.hex}"
    tmp = spool_dir / f".{name}.tmp"
    final = spool_dir / f"{name}{SPOOL_SUFFIX}"
    header = {"jobfleet_spool": SPOOL_FORMAT, "batch_id": str(batch_id), "run": _run_to_json(run)}
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with open(fd, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(dumps(header))
        fh.write("\n")
        for record in records:
            fh.write(_record_line(record))
            fh.write("\n")
        for job_id, url in sightings:
            fh.write(dumps({"sighting": job_id, "job_url": url}))
            fh.write("\n")
        fh.flush()
        os.fsync(fh.fileno())
        # The lock belongs to the open file, so it survives the rename.
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        os.rename(tmp, final)
        _fsync_dir(spool_dir)
        yield final


def private_dir(path: Path) -> Path:
    """``path`` as a directory only its owner can enter: created 0700 with any missing parent,
    and made 0700 if an older version created it with the default mode."""
    missing = []
    here = path
    while not here.exists():
        missing.append(here)
        here = here.parent
    for directory in reversed(missing):
        with contextlib.suppress(FileExistsError):
            directory.mkdir(mode=0o700)
    with contextlib.suppress(PermissionError):  # not ours: leave it as its owner made it
        if path.stat().st_mode & 0o077:
            path.chmod(0o700)
    return path


def spool_dirs(root: Path) -> list[Path]:
    """The spool root (imports) and every directory in it (one per node id, removed nodes
    included), but not the ``failed`` directories of refused batches."""
    if not root.is_dir():
        return []
    subdirs = sorted(p for p in root.iterdir() if p.is_dir() and p.name != FAILED_DIR)
    return [root, *subdirs]


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
def locked(path: Path, *, wait: bool) -> Iterator[bool]:
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

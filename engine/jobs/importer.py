"""Importing a jobspy CSV or a JSONL file through the same clean-and-store path as a scrape."""

from __future__ import annotations

import csv
import json
import logging
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from engine.db.handle import Database
from engine.errors import UserError
from engine.jobs.export import Progress
from engine.jobs.ingest import SaveResult, Store
from engine.jobs.record import JobRecord, clean_record

log = logging.getLogger(__name__)

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

"""Importing a jobspy CSV or a JSONL file through the same clean-and-store path as a scrape."""

from __future__ import annotations

import csv
import json
import logging
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from engine.db.handle import Database
from engine.errors import UserError
from engine.jobs.export import Progress
from engine.jobs.ingest import Store
from engine.jobs.record import JobRecord, clean_record

log = logging.getLogger(__name__)

IMPORT_BATCH = 500
# How many skipped lines a report names (the rest are counted).
MAX_LISTED = 5
JSONL_SUFFIXES = (".jsonl", ".ndjson")
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


@dataclass
class ImportReport:
    """What an import did. Every line is either stored or skipped, never silently dropped."""

    stored: int = 0  # postings written: new ones plus sightings of known ones
    new: int = 0
    skipped: int = 0  # lines (rows) that could not be used
    # (line number, why) of the first MAX_LISTED skipped lines.
    problems: list[tuple[int, str]] = field(default_factory=list)

    @property
    def known(self) -> int:
        return self.stored - self.new

    def skip(self, line: int, why: str) -> None:
        self.skipped += 1
        if len(self.problems) < MAX_LISTED:
            self.problems.append((line, why))


# A skipped line: (line number, why).
_Skip = tuple[int, str]


def _read_rows(path: Path) -> Iterator[tuple[int, dict[str, Any] | _Skip, int]]:
    """``(line number, row or why the line is unusable, bytes read so far)`` for every row of a
    jobspy CSV or a JSONL file (one object per line); the bytes feed the progress bar."""
    with open(path, "rb") as probe:
        start = probe.read(4096).lstrip(b"\xef\xbb\xbf").lstrip()
    if start.startswith(b"{") or path.suffix.lower() in JSONL_SUFFIXES:
        with open(path, encoding="utf-8", errors="replace") as fh:
            for number, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                position = fh.buffer.tell()  # type: ignore[attr-defined]
                try:
                    value = json.loads(line)
                except ValueError as exc:  # JSONDecodeError, or a number too long to parse
                    yield number, (number, f"not JSON ({getattr(exc, 'msg', exc)})"), position
                    continue
                if isinstance(value, dict):
                    yield number, value, position
                else:
                    yield number, (number, f"a JSON {_json_kind(value)}, not an object"), position
        return
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    with open(path, encoding="utf-8-sig", errors="replace", newline="") as fh:
        reader = csv.DictReader(fh)
        if not reader.fieldnames or "job_url" not in reader.fieldnames:
            raise UserError(
                f"{path.name} is neither JSONL nor a CSV with a job_url column "
                "(as python-jobspy writes it)"
            )
        while True:
            try:
                row: dict[str, Any] | _Skip = _from_csv(next(reader))
            except StopIteration:
                return
            except csv.Error as exc:  # a malformed record; the reader carries on after it
                row = (reader.line_num, f"not CSV ({exc})")
            yield reader.line_num, row, fh.buffer.tell()  # type: ignore[attr-defined]


def _json_kind(value: object) -> str:
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    return "number"


def import_file(db: Database, path: Path, progress: Progress | None = None) -> ImportReport:
    """Clean and store every usable row of a jobspy CSV or a JSONL file, in batches through the
    spool. A line that is not JSON, not an object, or that cleaning cannot use (no job URL) is
    skipped and counted, with its line number; the lines after it are still read and stored.

    ``progress(bytes_read, file_size)`` is called after each batch.
    """
    path = Path(path)
    if not path.is_file():
        raise UserError(f"cannot read {path}: no such file")
    total_bytes = path.stat().st_size
    store = Store(db, db.settings.spool_dir)
    today = datetime.now(UTC).date()
    report = ImportReport()
    batch: list[JobRecord] = []

    def save() -> None:
        result = store.save_batch(batch)
        report.stored += result.found
        report.new += result.new
        batch.clear()

    if progress is not None:
        progress(0, total_bytes)
    for number, raw, position in _read_rows(path):
        if isinstance(raw, tuple):
            report.skip(*raw)
            continue
        try:
            record = clean_record(raw, today=today)
        except Exception as exc:  # a row the cleaner cannot read is skipped, not fatal
            log.debug("skipping line %d: %s", number, exc)
            report.skip(number, f"unreadable ({_short(exc)})")
            continue
        if record is None:
            report.skip(number, "no usable job_url")
            continue
        batch.append(record)
        if len(batch) >= IMPORT_BATCH:
            save()
            if progress is not None:
                progress(min(position, total_bytes), total_bytes)
    if batch:
        save()
    store.settle_groups()  # copies a worker was storing at the same moment
    if progress is not None:
        progress(total_bytes, total_bytes)
    return report


def _short(exc: Exception) -> str:
    text = " ".join(str(exc).split()) or exc.__class__.__name__
    return text if len(text) <= 80 else text[:79] + "…"

"""Exporting stored postings to CSV, JSONL or Parquet, streamed from a server-side cursor."""

from __future__ import annotations

import csv
import os
import uuid
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from engine.db.handle import Database
from engine.db.queries import q
from engine.errors import UserError
from engine.jobs.pgvalues import dumps, json_safe
from engine.jobs.search import JobQuery, query_params

# progress(done, total): total is None when unknown.
Progress = Callable[[int, int | None], None]

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
    params = query_params(query)
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
        return dumps(json_safe(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


class _JsonlWriter(_Writer):
    def __init__(self, path: Path, columns: list[str]) -> None:
        self.fh: IO[str] = open(path, "w", encoding="utf-8", newline="\n")  # noqa: SIM115

    def write(self, rows: list[dict[str, Any]]) -> None:
        self.fh.writelines(dumps(json_safe(row)) + "\n" for row in rows)

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
                row[column] = dumps(json_safe(row[column]))
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

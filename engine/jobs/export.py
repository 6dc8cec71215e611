"""Exporting stored postings to CSV, JSONL or Parquet, streamed from a server-side cursor."""

from __future__ import annotations

import csv
import io
import os
import stat
import tempfile
import uuid
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any, BinaryIO

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
    out: Path | BinaryIO,
    progress: Progress | None = None,
) -> int:
    """Write every posting matching ``query`` (limit and offset ignored) to ``out``.

    Rows stream from a server-side cursor in batches, so memory stays flat over millions of rows.
    ``out`` is a path or a binary stream (``sys.stdout.buffer`` for ``--out -``). A path is written
    atomically: to a new temporary file (``mkstemp``: unpredictable name, O_EXCL, so nothing
    planted there is followed) in the same directory, renamed over ``out`` when complete. A path
    that exists and is not a regular file (a symlink, a device, a directory, a fifo) is refused
    before anything is written: renaming over ``/dev/null`` would replace the device, and
    following a planted symlink would overwrite another file.
    """
    if fmt not in EXPORT_FORMATS:
        raise UserError(
            f"unknown export format {fmt!r}; expected one of {', '.join(EXPORT_FORMATS)}"
        )
    if not isinstance(out, Path | str):
        try:
            return _export(db, query, fmt, out, progress)
        except BrokenPipeError:
            raise  # the reader went away: the caller decides how quietly to stop
        except OSError as exc:
            raise UserError(f"cannot write the export: {exc.strerror or exc}") from exc
    out = Path(out)
    mode = _check_target(out)
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".part", dir=out.parent)
    except OSError as exc:
        raise UserError(f"cannot write {out}: {exc.strerror or exc}") from exc
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as fh:
            written = _export(db, query, fmt, fh, progress)
            # mkstemp makes the file 0600; give it the mode a plain open() would have (or the
            # mode of the file it replaces).
            os.fchmod(fh.fileno(), mode)
        os.replace(tmp, out)
    except OSError as exc:
        raise UserError(f"cannot write {out}: {exc.strerror or exc}") from exc
    finally:
        tmp.unlink(missing_ok=True)
    return written


def _check_target(out: Path) -> int:
    """Refuse an ``out`` that exists and is not a regular file; the mode the export should get."""
    if str(out.parent) and not out.parent.is_dir():
        raise UserError(f"cannot write {out}: its directory does not exist")
    try:
        found = out.lstat()
    except FileNotFoundError:
        return 0o666 & ~_umask()
    except OSError as exc:
        raise UserError(f"cannot write {out}: {exc.strerror or exc}") from exc
    if not stat.S_ISREG(found.st_mode):
        raise UserError(
            f"refusing to write {out}: it is {_kind(found.st_mode)}, not a regular file "
            "(choose another --out, or - for stdout)"
        )
    return stat.S_IMODE(found.st_mode)


def _kind(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISFIFO(mode):
        return "a fifo"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _umask() -> int:
    """This process's umask, read without changing it (os.umask would race other threads: the
    TUI exports from a worker thread). Unknown means the strictest: the export stays 0600."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    return 0o077


def _export(
    db: Database, query: JobQuery, fmt: str, fh: BinaryIO, progress: Progress | None
) -> int:
    params = query_params(query)
    total: int | None = None
    written = 0
    with db.connection() as conn:
        if progress is not None:
            row = conn.execute(q("jobs_export_count"), params, prepare=False).fetchone()
            total = int(row["n"]) if row else None
            progress(0, total)
        with conn.cursor(name=f"jobfleet_export_{uuid.uuid4().hex[:8]}") as cur:
            cur.itersize = EXPORT_BATCH
            cur.execute(q("jobs_export"), params)
            columns = [d.name for d in cur.description or ()]
            writer = _writer(fmt, fh, columns)
            try:
                while batch := cur.fetchmany(EXPORT_BATCH):
                    writer.write(batch)
                    written += len(batch)
                    if progress is not None:
                        progress(written, total)
            finally:
                writer.close()
    return written


class _Writer:
    def write(self, rows: list[dict[str, Any]]) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


class _CsvWriter(_Writer):
    def __init__(self, fh: BinaryIO, columns: list[str]) -> None:
        self.fh = io.TextIOWrapper(fh, encoding="utf-8", newline="")
        self.writer = csv.DictWriter(self.fh, fieldnames=columns)
        self.writer.writeheader()

    def write(self, rows: list[dict[str, Any]]) -> None:
        self.writer.writerows({k: _csv_value(v) for k, v in row.items()} for row in rows)

    def close(self) -> None:
        _release(self.fh)


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return dumps(json_safe(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


class _JsonlWriter(_Writer):
    def __init__(self, fh: BinaryIO, columns: list[str]) -> None:
        self.fh = io.TextIOWrapper(fh, encoding="utf-8", newline="\n")

    def write(self, rows: list[dict[str, Any]]) -> None:
        self.fh.writelines(dumps(json_safe(row)) + "\n" for row in rows)

    def close(self) -> None:
        _release(self.fh)


def _release(text: io.TextIOWrapper) -> None:
    """Flush the text layer and let go of the binary stream without closing it (it belongs to
    the caller: the temporary file, or stdout)."""
    text.flush()
    text.detach()


class _ParquetWriter(_Writer):
    """One row group per fetched batch, with a fixed schema so every group matches."""

    def __init__(self, fh: BinaryIO, columns: list[str]) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        self.pa = pa
        types = {
            "id": pa.int64(),
            "group_id": pa.int64(),
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
        # Through a counting wrapper: pyarrow asks the sink for tell(), which a pipe cannot answer.
        self.writer = pq.ParquetWriter(_Sink(fh), self.schema, compression="zstd")

    def write(self, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            for column in self.json_columns:
                row[column] = dumps(json_safe(row[column]))
        table = self.pa.Table.from_pylist(rows, schema=self.schema)
        self.writer.write_table(table)

    def close(self) -> None:
        self.writer.close()


class _Sink(io.RawIOBase):
    """A write-only stream that counts what it passes on, so ``tell()`` works on a pipe too."""

    def __init__(self, fh: BinaryIO) -> None:
        super().__init__()
        self.fh = fh
        self.position = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.fh.write(data)
        size = memoryview(data).nbytes
        self.position += size
        return size

    def tell(self) -> int:
        return self.position

    def flush(self) -> None:
        self.fh.flush()

    def close(self) -> None:
        # The underlying stream belongs to the caller; only mark this wrapper closed.
        if not self.closed:
            self.fh.flush()
        super().close()


def _writer(fmt: str, fh: BinaryIO, columns: list[str]) -> _Writer:
    if fmt == "csv":
        return _CsvWriter(fh, columns)
    if fmt == "jsonl":
        return _JsonlWriter(fh, columns)
    return _ParquetWriter(fh, columns)

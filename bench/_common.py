"""What the benchmarks share: a database to run on, and timing helpers."""

from __future__ import annotations

import contextlib
import os
import shutil
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
from psycopg import sql

from engine.db.embedded import embedded_url, stop_embedded
from engine.db.handle import Database
from engine.settings import Settings


def _with_dbname(url: str, dbname: str) -> str:
    params = psycopg.conninfo.conninfo_to_dict(url)
    params["dbname"] = dbname
    return psycopg.conninfo.make_conninfo(**params)  # type: ignore[arg-type]


@contextlib.contextmanager
def bench_database(url: str | None, *, keep: bool = False) -> Iterator[tuple[str, str]]:
    """A migrated database for a benchmark: yields (url, description).

    ``url`` given: that database is used as it is (the benchmark may empty its jobs table).
    Otherwise a fresh database is created on the server of $JOBFLEET_DATABASE_URL, or on a
    throwaway embedded server, and dropped afterwards (unless ``keep``).
    """
    if url:
        migrate(url)
        yield url, "the given database"
        return
    base = os.environ.get("JOBFLEET_DATABASE_URL")
    root: Path | None = None
    if not base:
        root = Path(tempfile.mkdtemp(prefix="jf-bench-"))
        base = embedded_url(root / "pg")
        where = "a fresh database on a throwaway embedded server"
    else:
        where = "a fresh database on the server of JOBFLEET_DATABASE_URL"
    name = f"jf_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    bench_url = _with_dbname(base, name)
    try:
        migrate(bench_url)
        yield bench_url, where
    finally:
        if keep:
            print(f"kept the benchmark database: {bench_url}")
        else:
            with contextlib.suppress(psycopg.Error), psycopg.connect(base, autocommit=True) as conn:
                conn.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )
            if root is not None:
                with contextlib.suppress(Exception):
                    stop_embedded(root / "pg")
                shutil.rmtree(root, ignore_errors=True)


def migrate(url: str) -> None:
    with Database(Settings(database_url=url, home=Path(tempfile.gettempdir()))) as db:
        db.migrate()


def server_version(url: str) -> str:
    with psycopg.connect(url) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    return str(row[0]) if row else "?"


class Timer:
    def __init__(self) -> None:
        self.seconds = 0.0

    def __enter__(self) -> Timer:
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self._start


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(pct) - 1]

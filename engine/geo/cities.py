"""Cities: GeoNames cities a text part can name, and a country's largest cities as a node's
default location pool."""

from __future__ import annotations

import functools
import math
import re
import unicodedata

from engine.geo.gazetteer import City
from engine.geo.index import cities, city_entries, cleared_with_indexes
from engine.geo.keys import fold, lookup_key
from engine.geo.regions import region_name
from engine.geo.tables import ABBREVIATING_COUNTRIES, CITY_ALIASES


@cleared_with_indexes
@functools.cache
def city_by_name(name: str, country: str) -> City | None:
    candidates = [c for c, primary in city_entries(fold(name)) if c.country == country]
    return candidates[0] if candidates else None


# LinkedIn names metro areas ("Greater Seattle Area", "San Francisco Bay Area", "Austin, Texas
# Metropolitan Area", "Dallas-Fort Worth Metroplex"): the place is the name before the suffix.
_METRO = re.compile(
    r"^(?:greater\s+)?(?P<name>.+?)\s*(?:(?:bay|metropolitan|metro|city)\s+)*"
    r"(?:area|region|metroplex)$",
    re.IGNORECASE,
)
_GREATER = re.compile(r"^greater\s+(?P<name>.+)$", re.IGNORECASE)


def strip_metro(part: str) -> str:
    match = _METRO.match(part) or _GREATER.match(part)
    return match.group("name").strip(" ,") if match else part


def cities_for(
    part: str, country: str | None, region: str | None, hint: str | None
) -> list[tuple[City, bool]]:
    """Cities a text part can name inside the given country/region: the hint country first, then
    primary-name matches, then the most populous."""
    candidates = [part]
    if "-" in part:  # "Dallas-Fort Worth": a metro named after two cities reads as the first
        candidates.append(part.split("-")[0])
    for text in candidates:
        key = lookup_key(text)
        entries = list(city_entries(key))
        alias = CITY_ALIASES.get(key)
        if alias and (city := city_by_name(*alias)) is not None:
            entries.insert(0, (city, True))
        entries = [
            (c, primary)
            for c, primary in entries
            if (country is None or c.country == country) and (region is None or c.region == region)
        ]
        if entries:
            entries.sort(key=lambda e: (e[0].country != hint, not e[1], -e[0].population))
            return entries
    return []


def _distance_km(a: City, b: City) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (a.latitude, a.longitude, b.latitude, b.longitude))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 6371.0 * 2 * math.asin(math.sqrt(h))


def _display(city: City) -> str:
    if city.region is None:
        return city.name
    if city.country in ABBREVIATING_COUNTRIES:
        return f"{city.name}, {city.region}"
    name = region_name(city.country, city.region)
    if name:  # pycountry transliterates with macrons ("Karnātaka"); boards print "Karnataka"
        name = unicodedata.normalize(
            "NFC", unicodedata.normalize("NFD", name).replace("\u0304", "")
        )
    return f"{city.name}, {name}" if name and fold(name) != fold(city.name) else city.name


def largest_cities(country_code: str, n: int = 10) -> list[str]:
    """The ``n`` most populous cities of a country as job boards take them ("Munich, Bavaria",
    "Austin, TX"): a node's default location pool.

    GeoNames counts boroughs and suburbs as cities (Brooklyn, New Delhi); a city within 25 km of
    a bigger one already chosen is left out so the pool does not search one metro twice.
    """
    country = country_code.upper()
    chosen: list[City] = []
    for city in sorted((c for c in cities() if c.country == country), key=lambda c: -c.population):
        if len(chosen) >= n:
            break
        if all(_distance_km(city, big) > 25.0 for big in chosen):
            chosen.append(city)
    return [_display(city) for city in chosen]


def city_names(text: str, country: str | None = None) -> list[str]:
    """The names the store keeps for a city named ``text`` in any language the gazetteer knows.

    Stored postings carry GeoNames' primary name ("Munich"); people type "München", "Monaco di
    Baviera" or "munich". Cities whose primary name is ``text`` win over those that merely list
    it as an alternate name ("York" is not New York); ``country`` narrows the candidates.
    """
    key = lookup_key(text)
    entries = list(city_entries(key))
    alias = CITY_ALIASES.get(key)
    if alias and (city := city_by_name(*alias)) is not None:
        entries.insert(0, (city, True))
    entries = [(c, primary) for c, primary in entries if country is None or c.country == country]
    primaries = [c.name for c, primary in entries if primary]
    names = primaries or [c.name for c, _ in entries]
    return list(dict.fromkeys(names))

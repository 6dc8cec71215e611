"""Reading the location text job boards print into a city, a region and a country.

Rules worth knowing (tests pin each of them):

* ``country`` is ISO 3166-1 alpha-2; ``region`` is the ISO 3166-2 code without the country prefix
  ("NY", "ON", "ENG", "BY", "KA", "NSW"); ``city`` is GeoNames' name, mostly the common English
  one ("Munich" for "München", "Bengaluru" for "Bangalore"; GeoNames keeps "Köln", "Zürich").
* A name that fits several cities goes to the one in the region or country the text names, then
  to the one in ``country_hint``, then to the most populous ("London" → GB; with hint "CA" →
  London, ON).
* A lone name reads as a country first (as a city only for city states: "Singapore"), then as
  a region of the hint country, then as a city ("New York", "Washington" → the city in DC),
  then as a region ("California"). A city beats a region only by its own name, not by one of
  GeoNames' alternate spellings.
* A remote posting has no city: the place it names is where the employer hires from, so only
  its region and country are kept ("Remote via NYC" → NY, US).
* A city the gazetteer does not know is kept as written when the text also names its region or
  country ("Smallville, KS" → city "Smallville").
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass

from engine.geo.cities import cities_for, city_by_name, strip_metro
from engine.geo.countries import resolve_country
from engine.geo.gazetteer import City
from engine.geo.index import cleared_with_indexes
from engine.geo.keys import lookup_key
from engine.geo.regions import regions_for, top_level_code
from engine.geo.tables import ABBREVIATING_COUNTRIES, CITY_ALIASES


@dataclass(frozen=True, slots=True)
class Location:
    city: str | None = None
    region: str | None = None
    country: str | None = None
    remote: bool = False


_REMOTE = re.compile(
    r"(?<!hybrid )(?<!hybrid-)\b(?:remote(?:ly)?|work(?:ing)?[ -]from[ -]home|wfh|telecommute|"
    r"telework|anywhere|home[ -]based|t[ée]l[ée]travail|teletrabajo|homeoffice)\b",
    re.IGNORECASE,
)
_WORK_MODE = re.compile(
    r"\b(?:(?:fully|100%)\s+)?(?:hybrid|remote(?:ly)?|on[- ]?site|in[- ]office|"
    r"work(?:ing)?[ -]from[ -]home|wfh|telecommute|telework|anywhere|home[ -]based|"
    r"t[ée]l[ée]travail|teletrabajo|homeoffice)\b"
    r"(?:\s+(?:first|friendly|eligible|ok|option|work|job|position|role))?"
    r"(?:\s+(?:in|from|via|within|based\s+in|based|across|out\s+of))?",
    re.IGNORECASE,
)
_PARENS = re.compile(r"\(([^()]*)\)|\[([^\[\]]*)\]")
_POSTAL = re.compile(
    r"\b\d{4,6}(?:-\d{4})?\b"  # US ZIP, German PLZ, Indian PIN, ...
    r"|\b[A-Za-z]\d[A-Za-z] ?\d[A-Za-z]\d\b"  # Canada
    r"|\b[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}\b"  # UK
)
_SPLIT = re.compile(r"\s*(?:[,;|•·/]|\s[-–—]\s|\s[-–—]|[-–—]\s)\s*")
_NOISE = {
    "multiple locations",
    "various locations",
    "several locations",
    "locations",
    "location",
    "hq",
    "headquarters",
    "office",
    "offices",
    "worldwide",
    "global",
    "n a",
    "na",
    "none",
    "unknown",
    "tbd",
    "other",
}
_CITY_STATES = {"SG", "HK", "MO", "LU", "MC", "VA", "GI", "BH", "KW", "QA", "DJ"}


@dataclass(slots=True)
class _Reading:
    score: tuple[int, ...]
    city: City | None
    city_text: str | None
    region: str | None
    country: str | None


def parse_location(text: object, country_hint: str | None = None) -> Location:
    """Read a job board's location text; see the module docstring for the rules."""
    if not isinstance(text, str):
        return Location()
    hint = country_hint.upper() if isinstance(country_hint, str) and country_hint else None
    return _parse_location(text, hint)


@cleared_with_indexes
@functools.lru_cache(maxsize=65536)
def _parse_location(text: str, hint: str | None) -> Location:
    text = text.replace("\x00", "").strip()
    if not text:
        return Location()
    remote = _REMOTE.search(text) is not None
    asides = [a or b for a, b in _PARENS.findall(text)]
    main = _PARENS.sub(" ", text)
    found = _read(_parts(main), hint)
    if found is None:
        for aside in asides:
            found = _read(_parts(aside), hint)
            if found is not None:
                break
    if found is None:
        return Location(remote=remote)
    city = found.city.name if found.city else found.city_text
    return Location(
        city=None if remote else city,
        region=found.region,
        country=found.country,
        remote=remote,
    )


def _parts(text: str) -> list[str]:
    text = _WORK_MODE.sub(",", text)
    text = _POSTAL.sub(" ", text)
    parts = []
    for raw in _SPLIT.split(text):
        part = strip_metro(raw.strip(" \t.-–—:"))
        if part and lookup_key(part) not in _NOISE and any(ch.isalpha() for ch in part):
            parts.append(part)
    return parts


def _read(parts: list[str], hint: str | None) -> _Reading | None:
    if not parts:
        return None
    if len(parts) == 1:
        found = _read_one(parts[0], hint)
        head, _, last = parts[0].rpartition(" ")
        if found is None and head:  # "Sydney NSW", "Austin TX"
            found = _read([head, last], hint)
            if found is not None and found.score[0] < 2:
                found = None
        return found
    best: _Reading | None = None
    for reading in _readings(parts[-3:], hint):
        if best is None or reading.score > best.score:
            best = reading
    if best is None or (best.score[0] == 0 and best.city_text is None):
        return None
    return best


def _readings(parts: list[str], hint: str | None) -> Iterable[_Reading]:
    """Every way to read the tail of ``parts`` as [city], [region], [country]."""
    n = len(parts)
    for with_country in (True, False):
        for with_region in (True, False):
            i = n
            country: str | None = None
            if with_country:
                country = resolve_country(parts[i - 1])
                if country is None:
                    continue
                i -= 1
            if with_region and i == 0:
                continue
            city_part = (
                parts[i - 2 if with_region else i - 1] if i >= (2 if with_region else 1) else None
            )
            regions: list[tuple[str | None, str | None]] = [(country, None)]
            if with_region:
                found = _region_candidates(parts[i - 1], country, city_part, hint)
                if not found:
                    continue
                regions = list(found)
            for region_country, region in regions:
                yield _reading(
                    city_part, region_country, region, with_country, with_region, hint, parts
                )
    if n >= 3 and (country := resolve_country(parts[-1])) is not None:
        # "Tokyo, 40, Japan": a middle part we cannot read (a board's own admin code) is skipped;
        # the city still says where in the country the job is.
        yield _reading(parts[-3], country, None, True, False, hint, parts)
    if n >= 2 and resolve_country(parts[-1]) is None and not regions_for(parts[-1], None):
        # A last part that names nothing we know ("Hyderabad, TG" after a code change): read the
        # rest without it, so the city still counts.
        yield _reading(parts[-2], None, None, False, False, hint, parts)


def _region_candidates(
    part: str, country: str | None, city_part: str | None, hint: str | None
) -> list[tuple[str, str]]:
    """Regions a part can name. A bare code is tried in the US, Canada and Australia, in the
    hint country, and in the country of any city the part before it names: "Munich, BY" is
    Bavaria because a Munich lies in DE-BY, not Belarus."""
    if country is not None:
        return regions_for(part, [country])
    found = regions_for(part, None)
    if not (part.isalpha() and len(part) <= 3):
        return found
    code = part.upper()
    extra = [hint] if hint else []
    if city_part:
        extra.extend(city.country for city, _ in cities_for(city_part, None, None, hint)[:20])
    for other in dict.fromkeys(extra):
        canonical = top_level_code(other, code)
        if canonical is not None and (other, canonical) not in found:
            found.append((other, canonical))
    return found


def _reading(
    city_part: str | None,
    country: str | None,
    region: str | None,
    with_country: bool,
    with_region: bool,
    hint: str | None,
    parts: list[str],
) -> _Reading:
    city: City | None = None
    primary = False
    city_text: str | None = None
    if city_part is not None:
        entries = cities_for(city_part, country, region, hint)
        if entries:
            city, primary = entries[0]
        elif (with_country or with_region) and _looks_like_name(city_part):
            city_text = city_part
    final_country = country or (city.country if city else None)
    final_region = region or (city.region if city else None)
    # Two capital letters after a city are a US state on the boards jobspy reads ("Austin, TX").
    us_abbrev = int(
        with_region and final_country == "US" and len(parts) == 2 and parts[-1].isupper()
    )
    score = (
        int(with_country) + int(with_region) + int(city is not None),
        int(hint is not None and final_country == hint),
        us_abbrev,
        int(city_text is not None),
        int(primary),
        city.population if city else 0,
    )
    return _Reading(score, city, city_text, final_region, final_country)


def _looks_like_name(part: str) -> bool:
    return len(part) <= 60 and not any(ch.isdigit() for ch in part) and "@" not in part


def _read_one(part: str, hint: str | None) -> _Reading | None:
    key = lookup_key(part)
    if key in CITY_ALIASES:
        city = city_by_name(*CITY_ALIASES[key])
        if city is not None:
            return _city_reading(city)
    regions = regions_for(part, None)
    hinted = [(c, r) for c, r in regions if c == hint]
    country = resolve_country(part)
    if country is not None and hint is not None and country != hint:
        # "Salvador" searched in Brazil is the city there, not El Salvador.
        in_hint = [city for city, primary in cities_for(part, hint, None, hint) if primary]
        if in_hint:
            return _city_reading(in_hint[0])
    if country is not None and not (hinted and country != hint):
        cities = cities_for(part, country, None, hint)
        if cities and cities[0][1] and country in _CITY_STATES:
            return _city_reading(cities[0][0])
        return _Reading((), None, None, None, country)
    for region_country, region in hinted:
        return _region_or_its_city(part, region_country, region, hint)
    cities = cities_for(part, None, None, hint)
    if regions:
        # A region's name is also a town's name somewhere ("California", "Bavaria" in some
        # alternate spelling): only a city known by that very name beats the region.
        cities = [
            (c, primary) for c, primary in cities if primary or (c.country, c.region) in regions
        ]
    if cities:
        return _city_reading(cities[0][0])
    if regions:
        regions.sort(key=lambda cr: cr[0] not in ABBREVIATING_COUNTRIES)
        return _region_or_its_city(part, *regions[0], hint)
    return None


def _city_reading(city: City) -> _Reading:
    return _Reading((), city, None, city.region, city.country)


def _region_or_its_city(part: str, country: str, region: str, hint: str | None) -> _Reading:
    cities = cities_for(part, country, region, hint)
    if cities:
        return _city_reading(cities[0][0])
    return _Reading((), None, None, region, country)

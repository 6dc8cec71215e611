"""Regions: ISO 3166-2 top-level subdivisions, read from their codes or their names in any
language pycountry has. A region is its code without the country prefix ("NY", "BY", "ENG")."""

from __future__ import annotations

from collections.abc import Iterable

from engine.geo.index import english_region_names, is_top_level, region_entries
from engine.geo.keys import lookup_key
from engine.geo.tables import ABBREVIATING_COUNTRIES, RETIRED_CODES


def top_level_code(country: str, code: str) -> str | None:
    """The current code of a top-level subdivision written as ``code``, or None."""
    code = code.upper()
    code = RETIRED_CODES.get((country, code), code)
    return code if is_top_level(country, code) else None


def regions_for(part: str, countries: Iterable[str] | None) -> list[tuple[str, str]]:
    """Which (country, region) a text part can mean, by code or by name."""
    found: list[tuple[str, str]] = []
    wanted = tuple(countries) if countries is not None else None
    if part.isalpha() and len(part) <= 3:
        for country in wanted or ABBREVIATING_COUNTRIES:
            code = top_level_code(country, part)
            if code is not None:
                found.append((country, code))
    for country, code in region_entries(lookup_key(part)):
        if (wanted is None or country in wanted) and (country, code) not in found:
            found.append((country, code))
    return found


def resolve_region(text: str | None, country: str | None = None) -> tuple[str, str] | None:
    """(country, region code) for a region's code or name in any language pycountry has
    ("Bavaria", "Bayern", "BY" with country DE, "TX"); None when unknown or ambiguous."""
    if not isinstance(text, str) or not text.strip():
        return None
    wanted = [country.upper()] if country else None
    found = regions_for(text.strip(), wanted)
    if len(found) > 1:
        found = [cr for cr in found if cr[0] in ABBREVIATING_COUNTRIES] or found
    return found[0] if len(found) == 1 else None


def region_name(country: str, code: str) -> str | None:
    """The English name of a region ("Bavaria" for DE/BY), None if there is no such region."""
    return english_region_names().get((country.upper(), code.upper()))

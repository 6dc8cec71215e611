"""Countries: ISO 3166-1 alpha-2 codes from the names and codes job boards print, and back."""

from __future__ import annotations

import functools

import pycountry

from engine.geo.index import cleared_with_indexes, country_by_key
from engine.geo.keys import lookup_key
from engine.geo.tables import INDEED_COUNTRY_VALUES


@functools.cache
def _country_code(code: str) -> str | None:
    code = code.upper()
    if code == "UK":
        return "GB"
    if len(code) == 2:
        found = pycountry.countries.get(alpha_2=code)
    elif len(code) == 3:
        found = pycountry.countries.get(alpha_3=code)
    else:
        return None
    return found.alpha_2 if found else None


def resolve_country(text: str | None) -> str | None:
    """A country's alpha-2 code from its name (English or local), alpha-2 or alpha-3 code."""
    if not isinstance(text, str) or not text.strip():
        return None
    text = text.strip()
    if text.isalpha() and len(text) in (2, 3) and (code := _country_code(text)):
        return code
    return country_by_key(lookup_key(text))


def country_name(code: str) -> str:
    """The English short name people use ("United States", "South Korea"); unknown: as given."""
    found = pycountry.countries.get(alpha_2=code.upper()) if len(code) == 2 else None
    if found is None:
        return code
    return str(getattr(found, "common_name", None) or found.name)


@cleared_with_indexes
@functools.cache
def _indeed_countries() -> dict[str, str]:
    found: dict[str, str] = {}
    for value in INDEED_COUNTRY_VALUES:
        code = resolve_country(value)
        if code:
            found[code] = value
    return found


def indeed_country_name(code: str) -> str | None:
    """The value jobspy's ``country_indeed`` takes for this country, None if Indeed lacks it."""
    return _indeed_countries().get(code.upper())

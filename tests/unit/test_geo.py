"""engine.geo: location text, countries, regions and city pools, on real gazetteer data."""

from __future__ import annotations

import math

import pycountry
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.geo import (
    Location,
    country_name,
    gazetteer,
    indeed_country_name,
    index,
    largest_cities,
    parse_location,
    region_name,
    resolve_country,
    resolve_region,
    tables,
)
from engine.geo.cities import city_by_name


def loc(city: str | None, region: str | None, country: str | None, remote: bool = False):
    return Location(city=city, region=region, country=country, remote=remote)


LOCATIONS = [
    # the brief's own cases
    ("Remote via NYC (hybrid option available)", None, loc(None, "NY", "US", True)),
    ("San Francisco, CA", None, loc("San Francisco", "CA", "US")),
    ("Toronto, ON, Canada", None, loc("Toronto", "ON", "CA")),
    ("München, Bayern, Deutschland", None, loc("Munich", "BY", "DE")),
    ("Bengaluru, Karnataka, India", None, loc("Bengaluru", "KA", "IN")),
    ("Greater London", None, loc("London", "ENG", "GB")),
    ("Remote - US", None, loc(None, None, "US", True)),
    ("Anywhere", None, loc(None, None, None, True)),
    ("New York, NY 10001", None, loc("New York City", "NY", "US")),
    ("NYC", None, loc("New York City", "NY", "US")),
    ("SF", None, loc("San Francisco", "CA", "US")),
    ("LA", None, loc("Los Angeles", "CA", "US")),
    # ambiguous names settled by their region
    ("Portland, ME", None, loc("Portland", "ME", "US")),
    ("Portland, OR", None, loc("Portland", "OR", "US")),
    ("London, ON", None, loc("London", "ON", "CA")),
    ("Paris, TX", None, loc("Paris", "TX", "US")),
    ("Dublin, CA", None, loc("Dublin", "CA", "US")),
    ("Vancouver, WA", None, loc("Vancouver", "WA", "US")),
    ("Vancouver, BC", None, loc("Vancouver", "BC", "CA")),
    ("Berlin, DE", None, loc("Berlin", "BE", "DE")),
    # a bare region code outside the US/CA/AU is read in the country of the city before it
    ("Munich, BY", None, loc("Munich", "BY", "DE")),
    ("Berlin, BE", None, loc("Berlin", "BE", "DE")),
    ("Chennai, TN", None, loc("Chennai", "TN", "IN")),
    ("London, ENG", None, loc("London", "ENG", "GB")),
    ("Paris, IDF", None, loc("Paris", "IDF", "FR")),
    ("Munich, BY, DE", None, loc("Munich", "BY", "DE")),
    ("Hartford, CT", None, loc("Hartford", "CT", "US")),
    # India's retired ISO codes (2023) still printed by boards
    ("Hyderabad, TG", None, loc("Hyderabad", "TS", "IN")),
    ("Raipur, CT", None, loc("Raipur", "CG", "IN")),
    # ... then by the hint, then by population
    ("London", None, loc("London", "ENG", "GB")),
    ("London", "CA", loc("London", "ON", "CA")),
    ("Paris", None, loc("Paris", "IDF", "FR")),
    ("Salvador", None, loc(None, None, "SV")),
    ("Salvador", "BR", loc("Salvador", "BA", "BR")),
    ("Seoul", None, loc("Seoul", "11", "KR")),
    ("Tokyo, 40, Japan", None, loc("Tokyo", "13", "JP")),
    ("Dublin", None, loc("Dublin", "L", "IE")),
    # jobspy's shapes: "City, ST, USA", "City, Country", one name
    ("Austin, TX, US", None, loc("Austin", "TX", "US")),
    ("Austin, TX, USA", None, loc("Austin", "TX", "US")),
    ("Berlin, Germany", None, loc("Berlin", "BE", "DE")),
    ("Munich, Bavaria, Germany", None, loc("Munich", "BY", "DE")),
    ("London, England, United Kingdom", None, loc("London", "ENG", "GB")),
    ("Sydney, New South Wales, Australia", None, loc("Sydney", "NSW", "AU")),
    ("Remote", None, loc(None, None, None, True)),
    ("Hybrid", None, loc(None, None, None)),
    ("", None, loc(None, None, None)),
    ("   ", None, loc(None, None, None)),
    # any case, local names, English names
    ("MÜNCHEN, BAYERN", None, loc("Munich", "BY", "DE")),
    ("munich, bavaria, germany", None, loc("Munich", "BY", "DE")),
    ("san francisco, ca", None, loc("San Francisco", "CA", "US")),
    ("Wien", None, loc("Vienna", "9", "AT")),
    ("Bangalore", None, loc("Bengaluru", "KA", "IN")),
    ("Mumbai, Maharashtra", None, loc("Mumbai", "MH", "IN")),
    ("Deutschland", None, loc(None, None, "DE")),
    ("Allemagne", None, loc(None, None, "DE")),
    ("Amsterdam, North Holland, Netherlands", None, loc("Amsterdam", "NH", "NL")),
    ("Paris, Île-de-France, France", None, loc("Paris", "IDF", "FR")),
    ("Milan, Lombardy, Italy", None, loc("Milan", "25", "IT")),
    ("Barcelona, Catalonia, Spain", None, loc("Barcelona", "CT", "ES")),
    # one name: country, region, city
    ("India", None, loc(None, None, "IN")),
    ("Singapore", None, loc("Singapore", None, "SG")),
    ("California", None, loc(None, "CA", "US")),
    ("Texas, United States", None, loc(None, "TX", "US")),
    ("New York", None, loc("New York City", "NY", "US")),
    ("Washington, DC", None, loc("Washington", "DC", "US")),
    ("Atlanta, Georgia", None, loc("Atlanta", "GA", "US")),
    ("Toronto", None, loc("Toronto", "ON", "CA")),
    # LinkedIn metro areas, Indeed's work modes, postcodes, missing commas
    ("San Francisco Bay Area", None, loc("San Francisco", "CA", "US")),
    ("Greater Seattle Area", None, loc("Seattle", "WA", "US")),
    ("New York City Metropolitan Area", None, loc("New York City", "NY", "US")),
    ("Austin, Texas Metropolitan Area", None, loc("Austin", "TX", "US")),
    ("Dallas-Fort Worth Metroplex", None, loc("Dallas", "TX", "US")),
    ("Hybrid remote in Seattle, WA 98101", None, loc("Seattle", "WA", "US")),
    ("Remote in Austin, TX", None, loc(None, "TX", "US", True)),
    ("US-Remote", None, loc(None, None, "US", True)),
    ("Remote (US)", None, loc(None, None, "US", True)),
    ("Work from home, Karnataka, India", None, loc(None, "KA", "IN", True)),
    ("Sydney NSW", None, loc("Sydney", "NSW", "AU")),
    ("80331 München", None, loc("Munich", "BY", "DE")),
    ("Toronto, ON M5V 2T6", None, loc("Toronto", "ON", "CA")),
    ("St. Louis, MO", None, loc("St. Louis", "MO", "US")),
    ("Saint Louis, MO", None, loc("St. Louis", "MO", "US")),
    # a town the gazetteer does not know keeps its name when its region is known
    ("Smallville, KS", None, loc("Smallville", "KS", "US")),
    ("Multiple Locations", None, loc(None, None, None)),
]


@pytest.mark.parametrize(("text", "hint", "expected"), LOCATIONS)
def test_parse_location(text: str, hint: str | None, expected: Location) -> None:
    assert parse_location(text, hint) == expected


@pytest.mark.parametrize("value", [None, math.nan, 3.5, 12, ["London"], b"London"])
def test_parse_location_of_non_text_is_empty(value: object) -> None:
    assert parse_location(value) == Location()


def test_hint_does_not_override_what_the_text_says() -> None:
    assert parse_location("Berlin, Germany", "US") == loc("Berlin", "BE", "DE")
    assert parse_location("Paris", "US") == loc("Paris", "TX", "US")
    assert parse_location("Georgia") == loc(None, None, "GE")
    assert parse_location("Georgia", "US") == loc(None, "GA", "US")


def test_hint_is_case_insensitive() -> None:
    assert parse_location("London", "ca") == parse_location("London", "CA")


def test_location_is_frozen() -> None:
    with pytest.raises(AttributeError):
        parse_location("Austin, TX").city = "Dallas"  # type: ignore[misc]


def test_admin1_table_names_real_subdivisions() -> None:
    table = gazetteer._admin1_table()
    assert len(table) > 900
    for (country, _admin1), iso in table.items():
        assert pycountry.subdivisions.get(code=f"{country}-{iso}") is not None, (country, iso)


def test_every_city_region_is_an_iso_subdivision_of_its_country() -> None:
    cities = index.cities()
    with_region = [c for c in cities if c.region is not None]
    assert len(with_region) > 0.6 * len(cities)
    for city in with_region:
        assert pycountry.subdivisions.get(code=f"{city.country}-{city.region}") is not None, city


@pytest.mark.parametrize(
    "country", ["US", "CA", "GB", "DE", "IN", "AU", "FR", "IT", "ES", "NL", "BR", "MX", "JP", "KR"]
)
def test_every_city_of_a_big_job_market_has_a_region(country: str) -> None:
    cities = [c for c in index.cities() if c.country == country]
    assert len(cities) > 100
    assert [c for c in cities if c.region is None] == []


@pytest.mark.parametrize(
    ("name", "country", "region"),
    [
        ("Munich", "DE", "BY"),
        ("Toronto", "CA", "ON"),
        ("Bengaluru", "IN", "KA"),
        ("Sydney", "AU", "NSW"),
        ("Manchester", "GB", "ENG"),
        ("Edinburgh", "GB", "SCT"),
        ("Zürich", "CH", "ZH"),
        ("Houston", "US", "TX"),
    ],
)
def test_geonames_admin1_maps_to_iso(name: str, country: str, region: str) -> None:
    city = city_by_name(name, country)
    assert city is not None
    assert city.region == region


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Germany", "DE"),
        ("germany", "DE"),
        ("DE", "DE"),
        ("deu", "DE"),
        ("Deutschland", "DE"),
        ("Allemagne", "DE"),
        ("United States", "US"),
        ("USA", "US"),
        ("United States of America", "US"),
        ("UK", "GB"),
        ("United Kingdom", "GB"),
        ("South Korea", "KR"),
        ("Türkiye", "TR"),
        ("Turkey", "TR"),
        ("Czech Republic", "CZ"),
        ("Viet Nam", "VN"),
        ("Vietnam", "VN"),
        ("  India ", "IN"),
    ],
)
def test_resolve_country(text: str, code: str) -> None:
    assert resolve_country(text) == code


@pytest.mark.parametrize("text", ["", "   ", "Atlantis", "XX", "Bayern", None])
def test_resolve_country_unknown(text: str | None) -> None:
    assert resolve_country(text) is None


@pytest.mark.parametrize(
    ("text", "country", "expected"),
    [
        ("Bavaria", None, ("DE", "BY")),
        ("bayern", "de", ("DE", "BY")),
        ("BY", "DE", ("DE", "BY")),
        ("TX", None, ("US", "TX")),
        ("ON", None, ("CA", "ON")),
        ("Karnataka", None, ("IN", "KA")),
        ("England", None, ("GB", "ENG")),
        ("Texas", "DE", None),
        ("Atlantis", None, None),
        ("", None, None),
        (None, None, None),
    ],
)
def test_resolve_region(
    text: str | None, country: str | None, expected: tuple[str, str] | None
) -> None:
    assert resolve_region(text, country) == expected


def test_region_name() -> None:
    assert region_name("DE", "BY") == "Bavaria"
    assert region_name("us", "ny") == "New York"
    assert region_name("XX", "YY") is None


def test_country_name() -> None:
    assert country_name("US") == "United States"
    assert country_name("de") == "Germany"
    assert country_name("KR") == "South Korea"
    assert country_name("TW") == "Taiwan"
    assert country_name("XX") == "XX"


def test_largest_cities_formats_like_job_boards() -> None:
    us = largest_cities("US", 5)
    assert us[:3] == ["New York City, NY", "Los Angeles, CA", "Chicago, IL"]
    assert len(us) == 5
    de = largest_cities("de")
    assert "Munich, Bavaria" in de
    assert len(de) == 10
    assert largest_cities("CA", 3) == ["Toronto, ON", "Montréal, QC", "Calgary, AB"]
    assert largest_cities("IN", 3)[2] == "Bengaluru, Karnataka"
    assert largest_cities("GB", 1) == ["London, England"]


def test_largest_cities_skips_boroughs_of_a_bigger_city() -> None:
    # GeoNames counts Brooklyn and Queens as cities of millions; one search covers them all.
    pool = largest_cities("US", 20)
    assert not any(name.startswith(("Brooklyn", "Queens", "Manhattan")) for name in pool)
    assert "Delhi" in largest_cities("IN", 5)
    assert not any(name.startswith("New Delhi") for name in largest_cities("IN", 20))


def test_largest_cities_of_unknown_country_is_empty() -> None:
    assert largest_cities("XX") == []


def test_every_largest_city_parses_back_to_its_country() -> None:
    for country in ("US", "DE", "GB", "IN", "CA", "AU", "FR", "NL", "JP", "BR"):
        for text in largest_cities(country, 5):
            assert parse_location(text).country == country, text


def test_every_place_the_simulated_boards_print_parses() -> None:
    sim = pytest.importorskip("engine.sim.places")
    for country in sim.COUNTRIES:
        for city in country.cities:
            texts = [
                f"{city.name}, {city.region}, {country.name}",  # LinkedIn
                f"{city.indeed_name}, {city.region_code}, {country.name}",  # Indeed via jobspy
                f"{city.name}, {city.region_code}",
            ]
            if city.metro:
                texts.append(city.metro)
            for text in texts:
                for hint in (country.code, None):
                    found = parse_location(text, hint)
                    assert found.country == country.code, (text, hint, found)
                    assert found.city is not None, (text, hint, found)


def test_indeed_country_names_match_installed_jobspy() -> None:
    jobspy_model = pytest.importorskip("jobspy.model")
    indeed_constant = pytest.importorskip("jobspy.indeed.constant")
    assert set(tables.INDEED_COUNTRY_VALUES) == {c.value for c in jobspy_model.Country}
    for country, code in indeed_constant.country_codes.items():
        assert indeed_country_name(code) == country.value
        # and jobspy accepts the value we would pass
        assert jobspy_model.Country(indeed_country_name(code)) is country


def test_indeed_country_name_unsupported() -> None:
    assert indeed_country_name("BD") is None
    assert indeed_country_name("XX") is None
    assert indeed_country_name("us") == "usa"


# Text with the characters scraped data really carries: NUL, lone surrogates, punctuation.
nasty_text = st.lists(
    st.one_of(
        st.text(max_size=8),
        st.sampled_from(["\x00", "\ud800", "\udfff", ",", " - ", "(", ")", "Remote", "CA", "NY"]),
        st.sampled_from(["London", "München", "Bayern", "Greater", "Area", "10001", "/"]),
    ),
    max_size=8,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(text=nasty_text, hint=st.one_of(st.none(), st.sampled_from(["US", "CA", "de", "XX", ""])))
def test_parse_location_never_raises_and_returns_real_codes(text: str, hint: str | None) -> None:
    found = parse_location(text, hint)
    assert isinstance(found, Location)
    if found.country is not None:
        assert pycountry.countries.get(alpha_2=found.country) is not None
        if found.region is not None:
            code = f"{found.country}-{found.region}"
            assert pycountry.subdivisions.get(code=code) is not None
    for value in (found.city, found.region, found.country):
        assert value is None or "\x00" not in value
    if found.remote:
        assert found.city is None

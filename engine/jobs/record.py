"""Turning one row of jobspy's DataFrame into a clean, Postgres- and JSON-safe ``JobRecord``.

Runs in the search child on every scraped row (100k-row ingests), so the common shapes take fast
paths and whatever can be cached is: location parsing (``engine.geo.places``), fuzzy dates, currency
codes. Nothing here imports pandas: values are duck-typed (``NaN != NaN``, numpy scalars have
``.item()``), so the module also serves the long-lived worker that never loads pandas.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from engine.geo import Location, parse_location, resolve_country
from engine.text import pg_text

__all__ = [
    "JOB_RECORD_FIELDS",
    "JobRecord",
    "Location",
    "canonical_url",
    "clean_record",
    "parse_location",
    "parse_posted",
    "record_from_dict",
    "record_to_dict",
]


@dataclass(slots=True)
class JobRecord:
    # The store COPYs these columns in this order: keep names and order in step with the schema.
    job_url: str
    site: str
    site_job_id: str | None
    title: str | None
    company: str | None
    company_url: str | None
    description: str | None
    location_raw: str | None
    city: str | None
    region: str | None
    country: str | None
    is_remote: bool | None
    date_posted: date | None
    job_type: str | None
    salary_min: float | None
    salary_max: float | None
    salary_currency: str | None
    salary_interval: str | None
    emails: list[str] | None
    extra: dict[str, Any]
    search_term: str | None
    node_id: int | None


JOB_RECORD_FIELDS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(JobRecord))


def record_to_dict(rec: JobRecord) -> dict[str, Any]:
    """A JSON-safe dict (dates as ISO strings) for the spool file."""
    out = {name: getattr(rec, name) for name in JOB_RECORD_FIELDS}
    if rec.date_posted is not None:
        out["date_posted"] = rec.date_posted.isoformat()
    return out


def record_from_dict(d: Mapping[str, Any]) -> JobRecord:
    """The inverse of ``record_to_dict``."""
    values: dict[str, Any] = {name: d.get(name) for name in JOB_RECORD_FIELDS}
    if isinstance(values["date_posted"], str):
        values["date_posted"] = date.fromisoformat(values["date_posted"])
    if values["extra"] is None:
        values["extra"] = {}
    return JobRecord(**values)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# --- scalars ----------------------------------------------------------------------------------


def _is_missing(value: Any) -> bool:
    """None, NaN, NaT, pd.NA and ±inf are all "no value"."""
    if value is None:
        return True
    if isinstance(value, float):
        return not math.isfinite(value)
    if type(value).__name__ in ("NAType", "NaTType"):  # NaT is a datetime, so ask first
        return True
    if isinstance(value, (str, bool, int, date, list, dict, tuple)):
        return False
    try:
        return bool(value != value)
    except (TypeError, ValueError):  # arrays and pd.NA refuse to be truth-tested
        return False


def _text(value: Any) -> str | None:
    if _is_missing(value):
        return None
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        if isinstance(value, (list, tuple, dict, set)):
            return None
        value = str(value)
    value = pg_text(value).strip()
    return value or None


def _number(value: Any) -> float | None:
    if _is_missing(value) or isinstance(value, bool):
        return None
    if isinstance(value, str):
        return _money_text(value)
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


_MONEY = re.compile(r"(\d+(?:\.\d+)?)\s*([kKmM]?)")


def _money_text(text: str) -> float | None:
    match = _MONEY.search(text.replace(",", "").replace("\u00a0", ""))
    if not match:
        return None
    amount = float(match.group(1))
    return amount * {"k": 1e3, "m": 1e6}.get(match.group(2).lower(), 1.0)


def _amount(value: Any) -> float | None:
    amount = _number(value)
    if amount is None or amount <= 0 or amount > 1e12:
        return None
    return amount


def _bool(value: Any) -> bool | None:
    if _is_missing(value):
        return None
    if isinstance(value, str):
        folded = value.strip().lower()
        if folded in ("true", "yes", "1", "y", "t", "remote"):
            return True
        if folded in ("false", "no", "0", "n", "f"):
            return False
        return None
    if hasattr(value, "item") and not isinstance(value, (list, dict)):
        try:
            value = value.item()
        except (TypeError, ValueError):
            return None
    if isinstance(value, (bool, int, float)):
        return bool(value)
    return None


# --- dates ------------------------------------------------------------------------------------

_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ].*)?$")
_NUMERIC_DATE = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})$")
_AGO = re.compile(
    r"^(?:posted|active|employer active|reposted|updated)?\s*"
    r"(\d+|an?|one)\+?\s*(second|sec|minute|min|hour|hr|h|day|d|week|wk|w|month|mo|year|yr|y)s?"
    r"\.?\s*ago$"
)
_UNIT_DAYS = {
    "second": 0,
    "sec": 0,
    "minute": 0,
    "min": 0,
    "hour": 0,
    "hr": 0,
    "h": 0,
    "d": 1,
    "w": 7,
    "y": 365,
    "day": 1,
    "week": 7,
    "wk": 7,
    "month": 30,
    "mo": 30,
    "year": 365,
    "yr": 365,
}
_TODAY_WORDS = {
    "today",
    "just posted",
    "just now",
    "posted today",
    "new",
    "active today",
    "posted just now",
    "few hours ago",
    "a few hours ago",
    "hours ago",
}
_YESTERDAY_WORDS = {"yesterday", "posted yesterday"}
_EARLIEST = date(1990, 1, 1)


def parse_posted(value: Any, today: date) -> date | None:
    """When a job was posted, from whatever the board gave; None if unreadable.

    Never after ``today``: a date one day ahead is the board's time zone running ahead of ours and
    reads as today; anything later is wrong and reads as None. Numeric dates are day-first when
    that is the only valid reading ("25/11/2026"), month-first likewise ("11/25/2026"); when both
    readings are valid ("03/04/2026") the one not in the future wins, and if both are past the
    date is ambiguous and reads as None.
    """
    if _is_missing(value):
        return None
    if isinstance(value, datetime):  # also pandas.Timestamp
        found: date | None = value.date()
    elif isinstance(value, date):
        found = value
    elif isinstance(value, str):
        found = _parse_posted_text(value.strip().lower(), today)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        found = _epoch(float(value))
    else:
        found = _parse_posted_text(str(value).strip().lower(), today)
    if found is None or found < _EARLIEST:
        return None
    if found > today:
        return today if found - today <= timedelta(days=1) else None
    return found


def _epoch(seconds: float) -> date | None:
    if seconds > 1e11:  # milliseconds, as Indeed's dateOnIndeed
        seconds /= 1000
    try:
        return datetime.fromtimestamp(seconds, tz=UTC).date() if seconds > 0 else None
    except (OverflowError, OSError, ValueError):
        return None


def _parse_posted_text(text: str, today: date) -> date | None:
    if not text:
        return None
    match = _ISO_DATE.match(text)
    if match:
        try:
            return date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            return None
    text = pg_text(text)
    if text in _TODAY_WORDS:
        return today
    if text in _YESTERDAY_WORDS:
        return today - timedelta(days=1)
    match = _AGO.match(text)
    if match:
        count = 1 if match[1] in ("a", "an", "one") else int(match[1])
        return _days_before(today, count * _UNIT_DAYS[match[2]])
    match = _NUMERIC_DATE.match(text)
    if match:
        return _numeric_date(int(match[1]), int(match[2]), int(match[3]), today)
    if text.isdigit() or not any(ch.isalpha() for ch in text):
        return None
    return _fuzzy_date(text, today)


def _days_before(today: date, days: int) -> date | None:
    try:
        return today - timedelta(days=days)
    except OverflowError:
        return None


def _numeric_date(first: int, second: int, year: int, today: date) -> date | None:
    if year < 100:
        year += 2000
    readings = []
    for day, month in ((first, second), (second, first)):
        with contextlib.suppress(ValueError):
            readings.append(date(year, month, day))
    unique = sorted(set(readings))
    if len(unique) == 1:
        return unique[0]
    past = [d for d in unique if d <= today]
    return past[0] if len(past) == 1 else None


_DATE_LANGUAGES = ["en", "fr", "de", "es", "it", "pt", "nl"]


@functools.lru_cache(maxsize=4096)
def _fuzzy_date(text: str, today: date) -> date | None:
    import dateparser  # slow to import; only rows with unusual dates need it

    try:
        parsed = dateparser.parse(
            text,
            # Detecting among all of dateparser's 200 locales costs ~20 ms a string; these are the
            # languages jobspy's boards write dates in, at ~1 ms.
            languages=_DATE_LANGUAGES,
            settings={
                # Noon, so "an hour ago" stays today.
                "RELATIVE_BASE": datetime.combine(today, time(12, 0)),
                "PREFER_DATES_FROM": "past",
                "RETURN_AS_TIMEZONE_AWARE": False,
            },
        )
    except Exception:  # dateparser raises assorted errors on odd input; unreadable is the answer
        return None
    return parsed.date() if parsed is not None else None


# --- URLs -------------------------------------------------------------------------------------

_TRACKING = _words(
    """
    refid trackingid trk trkinfo gclid gclsrc dclid fbclid msclkid yclid twclid ttclid li_fat_id
    mc_cid mc_eid _hsenc _hsmi hsctatracking position pagenum src from ref referer referrer source
    campaign cmp tk vjs advn adid xkcb xpse xfps jsa alid sjdu acatk camk iips jrtk guid ao pos
    currenttab origin lipi midtoken midsig eba otpt original_referer sessionid session_id
    """
)
_TRACKING_PREFIXES = ("utm_", "trk_", "pk_", "mtm_", "_ga", "ga_", "__hs", "oly_", "vero_")
_DEFAULT_PORTS = {"http": 80, "https": 443}
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"
_LINKEDIN_VIEW = re.compile(r"^/(?:comm/)?jobs/view/(?:[^/]*?-)?(\d+)/?$")


def canonical_url(url: Any) -> str:
    """One spelling per posting: lower-case scheme and host, no default port, no fragment, no
    tracking parameters, the job's own id kept (Indeed ``jk``, Glassdoor ``jl``, LinkedIn's id
    in the path), parameters sorted. Idempotent; text that is not an http(s) URL comes back
    trimmed and otherwise unchanged."""
    text = _text(url)
    if text is None:
        return ""
    try:
        parts = urlsplit(text)
        scheme = parts.scheme.lower()
        host = parts.hostname
        port = parts.port
    except ValueError:
        return text
    if scheme not in _DEFAULT_PORTS or not host:
        return text
    host = host.rstrip(".")
    if not host:
        return text
    # Percent-encode what a path may not hold raw (spaces, non-ASCII); "%" stays, so a second
    # pass changes nothing.
    path = quote(parts.path, safe=_PATH_SAFE) or "/"
    params = [
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if not _is_tracking(key)
    ]
    if host == "linkedin.com" or host.endswith(".linkedin.com"):
        host, path, params = _linkedin(host, path, params)
    elif _is_site(host, "indeed"):
        path, params = _indeed(path, params)
    elif _is_site(host, "glassdoor"):
        params = [(k, v) for k, v in params if k.lower() in ("jl", "joblistingid")] or params
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        netloc = f"{netloc}:{port}"
    query = urlencode(sorted(params))
    return urlunsplit((scheme, netloc, path, query, ""))


def _is_tracking(key: str) -> bool:
    folded = key.lower()
    return folded in _TRACKING or folded.startswith(_TRACKING_PREFIXES)


def _is_site(host: str, name: str) -> bool:
    return name in host.split(".")


def _linkedin(
    host: str, path: str, params: list[tuple[str, str]]
) -> tuple[str, str, list[tuple[str, str]]]:
    match = _LINKEDIN_VIEW.match(path)
    if match:
        # Job ids are global: ca.linkedin.com and www.linkedin.com show the same posting.
        return "www.linkedin.com", f"/jobs/view/{match[1]}", []
    current = [v for k, v in params if k.lower() == "currentjobid" and v.isdigit()]
    if path.startswith("/jobs/") and current:
        return "www.linkedin.com", f"/jobs/view/{current[0]}", []
    return host, path, params


def _indeed(path: str, params: list[tuple[str, str]]) -> tuple[str, list[tuple[str, str]]]:
    keys = [v for k, v in params if k.lower() in ("jk", "vjk") and v]
    if keys:
        # /rc/clk, /pagead/clk and /m/viewjob all lead to the posting /viewjob?jk= shows.
        return "/viewjob", [("jk", keys[0])]
    return path, params


def _site_from_host(url: str) -> str | None:
    """The site a URL belongs to: "uk.indeed.com" -> indeed, "jobs.acme.co.uk" -> acme."""
    labels = (urlsplit(url).hostname or "").split(".")
    for label in labels:
        if label in _KNOWN_SITES:
            return _KNOWN_SITES[label]
    if (
        len(labels) >= 3
        and len(labels[-1]) == 2
        and labels[-2] in ("co", "com", "org", "net", "ac")
    ):
        return labels[-3] or None
    return labels[-2] if len(labels) >= 2 and labels[-2] else None


_KNOWN_SITES = {
    "linkedin": "linkedin",
    "indeed": "indeed",
    "glassdoor": "glassdoor",
    "ziprecruiter": "zip_recruiter",
    "google": "google",
    "bayt": "bayt",
    "naukri": "naukri",
    "bdjobs": "bdjobs",
    "hellowork": "hellowork",
}
# jobspy prefixes its ids with the site ("in-<jk>", "li-<id>"): the board's own id follows.
_ID_PREFIXES = ("li-", "in-", "gd-", "zr-", "go-", "bd-", "bayt-", "hw-", "nk-")


def _site_job_id(raw_id: Any, url: str) -> str | None:
    text = _text(raw_id)
    if text:
        for prefix in _ID_PREFIXES:
            if text.startswith(prefix) and len(text) > len(prefix):
                return text[len(prefix) :]
        return text
    parts = urlsplit(url)
    for key, value in parse_qsl(parts.query):
        if key in ("jk", "jl") and value:
            return value
    match = _LINKEDIN_VIEW.match(parts.path)
    return match[1] if match else None


# --- job fields -------------------------------------------------------------------------------

_INTERVALS = {
    "yearly": "yearly",
    "year": "yearly",
    "annual": "yearly",
    "annually": "yearly",
    "yr": "yearly",
    "per year": "yearly",
    "a year": "yearly",
    "monthly": "monthly",
    "month": "monthly",
    "mo": "monthly",
    "per month": "monthly",
    "weekly": "weekly",
    "week": "weekly",
    "wk": "weekly",
    "per week": "weekly",
    "daily": "daily",
    "day": "daily",
    "per day": "daily",
    "hourly": "hourly",
    "hour": "hourly",
    "hr": "hourly",
    "per hour": "hourly",
    "an hour": "hourly",
}


def _interval(value: Any) -> str | None:
    text = _text(value)
    if text is None:
        return None
    folded = text.lower().strip(" /").removeprefix("compensationinterval.")
    return _INTERVALS.get(folded)


_CURRENCY_SYMBOLS = {
    "$": "USD",
    "us$": "USD",
    "ca$": "CAD",
    "c$": "CAD",
    "a$": "AUD",
    "au$": "AUD",
    "£": "GBP",
    "€": "EUR",
    "₹": "INR",
    "¥": "JPY",
    "₩": "KRW",
    "r$": "BRL",
    "chf": "CHF",
}


@functools.lru_cache(maxsize=1024)
def _currency_code(text: str) -> str | None:
    folded = text.strip().lower()
    if folded in _CURRENCY_SYMBOLS:
        return _CURRENCY_SYMBOLS[folded]
    code = folded.upper()
    if len(code) != 3 or not code.isalpha():
        return None
    import pycountry

    return code if pycountry.currencies.get(alpha_3=code) is not None else None


def _currency(value: Any) -> str | None:
    text = _text(value)
    return _currency_code(text) if text else None


_JOB_TYPES = {
    "fulltime": "fulltime",
    "full time": "fulltime",
    "full-time": "fulltime",
    "full_time": "fulltime",
    "permanent": "fulltime",
    "parttime": "parttime",
    "part time": "parttime",
    "part-time": "parttime",
    "part_time": "parttime",
    "contract": "contract",
    "contractor": "contract",
    "freelance": "contract",
    "internship": "internship",
    "intern": "internship",
    "temporary": "temporary",
    "temp": "temporary",
    "seasonal": "temporary",
}
_ORDERED_JOB_TYPES = ("fulltime", "parttime", "contract", "internship", "temporary")


def _job_type(value: Any) -> tuple[str | None, list[str]]:
    """("fulltime,parttime", [tokens it could not place]) from a list, enum or "a, b" text."""
    tokens: list[str] = []
    for item in _as_list(value):
        text = _text(item)
        if text:
            tokens.extend(part.strip() for part in re.split(r"[,;/|]", text) if part.strip())
    known: set[str] = set()
    unknown: list[str] = []
    for token in tokens:
        folded = token.lower().removeprefix("jobtype.")
        kind = _JOB_TYPES.get(folded) or _JOB_TYPES.get(folded.replace("_", " "))
        if kind:
            known.add(kind)
        elif token not in unknown:
            unknown.append(token)
    joined = ",".join(kind for kind in _ORDERED_JOB_TYPES if kind in known)
    return joined or None, unknown


def _as_list(value: Any) -> list[Any]:
    if _is_missing(value):
        return []
    if isinstance(value, (list, tuple, set, frozenset)):
        return list(value)
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):
        try:
            listed = value.tolist()
        except (TypeError, ValueError):
            return [value]
        return listed if isinstance(listed, list) else [listed]
    return [value]


_EMAIL = re.compile(r"[^@\s,;<>()\"']+@[^@\s,;<>()\"']+\.[^@\s,;<>()\"'.]+")


def _emails(value: Any) -> list[str] | None:
    found: list[str] = []
    for item in _as_list(value):
        text = _text(item)
        if not text:
            continue
        for match in _EMAIL.findall(text):
            email = match.lower().strip(".")
            if email not in found:
                found.append(email)
    return found or None


# --- JSON-safe extra --------------------------------------------------------------------------

_MAX_DEPTH = 16


def _json_safe(value: Any, depth: int = 0) -> Any:
    """Only str/int/float/bool/None/list/dict, no NaN or inf, no NUL or lone surrogates."""
    if _is_missing(value):
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value  # finite: _is_missing let it through
    if isinstance(value, str):
        return _text(value)
    if depth >= _MAX_DEPTH:
        return _text(repr(value))
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            name = _text(key) if not isinstance(key, str) else pg_text(key)
            safe = _json_safe(item, depth + 1)
            if name is not None and safe is not None:
                out[name] = safe
        return out or None
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [_json_safe(item, depth + 1) for item in value]
        items = [item for item in items if item is not None]
        return items or None
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return _json_safe(float(value), depth + 1)
    if isinstance(value, Enum):
        return _json_safe(value.value, depth + 1)
    if type(value).__name__ == "datetime64":  # its tolist() is nanoseconds since the epoch
        return _text(str(value))
    if hasattr(value, "item") or hasattr(value, "tolist"):  # numpy scalars and arrays
        try:
            plain = value.tolist() if hasattr(value, "tolist") else value.item()
        except (TypeError, ValueError):
            plain = None
        if plain is not None and plain is not value:
            return _json_safe(plain, depth + 1)
    return _text(value)


def _count(value: Any) -> Any:
    """pandas turns int columns with gaps into floats: 12.0 reviews are 12."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


# --- the record -------------------------------------------------------------------------------

_CONSUMED = _words(
    """
    id site job_url title company company_url description location date_posted job_type interval
    min_amount max_amount currency is_remote emails
    """
)


def clean_record(
    raw: Mapping[str, Any],
    *,
    today: date,
    country_hint: str | None = None,
    search_term: str | None = None,
    node_id: int | None = None,
) -> JobRecord | None:
    """One jobspy row as a ``JobRecord``; None when it has no usable job URL (``job_url``, else
    ``job_url_direct``, must be an http(s) URL with a host).

    The country of a posting whose location names none is the searched country
    (``country_hint``): the board returned it for a search scoped to that country. Columns that
    have no field of their own go to ``extra`` when they hold a value; empty ones are left out.
    ``job_type`` lists the known kinds in a fixed order ("fulltime,contract"); kinds outside
    fulltime/parttime/contract/internship/temporary are kept in ``extra["job_type_other"]``.
    Salary currency and interval are kept only alongside an amount.
    """
    url = _usable_url(raw.get("job_url")) or _usable_url(raw.get("job_url_direct"))
    if url is None:
        return None
    site = (_text(raw.get("site")) or _site_from_host(url) or "unknown").lower()

    location_raw = _text(raw.get("location"))
    hint = resolve_country(country_hint) if country_hint else None
    place = parse_location(location_raw, hint) if location_raw else Location()

    remote_column = _bool(raw.get("is_remote"))
    work_from_home = _text(raw.get("work_from_home_type"))
    says_remote = place.remote or bool(work_from_home and "remote" in work_from_home.lower())
    is_remote = True if says_remote else remote_column

    low, high = _amount(raw.get("min_amount")), _amount(raw.get("max_amount"))
    if low is not None and high is not None and low > high:
        low, high = high, low
    paid = low is not None or high is not None

    job_type, other_job_types = _job_type(raw.get("job_type"))

    extra: dict[str, Any] = {}
    for key, value in raw.items():
        name = key if isinstance(key, str) else _text(key)
        if name is None or name in _CONSUMED:
            continue
        safe = _json_safe(_count(value))
        if safe is not None:
            extra[pg_text(name)] = safe
    if other_job_types:
        extra["job_type_other"] = _json_safe(other_job_types)

    return JobRecord(
        job_url=url,
        site=site,
        site_job_id=_site_job_id(raw.get("id"), url),
        title=_text(raw.get("title")),
        company=_text(raw.get("company")),
        company_url=_text(raw.get("company_url")),
        description=_text(raw.get("description")),
        location_raw=location_raw,
        city=place.city,
        region=place.region,
        country=place.country or hint,
        is_remote=is_remote,
        date_posted=parse_posted(raw.get("date_posted"), today),
        job_type=job_type,
        salary_min=low,
        salary_max=high,
        salary_currency=_currency(raw.get("currency")) if paid else None,
        salary_interval=_interval(raw.get("interval")) if paid else None,
        emails=_emails(raw.get("emails")),
        extra=extra,
        search_term=_text(search_term),
        node_id=node_id if isinstance(node_id, int) and not isinstance(node_id, bool) else None,
    )


def _usable_url(value: Any) -> str | None:
    url = canonical_url(value)
    try:
        parts = urlsplit(url)
        usable = parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:
        return None
    return url if usable else None


def clean_records(
    rows: Iterable[Mapping[str, Any]],
    *,
    today: date,
    country_hint: str | None = None,
    search_term: str | None = None,
    node_id: int | None = None,
) -> list[JobRecord]:
    """Every usable row, each job URL once (the last sighting wins: one upsert cannot touch the
    same key twice)."""
    by_url: dict[str, JobRecord] = {}
    for raw in rows:
        rec = clean_record(
            raw, today=today, country_hint=country_hint, search_term=search_term, node_id=node_id
        )
        if rec is not None:
            by_url[rec.job_url] = rec
    return list(by_url.values())

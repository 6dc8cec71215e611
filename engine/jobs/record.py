"""A job posting as stored (``JobRecord``), and one row of jobspy's DataFrame turned into one.

Runs in the search child on every scraped row (100k-row ingests), so the common shapes take fast
paths and whatever can be cached is: location parsing (``engine.geo``), fuzzy dates
(``engine.jobs.dates``), currency codes (``engine.jobs.fields``). Nothing here imports pandas,
so the module also serves the long-lived worker that never loads pandas.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from engine.geo import Location, parse_location, resolve_country
from engine.jobs.dates import parse_posted
from engine.jobs.fields import (
    as_bool,
    clean_text,
    currency,
    emails,
    interval,
    job_types,
    json_safe,
    salary_amount,
    whole_count,
)
from engine.jobs.urls import canonical_url, site_from_host, site_job_id
from engine.text import pg_text

__all__ = [
    "JOB_RECORD_FIELDS",
    "JobRecord",
    "clean_record",
    "clean_records",
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


# --- the record -------------------------------------------------------------------------------


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


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
    site = (clean_text(raw.get("site")) or site_from_host(url) or "unknown").lower()

    location_raw = clean_text(raw.get("location"))
    hint = resolve_country(country_hint) if country_hint else None
    place = parse_location(location_raw, hint) if location_raw else Location()

    remote_column = as_bool(raw.get("is_remote"))
    work_from_home = clean_text(raw.get("work_from_home_type"))
    says_remote = place.remote or bool(work_from_home and "remote" in work_from_home.lower())
    is_remote = True if says_remote else remote_column

    low, high = salary_amount(raw.get("min_amount")), salary_amount(raw.get("max_amount"))
    if low is not None and high is not None and low > high:
        low, high = high, low
    paid = low is not None or high is not None

    job_type, other_job_types = job_types(raw.get("job_type"))

    extra: dict[str, Any] = {}
    for key, value in raw.items():
        name = key if isinstance(key, str) else clean_text(key)
        if name is None or name in _CONSUMED:
            continue
        safe = json_safe(whole_count(value))
        if safe is not None:
            extra[pg_text(name)] = safe
    if other_job_types:
        extra["job_type_other"] = json_safe(other_job_types)

    return JobRecord(
        job_url=url,
        site=site,
        site_job_id=site_job_id(raw.get("id"), url),
        title=clean_text(raw.get("title")),
        company=clean_text(raw.get("company")),
        company_url=clean_text(raw.get("company_url")),
        description=clean_text(raw.get("description")),
        location_raw=location_raw,
        city=place.city,
        region=place.region,
        country=place.country or hint,
        is_remote=is_remote,
        date_posted=parse_posted(raw.get("date_posted"), today),
        job_type=job_type,
        salary_min=low,
        salary_max=high,
        salary_currency=currency(raw.get("currency")) if paid else None,
        salary_interval=interval(raw.get("interval")) if paid else None,
        emails=emails(raw.get("emails")),
        extra=extra,
        search_term=clean_text(search_term),
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

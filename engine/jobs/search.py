"""Reading stored postings: full-text search (newest first, with filters), one posting, totals."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg

from engine.db.handle import Database
from engine.db.queries import q
from engine.errors import UserError
from engine.jobs.merged import merge_groups
from engine.jobs.newest import range_params, refresh_shares
from engine.text import pg_text

# Bounds of the integer filters, checked here for every caller (CLI, TUI): Postgres would
# otherwise answer an out-of-range value with NumericValueOutOfRange.
MAX_DAYS = 36_500  # a hundred years
MAX_BIGINT = 2**63 - 1


@dataclass(frozen=True)
class JobQuery:
    """What people search for. Every filter is optional; results are newest first."""

    text: str | None = None
    country: str | None = None
    region: str | None = None
    city: str | None = None
    site: str | None = None
    remote: bool | None = None
    days: int | None = None
    limit: int = 50
    offset: int = 0
    # One row per job (group of postings) rather than one per posting.
    grouped: bool = False
    # A column of SORTS; "posted" newest first is the default (and the fast path).
    sort: str = "posted"
    descending: bool = True


# What results can be sorted by (the jobs browser's columns). The order of each is in
# sql/queries/jobs_browse.sql; ties fall back to newest first.
SORTS = ("posted", "title", "company", "location", "remote", "type", "salary", "site")


def query_params(query: JobQuery) -> dict[str, Any]:
    """The SQL parameters of a query, normalised; UserError for values that cannot match."""
    text = _clean_input(query.text)
    country = _clean_input(query.country)
    if country is not None:
        # Lazy: importing the gazetteer (pycountry) is slow; only a country filter needs it.
        from engine.geo import resolve_country

        code = resolve_country(country)
        if code is None:
            raise UserError(f"unknown country {country!r}; use an ISO code such as US or DE")
        country = code
    region = _clean_input(query.region)
    if query.days is not None and not 0 <= query.days <= MAX_DAYS:
        raise UserError(f"--days must be between 0 and {MAX_DAYS}")
    if query.limit < 1:
        raise UserError("--limit must be at least 1")
    if not 0 <= query.offset <= MAX_BIGINT:
        raise UserError("the offset must be zero or more and fit in 64 bits")
    site = _clean_input(query.site)
    return {
        "text": text,
        "country": country,
        "region": region.upper() if region else None,
        "city": _city_filter(_clean_input(query.city), country),
        "site": site.lower() if site else None,
        "remote": query.remote if isinstance(query.remote, bool) else None,
        "days": query.days,
        "limit": min(query.limit, 10_000),
        "offset": query.offset,
    }


def _city_filter(city: str | None, country: str | None) -> str | None:
    """The city filter as jobs_matching takes it: the names the store may keep for the city,
    separated by "|" ("München" -> "München|Munich"), or the name alone."""
    if city is None:
        return None
    # Lazy: the gazetteer loads on the first city filter only.
    from engine.geo import city_names

    names = [city.replace("|", " ").strip(), *city_names(city, country)]
    unique = {name.lower(): name for name in reversed(names) if name}
    return "|".join(reversed(list(unique.values()))) or None


def sort_params(query: JobQuery) -> dict[str, Any]:
    if query.sort not in SORTS:
        raise UserError(f"cannot sort by {query.sort!r}; choose one of {', '.join(SORTS)}")
    return {"sort": query.sort, "descending": bool(query.descending)}


def _clean_input(value: str | None) -> str | None:
    if value is None:
        return None
    value = pg_text(value).strip()
    return value or None


def search_jobs(db: Database, query: JobQuery) -> list[dict[str, Any]]:
    """Postings matching ``query``, newest first (posting date, else first seen); with
    ``query.grouped`` one row per job (group of postings), newest first by its newest matching
    posting, with the group's boards and best-known fields (engine/jobs/merged.py). The same
    page as the plain query (``plain_search``), found faster (engine/jobs/newest.py).

    Another order (a column of the jobs browser) sorts every match: postings, or with
    ``query.grouped`` jobs, each led by its newest matching posting as in the newest-first view
    (sql/queries/jobs_browse.sql)."""
    if (query.sort, query.descending) != ("posted", True):
        sorted_params = {**query_params(query), **sort_params(query)}
        name = "jobs_search_sorted_groups" if query.grouped else "jobs_search_sorted"
        with db.connection() as conn:
            rows = conn.execute(q(name), sorted_params, prepare=False).fetchall()
        if query.grouped:
            return _merged_page(rows)
        return [dict(row) for row in rows]
    params = range_params(query_params(query), grouped=query.grouped)
    with db.connection() as conn:
        refresh_shares(conn)
        if not query.grouped:
            rows = conn.execute(q("search_page"), params, prepare=False).fetchall()
            return [dict(row) for row in rows]
        rows = conn.execute(q("search_group_page"), params, prepare=False).fetchall()
    return _merged_page(rows)


def _merged_page(rows: list[Any]) -> list[dict[str, Any]]:
    """The merged rows of a page of jobs: ``rows`` are every posting of the page's groups, in
    page order (``ord``), each with its group's lead (``lead_id``, ``lead_posted``)."""
    page: dict[int, dict[str, Any]] = {}
    postings: list[dict[str, Any]] = []
    for row in rows:
        posting = dict(row)
        ord_, lead_id, lead_posted = (
            posting.pop("ord"),
            posting.pop("lead_id"),
            posting.pop("lead_posted"),
        )
        page.setdefault(
            ord_, {"id": lead_id, "group_id": posting["group_id"], "posted_or_seen": lead_posted}
        )
        postings.append(posting)
    return merge_groups(list(page.values()), postings)


# An exact count that takes longer than this gives way to the planner's estimate.
COUNT_GUARD_MS = 300


def count_jobs(db: Database, query: JobQuery) -> tuple[int, bool]:
    """How many match ``query`` (paging ignored): jobs when ``query.grouped``, else postings;
    and whether that is exact. Counted when that takes under COUNT_GUARD_MS, else the planner's
    estimate of the matching *postings* (a million matches are not counted on every keystroke).
    """
    params = {**query_params(query), "grouped": query.grouped}
    with db.connection() as conn:
        try:
            with conn.transaction():
                conn.execute(q("search_guard"), {"ms": str(COUNT_GUARD_MS)})
                row = conn.execute(q("jobs_count"), params, prepare=False).fetchone()
            return (int(row["n"]) if row else 0), True
        except psycopg.errors.QueryCanceled:
            plan = conn.execute(q("jobs_count_estimate"), params, prepare=False).fetchone()
            rows = next(iter(plan.values()))[0]["Plan"]["Plan Rows"] if plan else 0
            return int(rows), False


def get_job(db: Database, job_id: int) -> dict[str, Any] | None:
    if not 0 <= job_id <= MAX_BIGINT:
        return None  # no such id can exist (and Postgres would reject the parameter)
    with db.connection() as conn:
        row = conn.execute(q("job_get"), {"id": job_id}).fetchone()
    return dict(row) if row else None


def plain_search(db: Database, query: JobQuery) -> list[int]:
    """The ids (group ids when grouped) of the page the plain query returns: one SQL statement,
    full text and filters, ORDER BY posting date DESC LIMIT. What ``search_jobs`` must agree
    with; the tests and bench/bench_search.py compare the two."""
    name = "jobs_search_plain_groups" if query.grouped else "jobs_search_plain"
    with db.connection() as conn:
        rows = conn.execute(q(name), query_params(query), prepare=False).fetchall()
    return [int(r["group_id" if query.grouped else "id"]) for r in rows]


def group_postings(db: Database, group_id: int) -> list[dict[str, Any]]:
    """Every posting of one job (group), newest first."""
    with db.connection() as conn:
        rows = conn.execute(q("search_group_postings"), {"group_id": group_id}).fetchall()
    return [dict(row) for row in rows]


def job_stats(db: Database) -> dict[str, Any]:
    """Totals for dashboards: total, today (first seen since midnight UTC), by site, by country,
    and new postings per day over the last 30 days."""
    with db.connection() as conn:
        totals = conn.execute(q("job_stats_totals")).fetchone() or {"total": 0, "today": 0}
        by_site = {r["key"]: r["n"] for r in conn.execute(q("job_stats_by_site"))}
        by_country = {r["key"]: r["n"] for r in conn.execute(q("job_stats_by_country"))}
        by_day = {r["day"].isoformat(): r["n"] for r in conn.execute(q("job_stats_by_day"))}
    return {
        "total": int(totals["total"]),
        "today": int(totals["today"]),
        "by_site": by_site,
        "by_country": by_country,
        "by_day": by_day,
    }

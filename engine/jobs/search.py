"""Reading stored postings: full-text search (newest first, with filters), one posting, totals."""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass
from typing import Any

import psycopg

from engine.db.handle import Database
from engine.db.queries import q
from engine.errors import UserError
from engine.text import pg_text

log = logging.getLogger(__name__)


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
        "city": _clean_input(query.city),
        "site": site.lower() if site else None,
        "remote": query.remote if isinstance(query.remote, bool) else None,
        "days": query.days,
        "limit": min(query.limit, 10_000),
        "offset": query.offset,
    }


def sort_params(query: JobQuery) -> dict[str, Any]:
    if query.sort not in SORTS:
        raise UserError(f"cannot sort by {query.sort!r}; choose one of {', '.join(SORTS)}")
    return {"sort": query.sort, "descending": bool(query.descending)}


def _clean_input(value: str | None) -> str | None:
    if value is None:
        return None
    value = pg_text(value).strip()
    return value or None


# Relative cost of testing one posting during an index walk (neighbouring rows, mostly in cache)
# and of fetching one match for a bitmap scan (anywhere in the table, then sorted). Measured on
# a million postings (bench/bench_search.py): about 2 us and 10 us.
WALK_ROW_COST = 1.0
BITMAP_MATCH_COST = 5.0
# A search that runs longer than this was planned on a badly wrong estimate: it is cut short and the
# other strategy runs instead (a slow walk means sparse matches, a slow bitmap dense ones).
GUARD_MS = 150
_LEXEME = re.compile(r"'((?:[^']|'')+)'")


def _estimate(
    conn: psycopg.Connection[Any], name: str, params: dict[str, Any], **extra: Any
) -> float:
    row = conn.execute(q(name), {**params, **extra}, prepare=False).fetchone()
    if row is None:
        return 0.0
    plan = next(iter(row.values()))
    return float(plan[0]["Plan"]["Plan Rows"])


def estimate_matches(conn: psycopg.Connection[Any], params: dict[str, Any]) -> float:
    """How many postings the text and filters match, as well as the planner's statistics tell.

    The planner multiplies the frequencies of AND-ed words as if they were independent; in job
    postings they rarely are ("machine learning" is nearly as frequent as "machine"). For a
    conjunction the estimate is taken halfway (geometrically) between independence and full
    correlation (the rarest word's frequency).
    """
    independent = _estimate(conn, "jobs_search_estimate", params)
    row = conn.execute(q("search_query_tree"), params, prepare=False).fetchone()
    tree = str(row["tree"]) if row else ""
    lexemes = {m.group(0) for m in _LEXEME.finditer(tree)}
    if len(lexemes) < 2 or "|" in tree or len(lexemes) > 6:
        return independent
    rarest = min(_estimate(conn, "jobs_lexeme_estimate", params, lexeme=lx) for lx in lexemes)
    return math.sqrt(max(independent, 1.0) * max(rarest, 1.0))


def search_strategy(conn: psycopg.Connection[Any], params: dict[str, Any]) -> str:
    """How to find the newest matches of a full-text search: "walk" or "bitmap".

    Newest first is the hard part. A term in 40 % of a million postings has 400,000 matches:
    collecting them through the GIN index and sorting them takes seconds, while walking the
    (posted_or_seen, id) index and testing each posting finds a page of 50 after ~125 rows.
    A rare term is the reverse: the walk tests the whole table, the GIN index hands over its
    dozen matches at once. Postgres's own choice goes wrong both ways (it prices a tsvector test
    as nearly free, ignoring the detoasting, and prefers a precise index plus a sort), so the
    choice is made here from its estimates: the walk passes over about
    (limit + offset) * filtered / matches postings, the bitmap fetches every match.
    """
    matches = max(estimate_matches(conn, params), 1.0)
    filtered = _estimate(conn, "jobs_filter_estimate", params)
    walked = (params["limit"] + params["offset"]) * filtered / matches
    return "walk" if walked * WALK_ROW_COST < matches * BITMAP_MATCH_COST else "bitmap"


_STRATEGY_SETTINGS = {
    "walk": ("search_walk_index", "search_walk_ordered"),
    "bitmap": ("search_bitmap_index",),
}


def _attempt(
    conn: psycopg.Connection[Any], params: dict[str, Any], strategy: str, guard_ms: int | None
) -> list[Any] | None:
    """Run the search one way; None when the guard cut it short."""
    try:
        # A savepoint: on failure its SET LOCALs and the statement timeout go with it.
        with conn.transaction():
            for name in _STRATEGY_SETTINGS[strategy]:
                conn.execute(q(name))
            if guard_ms is not None:
                conn.execute(q("search_guard"), {"ms": str(guard_ms)})
            return conn.execute(q("jobs_search"), params, prepare=False).fetchall()
    except psycopg.errors.QueryCanceled:
        if guard_ms is None:
            raise
        return None


def _run_search(conn: psycopg.Connection[Any], params: dict[str, Any], strategy: str) -> list[Any]:
    """The chosen strategy under a guard, then, if the estimate was wrong, the other one."""
    rows = _attempt(conn, params, strategy, GUARD_MS)
    if rows is None:
        other = "bitmap" if strategy == "walk" else "walk"
        log.debug("%s search over %s ms; trying %s", strategy, GUARD_MS, other)
        rows = _attempt(conn, params, other, None)
    return rows or []


def search_jobs(db: Database, query: JobQuery) -> list[dict[str, Any]]:
    """Postings matching ``query``, newest first (posting date, else first seen)."""
    params = query_params(query)
    if (query.sort, query.descending) != ("posted", True):
        # Another order: every match is sorted (no newest-first walk to choose).
        params.update(sort_params(query))
        with db.connection() as conn:
            rows = conn.execute(q("jobs_search_sorted"), params, prepare=False).fetchall()
        return [dict(row) for row in rows]
    with db.connection() as conn:
        if params["text"] is None:
            rows = conn.execute(q("jobs_search"), params, prepare=False).fetchall()
        else:
            rows = _run_search(conn, params, search_strategy(conn, params))
    return [dict(row) for row in rows]


# An exact count that takes longer than this gives way to the planner's estimate.
COUNT_GUARD_MS = 300


def count_jobs(db: Database, query: JobQuery) -> tuple[int, bool]:
    """How many postings match ``query`` (paging ignored), and whether that is exact: counted
    when that takes under COUNT_GUARD_MS, else the planner's estimate (a million matches are
    not counted on every keystroke)."""
    params = query_params(query)
    with db.connection() as conn:
        try:
            with conn.transaction():
                conn.execute(q("search_guard"), {"ms": str(COUNT_GUARD_MS)})
                row = conn.execute(q("jobs_count"), params, prepare=False).fetchone()
            return (int(row["n"]) if row else 0), True
        except psycopg.errors.QueryCanceled:
            return int(estimate_matches(conn, params)), False


def get_job(db: Database, job_id: int) -> dict[str, Any] | None:
    if not 0 <= job_id <= MAX_BIGINT:
        return None  # no such id can exist (and Postgres would reject the parameter)
    with db.connection() as conn:
        row = conn.execute(q("job_get"), {"id": job_id}).fetchone()
    return dict(row) if row else None


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
